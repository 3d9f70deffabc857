import Foundation
import Logging
import Synchronization
import Transcoder

#if canImport(Glibc)
import Glibc
#endif

/// The whole study through ``Transcoder`` in this process, `threads` files at a time: parsing,
/// encoding (with every search encode) and writing each output, without the job's I/O and ZIP.
/// The same method for every codec and mode, so these rows compare codecs, not pipelines.
struct InProcessRun: Encodable {
    var name: String
    var timing: BenchTiming
    var quality: StudyQuality?
    var encodesMean = 0.0
    var encodesMax = 0
    /// Per-file ratio (stored pixel bytes ÷ codestream bytes), lowest and highest.
    var fileRatioMin = 0.0
    var fileRatioMax = 0.0
    /// Quality mode: files whose target was met, and files stored lossless.
    var targetsMet: Int?
    var storedLossless: Int?
    var failures: [String] = []

    static func run(
        name: String,
        study: BenchStudy,
        options: TranscoderOptions,
        threads: Int,
        outputFolder: URL,
        logger: Logger
    ) throws -> InProcessRun {
        let transcoder = Transcoder(options: options, logger: logger)
        let outputs = ConcurrentResults<(Int, TranscodedFile?, String?)>(count: study.files.count)
        let next = Atomic(0)
        let cpuStart = processCPUSeconds()
        let wallStart = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < study.files.count else { return }
                do {
                    switch try transcoder.transcode(study.files[index].bytes) {
                    case .transcoded(let file): outputs.set(index, (index, file, nil))
                    case .notTranscodable: outputs.set(index, (index, nil, nil))
                    }
                } catch {
                    outputs.set(index, (index, nil, "\(study.files[index].key): \(error)"))
                }
            }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        let cpu = processCPUSeconds() - cpuStart

        var run = InProcessRun(
            name: name,
            timing: BenchTiming(wallSeconds: wall, cpuSeconds: cpu, peakResidentBytes: nil)
        )
        var encodes: [Int] = []
        var ratios: [Double] = []
        var met = 0
        var lossless = 0
        var files: [String: URL] = [:]
        for (index, file, failure) in outputs.values {
            if let failure { run.failures.append(failure) }
            guard let file else { continue }
            let key = study.files[index].key
            let url = outputFolder.appendingPathComponent(key)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(file.bytes).write(to: url)
            files[key] = url
            encodes += file.encodesPerFrame
            ratios.append(file.ratio)
            if let target = file.qualityTarget {
                if target.met { met += 1 }
                if target.storedLossless { lossless += 1 }
            }
        }
        run.encodesMean = encodes.isEmpty ? 0 : Double(encodes.reduce(0, +)) / Double(encodes.count)
        run.encodesMax = encodes.max() ?? 0
        run.fileRatioMin = ratios.min() ?? 0
        run.fileRatioMax = ratios.max() ?? 0
        if case .targetPSNR = options.mode { (run.targetsMet, run.storedLossless) = (met, lossless) }
        if case .maxError = options.mode { (run.targetsMet, run.storedLossless) = (met, lossless) }
        // Decoded with OpenJPEG (which reads HTJ2K too), the same measurement as every other row.
        run.quality = StudyQuality.measure(study: study, outputs: files, logger: logger)
        return run
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
