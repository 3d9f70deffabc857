import DICOM
import Foundation
import JPEG2000
import Logging
import Transcoder

/// Sizes and image quality of a set of JPEG 2000 outputs against their originals, measured the
/// same way for every encoder: codestream bytes from the output's fragments, errors by decoding
/// those codestreams with our decoder and comparing with the original frames.
struct StudyQuality: Encodable {
    var files = 0
    var frames = 0
    var inputBytes = 0
    var outputBytes = 0
    var pixelBytes = 0
    var codestreamBytes = 0
    var squaredErrorSum = 0.0
    var sampleCount = 0
    var maxAbsError = 0
    /// Lowest per-file PSNR (dB); `nil` while every file is exact.
    var psnrMin: Double?
    var peak = 0.0
    var problems: [String] = []

    /// Stored bytes ÷ codestream bytes.
    var pixelRatio: Double { codestreamBytes > 0 ? Double(pixelBytes) / Double(codestreamBytes) : 0 }
    /// Input file bytes ÷ output file bytes.
    var fileRatio: Double { outputBytes > 0 ? Double(inputBytes) / Double(outputBytes) : 0 }
    /// PSNR over every sample of the study (dB); `nil` when exact.
    var psnr: Double? {
        guard sampleCount > 0, squaredErrorSum > 0 else { return nil }
        return 10 * log10(peak * peak / (squaredErrorSum / Double(sampleCount)))
    }

    private enum CodingKeys: String, CodingKey {
        case files, frames, inputBytes, outputBytes, pixelBytes, codestreamBytes, maxAbsError, psnrMin, problems
        case pixelRatio, fileRatio, psnr
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(files, forKey: .files)
        try c.encode(frames, forKey: .frames)
        try c.encode(inputBytes, forKey: .inputBytes)
        try c.encode(outputBytes, forKey: .outputBytes)
        try c.encode(pixelBytes, forKey: .pixelBytes)
        try c.encode(codestreamBytes, forKey: .codestreamBytes)
        try c.encode(maxAbsError, forKey: .maxAbsError)
        try c.encodeIfPresent(psnrMin, forKey: .psnrMin)
        try c.encode(problems, forKey: .problems)
        try c.encode(pixelRatio, forKey: .pixelRatio)
        try c.encode(fileRatio, forKey: .fileRatio)
        try c.encodeIfPresent(psnr, forKey: .psnr)
    }

    /// Measures `outputs` (same keys as `study`), in parallel over the cores.
    static func measure(study: BenchStudy, outputs: [String: URL], logger: Logger) -> StudyQuality {
        let perFile = ConcurrentResults<StudyQuality>(count: study.files.count)
        DispatchQueue.concurrentPerform(iterations: study.files.count) { index in
            let file = study.files[index]
            var quality = StudyQuality()
            quality.add(original: file, output: outputs[file.key], logger: logger)
            perFile.set(index, quality)
        }
        var total = StudyQuality()
        for part in perFile.values { total.merge(part) }
        return total
    }

    private mutating func add(original: BenchStudy.File, output: URL?, logger: Logger) {
        guard let encoderInputs = original.encoderInputs else { return }
        guard let output, let bytes = try? [UInt8](Data(contentsOf: output)) else {
            problems.append("\(original.key): no output")
            return
        }
        do {
            let file = try DICOMFile(bytes: bytes)
            guard case .encapsulated(let pixels) = file.dataSet.pixelData else {
                problems.append("\(original.key): output is not encapsulated")
                return
            }
            let frameFragments = try pixels.frameFragments(frameCount: encoderInputs.frames.count)
            var fileSquares = 0.0
            var fileSamples = 0
            for (frame, fragments) in zip(encoderInputs.frames, frameFragments) {
                let codestream = fragments.flatMap { $0 }
                codestreamBytes += codestream.count
                let decoded = try JPEG2000Decoder.decode(codestream, logger: logger)
                let metrics = try JPEG2000QualityMetrics.compare(
                    original: frame,
                    layout: encoderInputs.layout,
                    decoded: decoded
                )
                fileSquares += metrics.rmse * metrics.rmse * Double(metrics.sampleCount)
                fileSamples += metrics.sampleCount
                maxAbsError = max(maxAbsError, metrics.maxAbsoluteError)
                frames += 1
            }
            peak = encoderInputs.layout.peakValue
            if fileSquares > 0 {
                let filePSNR = 10 * log10(peak * peak / (fileSquares / Double(fileSamples)))
                psnrMin = min(psnrMin ?? filePSNR, filePSNR)
            }
            squaredErrorSum += fileSquares
            sampleCount += fileSamples
            files += 1
            inputBytes += original.bytes.count
            outputBytes += bytes.count
            pixelBytes += encoderInputs.frames.reduce(0) { $0 + $1.count }
        } catch {
            problems.append("\(original.key): \(error)")
        }
    }

    private mutating func merge(_ other: StudyQuality) {
        files += other.files
        frames += other.frames
        inputBytes += other.inputBytes
        outputBytes += other.outputBytes
        pixelBytes += other.pixelBytes
        codestreamBytes += other.codestreamBytes
        squaredErrorSum += other.squaredErrorSum
        sampleCount += other.sampleCount
        maxAbsError = max(maxAbsError, other.maxAbsError)
        if let otherMin = other.psnrMin { psnrMin = min(psnrMin ?? otherMin, otherMin) }
        peak = max(peak, other.peak)
        problems += other.problems
    }
}

/// One slot per index, filled from concurrent work.
final class ConcurrentResults<T>: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var slots: [T?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: T) { lock.withLock { slots[index] = value } }
    var values: [T] { lock.withLock { slots.compactMap { $0 } } }
}
