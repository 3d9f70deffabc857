import CompressionJob
import Foundation
import JPEG2000
import Logging
import Synchronization
import Transcoder

#if canImport(Glibc)
import Glibc
#endif

/// Time, CPU and memory of one contender.
struct BenchTiming: Encodable {
    var wallSeconds: Double
    var cpuSeconds: Double
    /// Peak resident memory (bytes) of the process that did the work; for a pool of processes,
    /// the largest of them.
    var peakResidentBytes: Int?
}

enum BenchRunners {
    /// Encodes every frame of the study once, one after another on this thread, exactly as the job
    /// would (same layout and options): the encoder's own cost, with no I/O, parsing or ZIP.
    static func encoderAlone(_ study: BenchStudy, logger: Logger) throws -> BenchTiming {
        let wallStart = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUSeconds()
        for file in study.files {
            guard let inputs = file.encoderInputs else { continue }
            for frame in inputs.frames {
                _ = try JPEG2000Encoder.encode(frame, layout: inputs.layout, options: inputs.options, logger: logger)
            }
        }
        return BenchTiming(
            wallSeconds: Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9,
            cpuSeconds: threadCPUSeconds() - cpuStart,
            peakResidentBytes: nil
        )
    }

    /// `dicom-j2k run` on the study as a separate process: wall and CPU time from the kernel
    /// (`wait4`), peak memory as the job measured it (its own `VmHWM`; `ru_maxrss` would include
    /// the bench's memory at spawn time).
    static func ourJob(
        executable: String,
        folder: URL,
        zip: URL,
        resultJSON: URL,
        rate: Double,
        threads: Int
    ) throws -> BenchTiming {
        let arguments =
            [
                "run", "--source", folder.path, "--target", zip.path, "--threads", String(threads),
                "--quality-check", "none", "--result", resultJSON.path,
            ] + (rate == 1 ? ["--lossless"] : ["--rate", String(rate)])
        let run = try ChildProcess.run(executable, arguments, timeout: 3600)
        guard run.status == 0 else {
            throw BenchError(description: "dicom-j2k run exited with status \(run.status): \(run.stderr)")
        }
        let result = try JobResult.makeDecoder().decode(JobResult.self, from: Data(contentsOf: resultJSON))
        return BenchTiming(
            wallSeconds: run.wallSeconds,
            cpuSeconds: run.userSeconds + run.systemSeconds,
            peakResidentBytes: result.compressionStats?.memoryPeak
        )
    }

    /// `gdcmconv` once per image file, `parallel` processes at a time (the prototype's method,
    /// bounded), writing into `outputFolder` under the same keys.
    static func gdcmconv(
        backend: GDCMConvBackend,
        folder: URL,
        keys images: [String],
        outputFolder: URL,
        rate: Double,
        parallel: Int
    ) throws -> BenchTiming {
        for key in images {
            try FileManager.default.createDirectory(
                at: outputFolder.appendingPathComponent(key).deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
        }
        let next = Atomic(0)
        let totals = Mutex((cpu: 0.0, peak: 0, failure: String?.none))
        let mode: GDCMConvBackend.Mode = rate == 1 ? .lossless : .lossy(rate: rate)
        let wallStart = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: max(1, parallel)) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < images.count else { return }
                let key = images[index]
                do {
                    let run = try backend.transcode(
                        input: folder.appendingPathComponent(key).path,
                        output: outputFolder.appendingPathComponent(key).path,
                        mode: mode
                    )
                    totals.withLock {
                        $0.cpu += run.userSeconds + run.systemSeconds
                        $0.peak = max($0.peak, run.maxResidentBytes)
                    }
                } catch {
                    totals.withLock { if $0.failure == nil { $0.failure = "\(key): \(error)" } }
                }
            }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        let result = totals.withLock { $0 }
        if let failure = result.failure { throw BenchError(description: "gdcmconv failed on \(failure)") }
        return BenchTiming(wallSeconds: wall, cpuSeconds: result.cpu, peakResidentBytes: result.peak)
    }

    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
}
