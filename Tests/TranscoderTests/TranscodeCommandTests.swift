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
        var codec: String?
        var encodesPerFrame: [Int]?
        var qualityTarget: String?
        var targetMet: Bool?
        var storedLossless: Bool?
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

            // HTJ2K, quality targets and the fast Part 1 setting.
            let (ht, htReport) = try Self.run(tool, [input, output, "--htj2k", "--rate", "20"])
            #expect(ht.status == 0, "\(ht.stderr)")
            #expect(htReport?.codec == "htj2k" && htReport?.encodesPerFrame?.count == 1, "\(ht.stdout)")
            #expect(try DICOMFile(contentsOf: output).transferSyntax == .htj2k)
            let (htLossless, _) = try Self.run(tool, [input, output, "--htj2k", "--lossless"])
            #expect(htLossless.status == 0)
            #expect(try DICOMFile(contentsOf: output).transferSyntax == .htj2kLossless)
            for arguments in [["--psnr", "45"], ["--max-error", "10"], ["--htj2k", "--psnr", "45"]] {
                let (quality, qualityReport) = try Self.run(tool, [input, output] + arguments)
                #expect(quality.status == 0, "\(arguments): \(quality.stderr)")
                #expect(qualityReport?.targetMet == true && qualityReport?.qualityTarget != nil, "\(quality.stdout)")
                if arguments.contains("--psnr") { #expect((qualityReport?.psnr ?? 0) >= 45) }
                if arguments.contains("--max-error") { #expect((qualityReport?.maxAbsError ?? 99) <= 10) }
            }
            let (fast, fastReport) = try Self.run(tool, [input, output, "--fast", "--rate", "20"])
            #expect(fast.status == 0 && fastReport?.codec == "j2k", "\(fast.stderr)")
            let fastAndHT = try runProcess(tool, ["transcode", input, output, "--fast", "--htj2k"])
            #expect(fastAndHT.status != 0 && fastAndHT.stderr.contains("Part 1"))
            let twoTargets = try runProcess(tool, ["transcode", input, output, "--psnr", "40", "--max-error", "3"])
            #expect(twoTargets.status != 0 && twoTargets.stderr.contains("exclude each other"))

            // Usage errors.
            let both = try runProcess(tool, ["transcode", input, output, "--rate", "10", "--lossless"])
            #expect(both.status != 0 && both.stderr.contains("exclude each other"))
            let low = try runProcess(tool, ["transcode", input, output, "--rate", "0.5"])
            #expect(low.status != 0 && low.stderr.contains(">= 1"))
        }
    }
}
