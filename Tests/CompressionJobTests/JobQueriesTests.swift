import EMF
import Foundation
import TestSupport
import Testing
import Transcoder

@testable import CompressionJob

@Suite struct JobQueriesTests {
    let worker = WorkerInfo(version: "t", openjpegVersion: "2.5.0", mode: .poll, host: "h", attempt: 1)

    func result(
        _ id: String,
        _ status: JobResult.Status,
        created: Double,
        seconds: Double = 10,
        rate: Double = 100,
        library: TranscoderLibrary = .openjpeg,
        psnr: Double? = nil
    ) -> JobResult {
        var result = JobResult(
            taskId: id,
            status: status,
            timestamp: Date(timeIntervalSince1970: created + seconds),
            s3SourceUri: "s3://b/p/",
            options: JobOptions(compressionRate: rate, compressionLibrary: library),
            worker: worker
        )
        result.createdAt = Date(timeIntervalSince1970: created)
        if status == .completed {
            result.completedAt = result.timestamp
            result.compressionStats = CompressionStats(
                originalSize: 1000,
                compressedSize: 100,
                pixelDataRatio: 12,
                processingTime: seconds,
                downloadTime: 1,
                compressionTime: 1,
                uploadTime: 1,
                queueWaitTime: 0,
                processedFiles: 1,
                compressedFiles: 1,
                copiedFiles: 0,
                skippedFiles: 0,
                failedFiles: 0,
                cpuPeak: 150,
                cpuTimeUser: 1,
                cpuTimeSystem: 0,
                memoryPeak: 64 << 20,
                system: SystemStats(cpuBaseline: 0, cpuPeak: 0, memoryBaseline: 0, memoryPeak: 0)
            )
            result.quality = psnr.map {
                QualitySummary(filesChecked: 1, psnrMin: $0, psnrMean: $0, rmseMax: 1, maxAbsError: 2)
            }
        }
        return result
    }

    @Test func queuePositionAndWaitFromRecentDurations() {
        let results = [
            result("done-1", .completed, created: 0, seconds: 10),
            result("done-2", .completed, created: 5, seconds: 20),
            result("running", .processing, created: 50), result("q-1", .queued, created: 100),
            result("q-2", .queued, created: 101), result("q-3", .queued, created: 102),
        ]
        #expect(JobQueries.meanProcessingTime(results) == 15)
        let position = JobQueries.queuePosition(of: results[5], among: results)
        #expect(position.ahead == 2)
        // Two queued ahead plus the running one, at 15 s each.
        #expect(position.estimatedWait == 45)
        #expect(JobQueries.queuePosition(of: results[3], among: results).ahead == 0)
    }

    @Test func comparisonPerLibraryAndRate() {
        let rows = JobQueries.comparison([
            result("a", .completed, created: 0, seconds: 10, rate: 100, psnr: 50),
            result("b", .completed, created: 1, seconds: 20, rate: 100, psnr: 40),
            result("c", .completed, created: 2, seconds: 30, rate: 100, library: .gdcmconv),
            result("d", .completed, created: 3, seconds: 5, rate: 1),
            result("e", .failed, created: 4),
        ])
        #expect(rows.map(\.library) == ["gdcmconv", "openjpeg", "openjpeg"])
        #expect(rows.map(\.rate) == [100, 1, 100])
        #expect(rows.map(\.count) == [1, 1, 2])
        #expect(rows[2].meanProcessingTime == 15)
        #expect(rows[2].meanPSNRMin == 45)
        #expect(rows[2].meanCompressionRatio == 10)
        #expect(rows[2].meanMemoryPeakMB == 64)
        #expect(rows[1].meanPSNRMin == nil)
    }

    @Test func theLocalResultStoreRoundTrips() async throws {
        try await withTemporaryDirectory { folder in
            let store = LocalResultStore(folder: folder.appendingPathComponent("results"))
            #expect(try await store.load(taskId: "x") == nil)
            let document = result("x", .completed, created: 0, psnr: 42)
            try await store.save(document)
            #expect(try await store.load(taskId: "x") == document)
            #expect(try await store.loadAll().map(\.taskId) == ["x"])
            #expect(store.location(of: "x").hasSuffix("results/x.json"))
        }
    }

    @Test func theMetricsRecordOfAJob() throws {
        var document = result("task-7", .completed, created: 0, psnr: 47.5)
        document.error = nil
        let record = JobMetrics.record(for: document, namespace: "NS", at: Date(timeIntervalSince1970: 1))
        #expect(record.namespace == "NS")
        #expect(record.dimensions.map(\.name) == ["library", "codec", "outcome"])
        #expect(record.dimensions.map(\.value) == ["openjpeg", "j2k", "completed"])
        #expect(record.timestamp == 1000)
        #expect(record.properties.first { $0.name == "taskId" }?.value == "task-7")
        let names = record.metrics.map(\.name)
        for name in [
            "ProcessingTime", "DownloadTime", "CompressionTime", "UploadTime", "QueueWaitTime", "OriginalBytes",
            "CompressedBytes", "CompressionRatio", "FilesProcessed", "FilesFailed", "MemoryPeak", "CPUPeak", "PSNRMin",
        ] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(record.metrics.first { $0.name == "MemoryPeak" }?.value == 64)
        #expect(!record.dimensions.contains { $0.name == "taskId" })
    }
}
