import DICOM
import Foundation
import TestSupport
import Testing

/// `dicom-j2k transcode IN OUT`, run as a process: compressed, copied and failed files.
@Suite struct TranscodeCommandTests {

    struct Report: Decodable {
        var status: String
        var frames: Int?
        var ratio: Double?
        var psnr: Double?
        var maxAbsError: Int?
        var exact: Bool?
        var reason: String?
        var error: String?
        var inputBytes: Int
        var outputBytes: Int
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> (ProcessResult, Report?) {
        let result = try runProcess(tool, ["transcode", "--json"] + arguments)
        let report = try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        return (result, report)
    }

    @Test(.needs(.dicomJ2KExecutable, .gdcmconv)) func compressesCopiesAndFails() throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let ct = try PhantomCT.file(slices: [100], of: 200, size: 128)
        try withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("in.dcm").path
            let output = directory.appendingPathComponent("out.dcm").path
            try Data(ct).write(to: URL(fileURLWithPath: input))

            let (lossy, lossyReport) = try Self.run(tool, [input, output, "--rate", "20"])
            #expect(lossy.status == 0, "\(lossy.stderr)")
            let report = try #require(lossyReport, "\(lossy.stdout)")
            #expect(report.status == "compressed" && report.frames == 1)
            #expect(abs((report.ratio ?? 0) / 20 - 1) <= 0.1, "ratio \(String(describing: report.ratio))")
            #expect(report.psnr != nil && report.maxAbsError != nil && report.exact == false)
            let written = try DICOMFile(contentsOf: output)
            #expect(written.transferSyntax == .jpeg2000)
            #expect(report.outputBytes == (try Data(contentsOf: URL(fileURLWithPath: output))).count)

            for arguments in [["--lossless"], ["--rate", "1"]] {
                let (lossless, losslessReport) = try Self.run(tool, [input, output] + arguments)
                #expect(lossless.status == 0, "\(lossless.stderr)")
                #expect(losslessReport?.exact == true && losslessReport?.psnr == nil, "\(lossless.stdout)")
                #expect(try DICOMFile(contentsOf: output).transferSyntax == .jpeg2000Lossless)
            }

            let (gdcm, gdcmReport) = try Self.run(tool, [input, output, "--library", "gdcmconv", "--rate", "20"])
            do {
                #expect(gdcm.status == 0, "\(gdcm.stderr)")
                #expect(gdcmReport?.status == "compressed", "\(gdcm.stdout)")
            }

            // Not DICOM: copied unchanged, exit 0.
            let text = directory.appendingPathComponent("notes.txt").path
            try Data("not an image".utf8).write(to: URL(fileURLWithPath: text))
            let (copied, copiedReport) = try Self.run(tool, [text, output])
            #expect(copied.status == 0)
            #expect(copiedReport?.status == "copied" && copiedReport?.reason == "not DICOM")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data("not an image".utf8))

            // Truncated pixel data: copied unchanged, the typed error on stderr, exit 1.
            let truncated = directory.appendingPathComponent("truncated.dcm").path
            try Data(ct.dropLast(1000)).write(to: URL(fileURLWithPath: truncated))
            let (failed, failedReport) = try Self.run(tool, [truncated, output])
            #expect(failed.status == 1)
            #expect(failedReport?.status == "failed" && failedReport?.error?.contains("truncatedPixelData") == true)
            #expect(failed.stderr.contains("truncatedPixelData"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(ct.dropLast(1000)))

            // Usage errors.
            let both = try runProcess(tool, ["transcode", input, output, "--rate", "10", "--lossless"])
            #expect(both.status != 0 && both.stderr.contains("exclude each other"))
            let low = try runProcess(tool, ["transcode", input, output, "--rate", "0.5"])
            #expect(low.status != 0 && low.stderr.contains(">= 1"))
        }
    }
}
