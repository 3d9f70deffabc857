import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import Transcoder

@testable import CompressionJob

/// Decides by file name, so the pipeline's bookkeeping can be checked without a real encoder (the
/// real transcoders are covered end to end in RunEndToEndTests).
private final class ScriptedProcessor: FileProcessor {
    let qualityRequests = Mutex<[[UInt8]]>([])

    func process(_ input: [UInt8], checkQuality: Bool) -> FileResult {
        if checkQuality { qualityRequests.withLock { $0.append(input) } }
        switch input.first {
        case UInt8(ascii: "D"):
            // "Compressed": a quarter of the size, pixel data twice the input.
            let quality =
                checkQuality
                ? TranscodeQuality(psnr: 50 + Double(input.count % 7), rmse: 2, maxAbsError: 9, sampleCount: 1) : nil
            return .compressed(
                TranscodedFile(
                    bytes: Array(input.prefix(max(1, input.count / 4))),
                    frames: 1,
                    pixelBytes: input.count * 2,
                    codestreamBytes: input.count / 8,
                    quality: quality
                )
            )
        case UInt8(ascii: "C"):
            return .copied(reason: "not DICOM")
        default:
            return .failed(.encodingFailed)
        }
    }
}

private let logger = Logger(label: "LocalJobTests", factory: { _ in SwiftLogNoOpLogHandler() })
private let worker = WorkerInfo(version: "test", openjpegVersion: "2.5.0", mode: .local, host: "test", attempt: 1)

@Suite struct LocalJobTests {
    @Test(.needs(.python)) func everyInputEndsUpInTheZipInKeyOrderAndIsReported() async throws {
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python")
        try await withTemporaryDirectory { folder in
            let source = folder.appendingPathComponent("study")
            try FileManager.default.createDirectory(
                at: source.appendingPathComponent("sub"),
                withIntermediateDirectories: true
            )
            let files: [(String, [UInt8])] = [
                ("a.dcm", Array(repeating: UInt8(ascii: "D"), count: 4000)),
                ("b.txt", Array("Copy me".utf8)),
                ("c.dcm", Array("Failing".utf8)),
                ("sub/d.dcm", Array(repeating: UInt8(ascii: "D"), count: 800)),
                ("sub/e.dcm", Array(repeating: UInt8(ascii: "D"), count: 1203)),
            ]
            for (name, bytes) in files { try Data(bytes).write(to: source.appendingPathComponent(name)) }
            let target = folder.appendingPathComponent("out.zip")
            let processor = ScriptedProcessor()
            let job = LocalJob(
                taskId: "t1",
                sourceFolder: source,
                targetZip: target,
                options: JobOptions(compressionRate: 50),
                threads: 2,
                worker: worker
            )
            let result = await job.run(processor: processor, logger: logger)

            #expect(result.status == .completed)
            #expect(result.success)
            #expect(result.error == nil)
            #expect(result.files.map(\.key) == files.map(\.0))
            #expect(result.files.map(\.status) == [.compressed, .copied, .failed, .compressed, .compressed])
            #expect(result.files[1].error == "not DICOM")
            #expect(result.files[2].errorCode == "encodingFailed")
            #expect(result.files[2].error?.contains("encodingFailed") == true)
            #expect(result.files[0].outputBytes == 1000)
            #expect(result.files[0].ratio == 4)
            #expect(result.files[0].pixelDataRatio == Double(2 * 4000) / Double(500))
            #expect(result.files[1].pixelDataRatio == nil)
            let stats = try #require(result.compressionStats)
            #expect(stats.originalSize == files.map(\.1.count).reduce(0, +))
            #expect(stats.compressedSize == 1000 + 7 + 7 + 200 + 300)
            #expect(stats.processedFiles == 5)
            #expect(stats.compressedFiles == 3)
            #expect(stats.copiedFiles == 1)
            #expect(stats.failedFiles == 1)
            #expect(stats.pixelDataRatio == Double(2 * (4000 + 800 + 1203)) / Double(500 + 100 + 150))
            #expect(stats.processingTime > 0)
            #expect(stats.compressionTime > 0)
            #expect(stats.uploadTime > 0)
            #expect(stats.memoryPeak > 1_000_000)
            // Sample quality check: the first, middle and last files (a.dcm, c.dcm, sub/e.dcm); c fails.
            #expect(processor.qualityRequests.withLock { $0.count } == 3)
            let quality = try #require(result.quality)
            #expect(quality.filesChecked == 2)
            #expect(quality.psnrMin == 50 + Double(4000 % 7))
            #expect(quality.psnrMean == (100 + Double(4000 % 7) + Double(1203 % 7)) / 2)
            #expect(quality.maxAbsError == 9)
            #expect(result.files[0].psnr == 50 + Double(4000 % 7))
            #expect(result.files[3].psnr == nil)
            #expect(result.files[4].psnr == 50 + Double(1203 % 7))

            // Python's zipfile reads exactly these entries, in key order, with these bytes.
            let expected: [[String: String]] = [
                ["name": "a.dcm", "hex": hex(Array(files[0].1.prefix(1000)))],
                ["name": "b.txt", "hex": hex(files[1].1)],
                ["name": "c.dcm", "hex": hex(files[2].1)],
                ["name": "sub/d.dcm", "hex": hex(Array(files[3].1.prefix(200)))],
                ["name": "sub/e.dcm", "hex": hex(Array(files[4].1.prefix(300)))],
            ]
            let manifest = folder.appendingPathComponent("manifest.json")
            try JSONSerialization.data(withJSONObject: expected).write(to: manifest)
            let check = try runProcess(
                python,
                [TestEnvironment.testsFolder("python/zip_check.py").path, target.path, manifest.path]
            )
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.contains("\"mismatches\": []"), "\(check.stdout)")
            // Nothing but the ZIP is left in the target folder (no partial file).
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            #expect(leftovers == ["manifest.json", "out.zip", "study"])
        }
    }

    @Test func missingSourceFailsTheJobAndLeavesNoArchive() async throws {
        try await withTemporaryDirectory { folder in
            let target = folder.appendingPathComponent("out.zip")
            let job = LocalJob(
                taskId: "t2",
                sourceFolder: folder.appendingPathComponent("nope"),
                targetZip: target,
                options: JobOptions(),
                threads: 1,
                worker: worker
            )
            let result = await job.run(processor: ScriptedProcessor(), logger: logger)
            #expect(result.status == .failed)
            #expect(!result.success)
            #expect(result.error?.code == .sourceUnavailable)
            #expect(result.error?.message.contains("nope") == true)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(leftovers.isEmpty)
        }
    }

    @Test func qualityCheckSelection() {
        typealias P = CompressionPipeline<ScriptedProcessor>
        #expect(P.qualityCheckIndices(count: 0, mode: .all) == [])
        #expect(P.qualityCheckIndices(count: 5, mode: .none) == [])
        #expect(P.qualityCheckIndices(count: 5, mode: .sample) == [0, 2, 4])
        #expect(P.qualityCheckIndices(count: 1, mode: .sample) == [0])
        #expect(P.qualityCheckIndices(count: 3, mode: .all) == [0, 1, 2])
    }
}

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// Takes its time per file, so a job can be cancelled while it runs; counts the files it saw.
private final class SlowProcessor: FileProcessor {
    let calls = Mutex(0)

    func process(_ input: [UInt8], checkQuality: Bool) -> FileResult {
        calls.withLock { $0 += 1 }
        usleep(50_000)
        return .copied(reason: "slow")
    }
}

@Suite struct LocalJobCancellationTests {
    @Test func aCancelledJobStopsEarlyAndLeavesNoArchive() async throws {
        try await withTemporaryDirectory { folder in
            let source = folder.appendingPathComponent("study")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            for index in 0..<200 { try Data([UInt8(index)]).write(to: source.appendingPathComponent("f\(index)")) }
            let target = folder.appendingPathComponent("out.zip")
            let job = LocalJob(
                taskId: "t3",
                sourceFolder: source,
                targetZip: target,
                options: JobOptions(),
                threads: 2,
                worker: worker
            )
            let processor = SlowProcessor()
            let task = Task { await job.run(processor: processor, logger: logger) }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.value
            #expect(result.status == .failed)
            #expect(result.error?.code == .cancelled)
            // Cancellation stops the job after the files in flight: far fewer than the 200 inputs.
            #expect(processor.calls.withLock { $0 } < 100)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(leftovers == ["study"])
        }
    }
}
