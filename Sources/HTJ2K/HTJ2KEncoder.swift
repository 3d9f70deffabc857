import JPEG2000
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One frame encoded as HTJ2K, with the quantisation step that produced it.
public struct HTJ2KEncodedFrame: Sendable {
    /// The codestream, achieved ratio and the number of encodes (``JPEG2000EncodedFrame/passes``).
    public var frame: JPEG2000EncodedFrame
    /// OpenJPH's base step (relative to full scale 2^BitsStored); `nil` for lossless. The next
    /// slice of a series starts its search here.
    public var quantizationStep: Double?
}

/// Encodes single frames to HTJ2K (JPEG 2000 Part 15) codestreams with OpenJPH, and decodes them.
///
/// Lossless is the reversible 5/3 path. Lossy is the 9/7 path with one base quantisation step:
/// OpenJPH has no rate control, so a target ratio is reached by searching the step (see
/// ``encode(_:layout:options:startStep:logger:)``). Every call uses its own OpenJPH codestream, so
/// calls from several threads at once are safe.
public enum HTJ2KEncoder {
    /// OpenJPH's version string, e.g. `0.9.0`.
    public static var openJPHVersion: String { OpenJPH.version }

    /// The most encodes one lossy frame may cost in the rate search.
    public static let maximumEncodes = 12

    /// Where the quantisation step may go: below 1e-6 nothing changes any more; above 0.45 the
    /// Debian OpenJPH aborts on some images (an assertion in its block coder), so the shim refuses
    /// it. At 0.45 a 12-bit CT slice is already near 500:1.
    package static let stepRange: ClosedRange<Double> = log(1e-6)...log(0.45)

    /// Encodes one frame.
    ///
    /// Samples are read as the OpenJPEG path reads them (bits above Bits Stored masked, signed
    /// values sign-extended), so the declared depth always holds them. Lossy: the search runs on
    /// x = log(step) against y = log(bytes) towards the byte target (stored frame bytes ÷ target
    /// ratio) and stops within ``JPEG2000EncodingOptions/ratioTolerance`` or after
    /// ``maximumEncodes`` encodes, keeping the encode closest to the target.
    ///
    /// - Parameters:
    ///   - startStep: where the search starts (the previous slice's step); `nil` uses a prior
    ///     from measured CT curves.
    /// - Throws: ``JPEG2000Error`` for a bad layout, options or sample count, or when OpenJPH fails.
    public static func encode(
        _ frame: some Collection<UInt8>,
        layout: JPEG2000SampleLayout,
        options: JPEG2000EncodingOptions,
        startStep: Double? = nil,
        logger: Logger
    ) throws -> HTJ2KEncodedFrame {
        let planes = try samplePlanes(frame, layout: layout)
        try options.validate()
        guard let target = options.mode.targetRatio else {
            let codestream = try encode(planes: planes, layout: layout, step: nil, options: options, logger: logger)
            return HTJ2KEncodedFrame(
                frame: JPEG2000EncodedFrame.make(
                    codestream: codestream,
                    uncompressedByteCount: layout.frameByteCount,
                    passes: 1
                ),
                quantizationStep: nil
            )
        }
        let targetBytes = Double(layout.frameByteCount) / target
        var search = StepSearch(range: stepRange, priorSlope: -0.6, minimumStep: 0.01)
        var x = search.clamped(log(startStep ?? priorStep(ratio: target, layout: layout)))
        var best: (codestream: [UInt8], step: Double, miss: Double)?
        var encodes = 0
        while encodes < maximumEncodes {
            let step = exp(x)
            let codestream = try encode(planes: planes, layout: layout, step: step, options: options, logger: logger)
            encodes += 1
            // Judged on the ratio, as the caller states the target: target bytes ÷ bytes − 1.
            let miss = targetBytes / Double(max(1, codestream.count)) - 1
            if best == nil || abs(miss) < abs(best!.miss) { best = (codestream, step, miss) }
            if abs(miss) <= options.ratioTolerance { break }
            guard let next = search.record(x: x, residual: log(Double(max(1, codestream.count)) / targetBytes)) else {
                break
            }
            x = next
        }
        guard let best else { throw JPEG2000Error.encodingFailed("no encode ran", messages: []) }
        if abs(best.miss) > options.ratioTolerance {
            logger.debug(
                "htj2k ratio off target",
                metadata: ["htj2k.target": "\(target)", "htj2k.miss": "\(best.miss)", "htj2k.encodes": "\(encodes)"]
            )
        }
        return HTJ2KEncodedFrame(
            frame: JPEG2000EncodedFrame.make(
                codestream: best.codestream,
                uncompressedByteCount: layout.frameByteCount,
                passes: encodes
            ),
            quantizationStep: best.step
        )
    }

    /// One encode at exactly `step` (`nil` = lossless) of planes made by ``samplePlanes(_:layout:)``:
    /// the step of a search the caller runs itself (the quality target).
    package static func encode(
        planes: [Int32],
        layout: JPEG2000SampleLayout,
        step: Double?,
        options: JPEG2000EncodingOptions,
        logger: Logger
    ) throws -> [UInt8] {
        try OpenJPH.encode(
            planes: planes,
            layout: layout,
            quantizationStep: step,
            colorTransform: options.colorTransform,
            logger: logger
        )
    }

    /// The frame's true sample values, one component plane after another.
    package static func samplePlanes(_ frame: some Collection<UInt8>, layout: JPEG2000SampleLayout) throws -> [Int32] {
        try layout.validate()
        guard frame.count == layout.frameByteCount else {
            throw JPEG2000Error.sampleCountMismatch(
                "a frame of \(layout) needs \(layout.frameByteCount) bytes, got \(frame.count)"
            )
        }
        var planes = [Int32](repeating: 0, count: layout.pixelCount * layout.samplesPerPixel)
        let fill = { (bytes: UnsafeRawBufferPointer) in
            planes.withUnsafeMutableBufferPointer { all in
                for component in 0..<layout.samplesPerPixel {
                    let range = (component * layout.pixelCount)..<((component + 1) * layout.pixelCount)
                    layout.unpack(
                        component: component,
                        from: bytes,
                        into: UnsafeMutableBufferPointer(rebasing: all[range])
                    )
                }
            }
        }
        if frame.withContiguousStorageIfAvailable({ fill(UnsafeRawBufferPointer($0)) }) == nil {
            Array(frame).withUnsafeBytes { fill($0) }
        }
        return planes
    }

    /// A first step for `ratio` from measured CT curves: the step in sample units that gave 10, 50,
    /// 100 and 500:1 (geometric means over six 512×512 slices: 4, 99, 269, 1475), interpolated in
    /// log–log and made relative to full scale 2^BitsStored as OpenJPH wants it.
    static func priorStep(ratio: Double, layout: JPEG2000SampleLayout) -> Double {
        let table: [(ratio: Double, delta: Double)] = [(10, 4), (50, 99), (100, 269), (500, 1475)]
        let r = log(max(ratio, 1.01))
        var lower = table[0]
        var upper = table[1]
        for index in 1..<table.count where r > log(table[index - 1].ratio) {
            lower = table[index - 1]
            upper = table[index]
        }
        let t = (r - log(lower.ratio)) / (log(upper.ratio) - log(lower.ratio))
        let delta = exp(log(lower.delta) + t * (log(upper.delta) - log(lower.delta)))
        return delta / Double(1 << layout.bitsStored)
    }
}

/// Decodes HTJ2K codestreams with OpenJPH, for our own quality check (the tests decode with
/// OpenJPEG and GDCM instead). Lossy samples are clamped to the codestream's SIZ range.
public enum HTJ2KDecoder {
    /// Decodes a raw codestream.
    /// - Throws: ``JPEG2000Error/decodingFailed`` with OpenJPH's messages,
    ///   ``JPEG2000Error/imageTooLarge`` or ``JPEG2000Error/unsupportedCodestream``.
    public static func decode(
        _ codestream: [UInt8],
        maximumSampleCount: Int = JPEG2000Decoder.defaultMaximumSampleCount,
        logger: Logger
    ) throws -> JPEG2000DecodedImage {
        try OpenJPH.decode(codestream, maximumSampleCount: maximumSampleCount, logger: logger)
    }
}
