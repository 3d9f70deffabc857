import Foundation
import Testing

@testable import CompressionJob

@Suite struct JobResultTests {
    @Test func displayFormats() {
        #expect(DisplayFormat.bytes(206_464_614) == "196.9MB")
        #expect(DisplayFormat.bytes(2_048) == "2.0KB")
        #expect(DisplayFormat.bytes(3 << 30) == "3.00GB")
        #expect(DisplayFormat.ratio(70.4) == "70:1")
        #expect(DisplayFormat.ratio(2.46) == "2.5:1")
        #expect(DisplayFormat.ratio(0) == "n/a")
        #expect(DisplayFormat.seconds(180.2) == "180s")
        #expect(DisplayFormat.seconds(2.44) == "2.4s")
    }

    @Test func derivedFiguresAndJSONShape() throws {
        let stats = CompressionStats(
            originalSize: 1000,
            compressedSize: 250,
            pixelDataRatio: 4.5,
            processingTime: 12,
            downloadTime: 1,
            compressionTime: 10,
            uploadTime: 1,
            queueWaitTime: 0,
            processedFiles: 2,
            compressedFiles: 1,
            copiedFiles: 1,
            skippedFiles: 0,
            failedFiles: 0,
            cpuPeak: 190,
            cpuTimeUser: 20,
            cpuTimeSystem: 1,
            memoryPeak: 50 << 20,
            system: SystemStats(cpuBaseline: 5, cpuPeak: 99, memoryBaseline: 1000, memoryPeak: 1500)
        )
        #expect(stats.compressionRatio == 4)
        #expect(stats.system.cpuIncrease == 94)
        #expect(stats.system.memoryIncrease == 500)
        #expect(stats.display["compressionRatio"] == "4.0:1")
        #expect(stats.display["processingTime"] == "12s")

        var result = JobResult(
            taskId: "t-1",
            status: .completed,
            timestamp: Date(timeIntervalSince1970: 0),
            s3SourceUri: "s3://b/p/",
            options: JobOptions(),
            worker: WorkerInfo(version: "0.1.0", openjpegVersion: "2.5.0", mode: .local, host: "h", attempt: 1)
        )
        result.compressionStats = stats
        result.files = [FileOutcome(key: "a.dcm", status: .compressed, inputBytes: 900, outputBytes: 100, psnr: 50)]
        let data = try JobResult.makeEncoder().encode(result)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["success"] as? Bool == true)
        #expect(object["status"] as? String == "completed")
        #expect(object["timestamp"] as? String == "1970-01-01T00:00:00Z")
        let encodedStats = try #require(object["compressionStats"] as? [String: Any])
        #expect(encodedStats["originalSize"] as? Int == 1000)
        #expect((encodedStats["system"] as? [String: Any])?["memoryIncrease"] as? Int == 500)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.first?["ratio"] as? Double == 9)
        #expect(files.first?["error"] == nil)
        let options = try #require(object["options"] as? [String: Any])
        #expect(options["compressionLibrary"] as? String == "openjpeg")
        #expect(options["qualityCheck"] as? String == "sample")

        let decoded = try JobResult.makeDecoder().decode(JobResult.self, from: data)
        #expect(decoded == result)
    }
}
