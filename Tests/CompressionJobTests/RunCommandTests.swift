import CompressionJob
import Foundation
import SampleStudy
import TestSupport
import Testing
import Transcoder

/// `dicom-j2k run` end to end, as a process, with the real transcoder: a small CT series plus a
/// file that is not DICOM and a truncated one. The ZIP is read back and every compressed entry is
/// decoded by pydicom + pylibjpeg-openjpeg and by GDCM.
@Suite struct RunCommandTests {
    struct Setup {
        var tool: String
        var python: String
        var gdcmconv: String
    }

    static func setup() throws -> Setup {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python")
        let gdcmconv = try TestEnvironment.require(TestEnvironment.tool("/usr/bin/gdcmconv"), "gdcmconv")
        return Setup(tool: tool, python: python, gdcmconv: gdcmconv)
    }

    /// Writes the inputs: `series/CT0001.dcm`… (5 slices, 64×64), `notes.txt`, and `broken.dcm` (a
    /// slice cut inside its Pixel Data).
    static func makeStudy(in folder: URL) throws -> [String: [UInt8]] {
        let writer = try SampleStudyWriter(options: .init(slices: 5, rows: 64, columns: 64))
        var files: [String: [UInt8]] = [:]
        for index in 0..<5 { files["series/" + writer.fileName(forSlice: index)] = try writer.slice(index) }
        files["notes.txt"] = Array("not an image\n".utf8)
        files["broken.dcm"] = Array(try writer.slice(0).dropLast(3000))
        for (key, bytes) in files {
            let url = folder.appendingPathComponent(key)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(bytes).write(to: url)
        }
        return files
    }

    @Test(.needs(.dicomJ2KExecutable, .python, .gdcmconv), arguments: ["20", "lossless"])
    func compressesCopiesAndReportsEveryFile(mode: String) throws {
        let setup = try Self.setup()
        try withTemporaryDirectory { folder in
            let source = folder.appendingPathComponent("in")
            let inputs = try Self.makeStudy(in: source)
            let zip = folder.appendingPathComponent("out.zip")
            let resultFile = folder.appendingPathComponent("result.json")
            let modeArguments = mode == "lossless" ? ["--lossless"] : ["--rate", mode]
            let run = try runProcess(
                setup.tool,
                [
                    "run", "--source", source.path, "--target", zip.path, "--threads", "2", "--quality-check", "all",
                    "--result", resultFile.path,
                ] + modeArguments
            )
            #expect(run.status == 0, "\(run.stderr)")
            let result = try JobResult.makeDecoder().decode(JobResult.self, from: Data(contentsOf: resultFile))
            #expect(try JobResult.makeDecoder().decode(JobResult.self, from: Data(run.stdout.utf8)) == result)

            let keys = inputs.keys.sorted()
            #expect(result.status == .completed)
            #expect(result.files.map(\.key) == keys)
            #expect(result.options.compressionRate == (mode == "lossless" ? 1 : 20))
            let byKey = Dictionary(uniqueKeysWithValues: result.files.map { ($0.key, $0) })
            #expect(byKey["notes.txt"]?.status == .copied)
            #expect(byKey["notes.txt"]?.error == "not DICOM")
            #expect(byKey["broken.dcm"]?.status == .failed)
            #expect(byKey["broken.dcm"]?.error?.isEmpty == false)
            let stats = try #require(result.compressionStats)
            #expect(stats.compressedFiles == 5)
            #expect(stats.copiedFiles == 1)
            #expect(stats.failedFiles == 1)
            #expect(stats.originalSize == inputs.values.map(\.count).reduce(0, +))
            #expect(result.quality?.filesChecked == 5)
            if mode != "lossless" {
                // 64×64 slices are small, so the header weighs; the pixel data meets the target.
                #expect(abs(stats.pixelDataRatio - 20) / 20 < 0.1)
            }

            // The archive holds every input in key order; copied and failed ones byte for byte.
            let extracted = folder.appendingPathComponent("x")
            let unzip = try runProcess("/usr/bin/unzip", ["-q", zip.path, "-d", extracted.path])
            #expect(unzip.status == 0, "\(unzip.stderr)")
            let listing = try runProcess("/usr/bin/unzip", ["-Z1", zip.path])
            #expect(listing.stdout.split(separator: "\n").map(String.init) == keys)
            for key in ["notes.txt", "broken.dcm"] {
                #expect(try [UInt8](Data(contentsOf: extracted.appendingPathComponent(key))) == inputs[key])
            }

            // Independent decoders agree with the figures we reported.
            var manifest: [[String: String]] = []
            for key in keys where key.hasPrefix("series/") {
                manifest.append([
                    "name": key, "original": source.appendingPathComponent(key).path,
                    "output": extracted.appendingPathComponent(key).path, "gdcmconv": setup.gdcmconv,
                ])
            }
            let manifestURL = folder.appendingPathComponent("manifest.json")
            try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
            let check = try runProcess(
                setup.python,
                [TestEnvironment.testsFolder("python/transcode_check.py").path, manifestURL.path]
            )
            #expect(check.status == 0, "\(check.stderr)")
            let reports = try #require(
                try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [[String: Any]]
            )
            #expect(reports.count == 5)
            for report in reports {
                let key = try #require(report["name"] as? String)
                let ours = try #require(byKey[key])
                #expect(ours.status == .compressed)
                if mode != "lossless" {
                    let ratio = try #require(ours.pixelDataRatio)
                    #expect(abs(ratio - 20) / 20 < 0.1, "\(key) pixel data ratio \(ratio)")
                }
                for decoder in ["pydicom", "gdcm"] {
                    let figures = try #require(report[decoder] as? [String: Any], "\(key) \(decoder)")
                    #expect(figures["error"] == nil, "\(key) \(decoder): \(figures["error"] ?? "")")
                    if mode == "lossless" {
                        #expect(figures["max_abs_error"] as? Int == 0, "\(key) \(decoder)")
                        #expect(ours.psnr == nil)
                    } else {
                        let psnr = try #require(figures["psnr"] as? Double)
                        #expect(abs(psnr - (ours.psnr ?? 0)) < 0.1, "\(key) \(decoder): \(psnr) vs \(ours.psnr ?? 0)")
                    }
                }
            }
            if mode == "lossless" { #expect(result.quality?.maxAbsError == 0) }
        }
    }

    @Test(.needs(.dicomJ2KExecutable, .python, .gdcmconv))
    func aMissingSourceFailsWithStatusOneAndAFailedResult() throws {
        let setup = try Self.setup()
        try withTemporaryDirectory { folder in
            let run = try runProcess(
                setup.tool,
                ["run", "--source", folder.appendingPathComponent("none").path, "--target", folder.path + "/"]
            )
            #expect(run.status == 1)
            let result = try JobResult.makeDecoder().decode(JobResult.self, from: Data(run.stdout.utf8))
            #expect(result.status == .failed)
            #expect(result.error?.code == .sourceUnavailable)
            #expect(run.stderr.contains("failed"))
        }
    }
}

/// `dicom-j2k run --anonymize` end to end: every compressed entry is de-identified (pydicom reads
/// Patient Identity Removed = YES, no original name, ID or UID, one study), entries are named by
/// position, and a file that cannot be de-identified is left out of the ZIP and reported.
@Suite struct RunAnonymizeTests {
    struct Checked: Decodable {
        struct Entry: Decodable {
            var name: String
            var identityRemoved: String
            var patientName: String
            var patientID: String
            var studyUID: String
            var seriesUID: String
            var transferSyntax: String
            var decodes: Bool
        }
        var entries: [Entry]
    }

    @Test(.needs(.dicomJ2KExecutable, .python, .unzip))
    func anAnonymizedZipShipsNoIdentifierAndWithholdsWhatItCannotClean() throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python")
        try withTemporaryDirectory { folder in
            let source = folder.appendingPathComponent("DOE_JOHN")
            let inputs = try RunCommandTests.makeStudy(in: source)
            let originalStudy = try SampleStudyWriter(options: .init(slices: 5, rows: 64, columns: 64)).studyUID
            let zip = folder.appendingPathComponent("out.zip")
            let resultFile = folder.appendingPathComponent("result.json")
            let run = try runProcess(
                tool,
                [
                    "run", "--source", source.path, "--target", zip.path, "--rate", "20", "--anonymize",
                    "--result", resultFile.path,
                ]
            )
            #expect(run.status == 0, "\(run.stderr)")
            let result = try JobResult.makeDecoder().decode(JobResult.self, from: Data(contentsOf: resultFile))
            #expect(result.status == .completed)
            #expect(result.options.anonymize)
            let byKey = Dictionary(uniqueKeysWithValues: result.files.map { ($0.key, $0) })
            #expect(byKey.count == inputs.count, "every input is reported")
            let slices = inputs.keys.filter { $0.hasPrefix("series/") }
            #expect(slices.count == 5)
            for key in slices { #expect(byKey[key]?.status == .compressed, "\(key)") }
            // Not DICOM: it cannot be de-identified, so it is not in the ZIP.
            #expect(byKey["notes.txt"]?.status == .failed)
            #expect(byKey["notes.txt"]?.outputBytes == 0)

            let check = try runProcess(
                python,
                [TestEnvironment.testsFolder("python/anonymized_zip_check.py").path, zip.path]
            )
            #expect(check.status == 0, "\(check.stderr)")
            let checked = try JSONDecoder().decode(Checked.self, from: Data(check.stdout.utf8))
            let shipped = result.files.filter { $0.outputBytes > 0 }.count
            #expect(checked.entries.count == shipped)
            // Entries are named by position (keys often carry patient names): 000001.dcm, …
            #expect(
                checked.entries.allSatisfy { entry in
                    entry.name.count == 10 && entry.name.hasSuffix(".dcm")
                        && entry.name.prefix(6).allSatisfy(\.isNumber)
                },
                "\(checked.entries.map(\.name))"
            )
            #expect(Set(checked.entries.map(\.name)).count == checked.entries.count)
            #expect(checked.entries.allSatisfy { $0.identityRemoved == "YES" })
            #expect(checked.entries.allSatisfy { !$0.patientName.contains("Phantom") })
            #expect(checked.entries.allSatisfy { !$0.patientID.contains("PHANTOM") })
            let compressed = checked.entries.filter { $0.transferSyntax == "1.2.840.10008.1.2.4.91" }
            #expect(compressed.count == 5)
            #expect(compressed.allSatisfy { $0.decodes })
            #expect(Set(compressed.map(\.studyUID)).count == 1, "one study")
            #expect(Set(compressed.map(\.seriesUID)).count == 1, "one series")
            #expect(compressed.first?.studyUID != originalStudy)
            // No original identifying value anywhere in the archive's bytes.
            let archive = try [UInt8](Data(contentsOf: zip))
            for needle in ["Phantom^CT", "PHANTOM-0001", originalStudy] {
                #expect(!archive.contains(subsequence: Array(needle.utf8)), "\(needle) in the ZIP")
            }
        }
    }
}

/// `dicom-j2k run --htj2k --psnr 45`: the job option reaches the transcoder; every compressed file
/// reports its quality target (met) and its encodes per frame, and the ZIP holds HTJ2K (.203/.201).
@Suite struct RunQualityTargetTests {
    @Test(.needs(.dicomJ2KExecutable, .python))
    func anHTJ2KQualityTargetJobReportsTargetsAndEncodesPerFile() throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python")
        try withTemporaryDirectory { folder in
            let source = folder.appendingPathComponent("in")
            _ = try RunCommandTests.makeStudy(in: source)
            let zip = folder.appendingPathComponent("out.zip")
            let resultFile = folder.appendingPathComponent("result.json")
            let run = try runProcess(
                tool,
                [
                    "run", "--source", source.path, "--target", zip.path, "--htj2k", "--psnr", "45", "--result",
                    resultFile.path,
                ]
            )
            #expect(run.status == 0, "\(run.stderr)")
            let result = try JobResult.makeDecoder().decode(JobResult.self, from: Data(contentsOf: resultFile))
            #expect(result.options.transferSyntax == .htj2k)
            #expect(result.options.targetPSNR == 45)
            let compressed = result.files.filter { $0.status == .compressed }
            #expect(compressed.count == 5)
            for file in compressed {
                #expect(file.qualityTarget?.met == true, "\(file.key)")
                #expect((file.qualityTarget?.worstFramePSNR ?? .infinity) >= 45, "\(file.key)")
                #expect(file.encodesPerFrame?.isEmpty == false, "\(file.key)")
            }
            let check = try runProcess(
                python,
                [TestEnvironment.testsFolder("python/anonymized_zip_check.py").path, zip.path]
            )
            #expect(check.status == 0, "\(check.stderr)")
            let checked = try JSONDecoder().decode(RunAnonymizeTests.Checked.self, from: Data(check.stdout.utf8))
            let syntaxes = Set(checked.entries.map(\.transferSyntax))
            #expect(
                syntaxes.isSubset(of: ["1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.1", ""])
            )
            #expect(syntaxes.contains("1.2.840.10008.1.2.4.203") || syntaxes.contains("1.2.840.10008.1.2.4.201"))
            #expect(
                checked.entries.filter { $0.transferSyntax.hasPrefix("1.2.840.10008.1.2.4.20") }.allSatisfy {
                    $0.decodes
                }
            )
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { start in
            self[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}
