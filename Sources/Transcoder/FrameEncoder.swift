import HTJ2K
import JPEG2000
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the last search of a series ended, so the next slice starts there: neighbouring CT slices
/// need almost the same quantisation step (or OpenJPEG rate) for the same target.
///
/// Keyed by codec, mode and frame layout, which stands in for "the series". Shared by every thread
/// of a job: last writer wins, which is fine, since any recent slice is a good start and a start
/// only changes how many encodes the search needs, never what it accepts.
public final class SearchHints: Sendable {
    private let knobs = Mutex<[String: Double]>([:])

    public init() {}

    func knob(for key: String) -> Double? { knobs.withLock { $0[key] } }
    func record(_ knob: Double, for key: String) { knobs.withLock { $0[key] = knob } }
}

/// A quality the output must reach in every frame.
enum QualityTarget {
    case psnr(Double)
    case maxError(Int)

    func isMet(_ metrics: JPEG2000QualityMetrics) -> Bool {
        switch self {
        case .psnr(let target): metrics.psnr >= target
        case .maxError(let target): metrics.maxAbsoluteError <= target
        }
    }

    /// Met, and so close to the limit that a smaller output is not worth more encodes: within
    /// 0.2 dB, or at the error limit (within 10% for limits of 10 and more).
    func isClose(_ metrics: JPEG2000QualityMetrics) -> Bool {
        guard isMet(metrics) else { return false }
        switch self {
        case .psnr(let target): return metrics.psnr - target <= 0.2
        case .maxError(let target): return metrics.maxAbsoluteError >= target - target / 10
        }
    }

    /// y(x) − target for the step search: PSNR in dB, or −log(max error + 1). Positive = better
    /// than needed (the output may shrink).
    func residual(_ metrics: JPEG2000QualityMetrics) -> Double {
        switch self {
        case .psnr(let target):
            return metrics.psnr.isFinite ? metrics.psnr - target : 50
        case .maxError(let target):
            return log(Double(target) + 1) - log(Double(metrics.maxAbsoluteError) + 1)
        }
    }
}

/// One frame encoded for the file.
struct EncodedFrameResult {
    var codestream: [UInt8]
    /// Encodes this frame cost.
    var encodes: Int
    /// From the verification decode (quality target, or the quality check), else `nil`.
    var metrics: JPEG2000QualityMetrics?
    /// Set when the quality target could not be reached below the lossless size: the reason.
    var needsLossless: String?
    /// The lossless codestream, when the search made one for comparison.
    var losslessCodestream: [UInt8]?
}

/// The codec choice, in one place: which encoder, decoder and search knob a frame gets.
struct FrameEncoder {
    let codec: TranscoderOptions.Codec
    /// Lossless or lossy at a ratio (the quality modes pass their own knob per encode).
    let encoding: JPEG2000EncodingOptions
    let hints: SearchHints
    let logger: Logger

    /// A quality search stops after this many encodes and keeps the smallest that met the target.
    static let maximumQualityEncodes = 10
    /// A lossy result at this ratio or above is taken without a lossless encode to compare with:
    /// lossless JPEG 2000 of CT lands at 2–5:1 (measured; the phantom 4.1:1 Part 1).
    static let losslessProbeBelowRatio = 8.0

    private func hintKey(_ layout: JPEG2000SampleLayout, _ what: String) -> String {
        "\(codec.rawValue)|\(what)|\(layout)"
    }

    /// Lossless or rate mode: one encoder call (OpenJPEG corrects its own ratio in up to 3 passes;
    /// HTJ2K searches the quantisation step, warm-started from the series).
    func encode(_ frame: ArraySlice<UInt8>, layout: JPEG2000SampleLayout) throws -> (codestream: [UInt8], encodes: Int)
    {
        switch codec {
        case .jpeg2000:
            let encoded = try JPEG2000Encoder.encode(frame, layout: layout, options: encoding, logger: logger)
            return (encoded.codestream, encoded.passes)
        case .htj2k:
            let key = hintKey(layout, encoding.mode.description)
            let encoded = try HTJ2KEncoder.encode(
                frame,
                layout: layout,
                options: encoding,
                startStep: hints.knob(for: key),
                logger: logger
            )
            if let step = encoded.quantizationStep { hints.record(step, for: key) }
            return (encoded.frame.codestream, encoded.frame.passes)
        }
    }

    /// Our own decoder for this codec's codestreams (OpenJPH for HTJ2K, OpenJPEG for Part 1).
    func decode(_ codestream: [UInt8]) throws -> JPEG2000DecodedImage {
        switch codec {
        case .jpeg2000: try JPEG2000Decoder.decode(codestream, logger: logger)
        case .htj2k: try HTJ2KDecoder.decode(codestream, logger: logger)
        }
    }

    func measure(
        _ codestream: [UInt8],
        frame: ArraySlice<UInt8>,
        layout: JPEG2000SampleLayout
    ) throws
        -> JPEG2000QualityMetrics
    {
        try JPEG2000QualityMetrics.compare(original: frame, layout: layout, decoded: decode(codestream))
    }

    /// The smallest lossy encode of `frame` that meets `target`, each candidate verified by decoding.
    ///
    /// The knob is log(quantisation step) for HTJ2K and log(OpenJPEG rate) for Part 1; the search is
    /// ``StepSearch`` on the quality residual. When nothing met the target, or the best result is
    /// below ``losslessProbeBelowRatio``, the frame is also encoded losslessly; if that is no larger,
    /// the result says the frame needs lossless.
    func search(
        _ frame: ArraySlice<UInt8>,
        layout: JPEG2000SampleLayout,
        target: QualityTarget
    ) throws
        -> EncodedFrameResult
    {
        if case .maxError(0) = target {
            let lossless = try encodeLossless(frame, layout: layout)
            return EncodedFrameResult(
                codestream: lossless,
                encodes: 1,
                metrics: nil,
                needsLossless: "a maximum error of 0 is lossless",
                losslessCodestream: lossless
            )
        }
        let full = Double(1 << layout.bitsStored)
        let range: ClosedRange<Double>
        let prior: Double
        let slope: Double
        let encodeAt: (Double) throws -> [UInt8]
        switch codec {
        case .htj2k:
            let planes = try HTJ2KEncoder.samplePlanes(frame, layout: layout)
            range = HTJ2KEncoder.stepRange
            // Uniform quantisation noise: MSE ≈ Δ²/12, so Δ ≈ peak·√12·10^(−PSNR/20); a 9/7 wavelet's
            // worst sample is off by about 1.5 Δ.
            switch target {
            case .psnr(let psnr): prior = log(12.0.squareRoot() * pow(10, -psnr / 20))
            case .maxError(let error): prior = log(Double(error) / (1.5 * full))
            }
            slope = { if case .psnr = target { -7.0 } else { -1.0 } }()
            encodeAt = { x in
                try HTJ2KEncoder.encode(planes: planes, layout: layout, step: exp(x), options: encoding, logger: logger)
            }
        case .jpeg2000:
            range = log(1.05)...log(5000)
            prior = log(20)
            slope = { if case .psnr = target { -5.0 } else { -0.8 } }()
            encodeAt = { x in
                try frame.withUnsafeBytes { bytes in
                    try JPEG2000Encoder.encodeOnce(
                        bytes,
                        layout: layout,
                        options: encoding,
                        openJPEGRate: exp(x),
                        logger: logger
                    )
                }
            }
        }
        let key = hintKey(layout, "\(target)")
        var search = StepSearch(range: range, priorSlope: slope, minimumStep: 0.05)
        var x = search.clamped(hints.knob(for: key) ?? prior)
        var best: (codestream: [UInt8], metrics: JPEG2000QualityMetrics, x: Double)?
        var encodes = 0
        while encodes < Self.maximumQualityEncodes {
            let codestream = try encodeAt(x)
            encodes += 1
            let metrics = try measure(codestream, frame: frame, layout: layout)
            if target.isMet(metrics), best == nil || codestream.count < best!.codestream.count {
                best = (codestream, metrics, x)
            }
            if target.isClose(metrics) { break }
            guard let next = search.record(x: x, residual: target.residual(metrics)) else { break }
            x = next
        }
        if let best { hints.record(best.x, for: key) }

        let raw = Double(layout.frameByteCount)
        if let best, raw / Double(max(1, best.codestream.count)) >= Self.losslessProbeBelowRatio {
            return EncodedFrameResult(codestream: best.codestream, encodes: encodes, metrics: best.metrics)
        }
        let lossless = try encodeLossless(frame, layout: layout)
        encodes += 1
        guard let best else {
            return EncodedFrameResult(
                codestream: lossless,
                encodes: encodes,
                metrics: nil,
                needsLossless: "no lossy encode reached \(target) in \(encodes - 1) encodes",
                losslessCodestream: lossless
            )
        }
        if lossless.count <= best.codestream.count {
            return EncodedFrameResult(
                codestream: lossless,
                encodes: encodes,
                metrics: nil,
                needsLossless: "the smallest lossy encode reaching \(target) (\(best.codestream.count) bytes) "
                    + "is not smaller than lossless (\(lossless.count) bytes)",
                losslessCodestream: lossless
            )
        }
        return EncodedFrameResult(codestream: best.codestream, encodes: encodes, metrics: best.metrics)
    }

    func encodeLossless(_ frame: ArraySlice<UInt8>, layout: JPEG2000SampleLayout) throws -> [UInt8] {
        var lossless = encoding
        lossless.mode = .lossless
        return try FrameEncoder(codec: codec, encoding: lossless, hints: hints, logger: logger)
            .encode(frame, layout: layout).codestream
    }
}

extension QualityTarget: CustomStringConvertible {
    var description: String {
        switch self {
        case .psnr(let psnr): "PSNR >= \(psnr) dB"
        case .maxError(let error): "max error <= \(error)"
        }
    }
}
