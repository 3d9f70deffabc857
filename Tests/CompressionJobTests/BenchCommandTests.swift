import Foundation
import TestSupport
import Testing

/// `dicom-j2k bench` runs every contender on a small generated study and reports consistent
/// figures. Times are printed, never asserted (speed lives in the benchmark itself).
@Suite struct BenchCommandTests {
    @Test(.needs(.dicomJ2KExecutable, .gdcmconv))
    func benchReportsEveryContenderOnAGeneratedStudy() throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        _ = try TestEnvironment.require(TestEnvironment.tool("gdcmconv"), "gdcmconv")
        try withTemporaryDirectory { folder in
            let json = folder.appendingPathComponent("bench.json")
            let run = try runProcess(tool, ["bench", "--slices", "4", "--rate", "50", "--json", json.path])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("dicom-j2k run, "))
            #expect(run.stdout.contains("targets"))
            let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
            #expect(report["files"] as? Int == 4)
            #expect(report["images"] as? Int == 4)
            for contender in ["encoderAlone", "ours", "gdcmconv"] {
                let timing = try #require(report[contender] as? [String: Any], "\(contender)")
                #expect((timing["wallSeconds"] as? Double ?? 0) > 0, "\(contender)")
                #expect((timing["cpuSeconds"] as? Double ?? 0) > 0, "\(contender)")
            }
            for quality in ["oursQuality", "gdcmconvQuality"] {
                let figures = try #require(report[quality] as? [String: Any], "\(quality)")
                #expect(figures["files"] as? Int == 4, "\(quality)")
                #expect((figures["problems"] as? [Any])?.isEmpty == true, "\(quality)")
                let ratio = try #require(figures["pixelRatio"] as? Double)
                #expect(abs(ratio - 50) / 50 < 0.1, "\(quality) ratio \(ratio)")
                let psnr = try #require(figures["psnr"] as? Double)
                #expect(psnr > 30 && psnr < 80, "\(quality) PSNR \(psnr)")
            }
            let targets = try #require(report["targets"] as? [[String: Any]])
            // The JPEG 2000 issue's four, and HTJ2K against OpenJPEG, our job and gdcmconv.
            #expect(targets.count == 7)
            // OpenJPEG, fast Part 1, HTJ2K, and the PSNR target with each codec, all decoded again.
            let rows = try #require(report["inProcess"] as? [[String: Any]])
            #expect(rows.count == 5)
            for row in rows {
                let quality = try #require(row["quality"] as? [String: Any], "\(row["name"] ?? "?")")
                #expect((quality["files"] as? Int) == 4, "\(row["name"] ?? "?")")
                #expect((row["failures"] as? [Any])?.isEmpty == true, "\(row["name"] ?? "?")")
            }
        }
    }

    @Test(.needs(.dicomJ2KExecutable))
    func encoderOnlyReportsTheEncoderAlone() throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        try withTemporaryDirectory { folder in
            let json = folder.appendingPathComponent("bench.json")
            let run = try runProcess(
                tool,
                ["bench", "--slices", "2", "--rate", "50", "--encoder-only", "--json", json.path]
            )
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
            #expect(report["images"] as? Int == 2)
            let timing = try #require(report["encoderAlone"] as? [String: Any])
            #expect((timing["cpuSeconds"] as? Double ?? 0) > 0)
            #expect(report["ours"] == nil && report["gdcmconv"] == nil)
        }
    }
}
