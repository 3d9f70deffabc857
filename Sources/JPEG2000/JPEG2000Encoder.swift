import Logging

/// Encodes single frames to raw JPEG 2000 codestreams with OpenJPEG.
///
/// Every call creates its own OpenJPEG codec, so calls from several threads at once are safe.
/// The work is CPU-bound and blocking; async callers should run it off the cooperative pool.
public enum JPEG2000Encoder {
    /// Encodes one frame.
    ///
    /// Bits above Bits Stored are masked off and signed samples sign-extended before encoding; the
    /// codestream's precision is Bits Stored and its sign the layout's. Small images get fewer
    /// wavelet resolution levels (six at most), so 1×N images encode too.
    ///
    /// Lossy ratios are measured against the frame's size as stored (Bits Allocated). OpenJPEG's own
    /// rate is relative to the precision, so the rate handed to it is `target × bitsStored ÷
    /// bitsAllocated`. When OpenJPEG's rate allocation still misses the target by more than
    /// ``JPEG2000EncodingOptions/ratioTolerance``, the frame is encoded again (at most three passes in
    /// all) with a corrected rate, and the pass closest to the target is kept (see
    /// ``JPEG2000EncodedFrame/passes``).
    ///
    /// - Parameters:
    ///   - frame: exactly `layout.frameByteCount` bytes, little-endian samples.
    ///   - layout: the frame's shape and sample format.
    ///   - options: lossless or lossy, colour transform, tolerance.
    ///   - logger: receives OpenJPEG's info (trace) and warning (info) messages.
    /// - Returns: the codestream and the achieved ratio.
    /// - Throws: ``JPEG2000Error/invalidLayout``, ``JPEG2000Error/sampleCountMismatch`` or
    ///   ``JPEG2000Error/invalidOptions`` for bad input; ``JPEG2000Error/encodingFailed`` or
    ///   ``JPEG2000Error/outOfMemory`` when OpenJPEG fails, with its error messages attached.
    public static func encode(
        _ frame: some Collection<UInt8>,
        layout: JPEG2000SampleLayout,
        options: JPEG2000EncodingOptions,
        logger: Logger
    ) throws -> JPEG2000EncodedFrame {
        try layout.validate()
        try options.validate()
        guard frame.count == layout.frameByteCount else {
            throw JPEG2000Error.sampleCountMismatch(
                "a frame of \(layout) needs \(layout.frameByteCount) bytes, got \(frame.count)"
            )
        }
        if let result = try frame.withContiguousStorageIfAvailable({ buffer in
            try encode(UnsafeRawBufferPointer(buffer), layout: layout, options: options, logger: logger)
        }) {
            return result
        }
        let copy = Array(frame)
        return try copy.withUnsafeBytes { try encode($0, layout: layout, options: options, logger: logger) }
    }

    private static func encode(
        _ frame: UnsafeRawBufferPointer,
        layout: JPEG2000SampleLayout,
        options: JPEG2000EncodingOptions,
        logger: Logger
    ) throws -> JPEG2000EncodedFrame {
        var settings = OpenJPEGFrameEncoder.Settings(
            openJPEGRate: nil,
            colorTransform: options.colorTransform,
            threads: options.codecThreads,
            bypass: options.speed == .fast
        )
        guard let target = options.mode.targetRatio else {
            let codestream = try OpenJPEGFrameEncoder.encode(frame, layout: layout, settings: settings, logger: logger)
            return JPEG2000EncodedFrame(codestream: codestream, uncompressedByteCount: frame.count, passes: 1)
        }

        // OpenJPEG's budget is numcomps·w·h·prec / (8·rate); ours is the stored size ÷ target.
        var rate = target * Double(layout.bitsStored) / Double(layout.bitsAllocated)
        var tried: [(rate: Double, ratio: Double)] = []
        var best: JPEG2000EncodedFrame?
        for pass in 1...maximumPasses {
            settings.openJPEGRate = rate
            let codestream = try OpenJPEGFrameEncoder.encode(frame, layout: layout, settings: settings, logger: logger)
            let attempt = JPEG2000EncodedFrame(codestream: codestream, uncompressedByteCount: frame.count, passes: pass)
            tried.append((rate, attempt.ratio))
            if let current = best, relativeError(current.ratio, target) <= relativeError(attempt.ratio, target) {
                best?.passes = pass
            } else {
                best = attempt
                best?.passes = pass
            }
            // A budget below the codestream's own headers cannot be met by any pass: one is
            // enough (and a file of many tiny frames does not pay three encodes per frame).
            guard Double(frame.count) / target >= minimumCodestreamBytes else { break }
            guard let current = best, relativeError(current.ratio, target) > options.ratioTolerance,
                let next = nextRate(after: tried, target: target)
            else { break }
            logger.debug(
                "jpeg2000 ratio off target",
                metadata: [
                    "jpeg2000.target": "\(target)", "jpeg2000.achieved": "\(attempt.ratio)", "jpeg2000.pass": "\(pass)",
                ]
            )
            rate = next
        }
        guard let best else { throw JPEG2000Error.encodingFailed("no encoding pass ran", messages: []) }
        return best
    }

    /// At most this many encodes per lossy frame. OpenJPEG's rate allocation usually lands within
    /// a few percent at once; the extra passes are for frames where it does not.
    static let maximumPasses = 3

    /// About the smallest codestream OpenJPEG writes for one tile (main and tile-part headers).
    static let minimumCodestreamBytes = 128.0

    /// The OpenJPEG rate for the next pass, or `nil` when another pass cannot help.
    ///
    /// The codestream size follows OpenJPEG's budget closely but not exactly: headers, the
    /// granularity of whole coding passes at small budgets, images needing fewer bytes than the
    /// budget. With results on both sides of the target, the next rate is the geometric mean of the
    /// closest two (bisection); otherwise the last rate is scaled by the observed miss.
    private static func nextRate(after tried: [(rate: Double, ratio: Double)], target: Double) -> Double? {
        let below = tried.filter { $0.ratio < target }.max { $0.ratio < $1.ratio }
        let above = tried.filter { $0.ratio > target }.min { $0.ratio < $1.ratio }
        let next: Double
        if let below, let above {
            next = (below.rate * above.rate).squareRoot()
        } else if let last = tried.last {
            next = last.rate * target / last.ratio
        } else {
            return nil
        }
        // A rate at or below 1 means "keep everything" to OpenJPEG; a rate already tried gains nothing.
        guard next.isFinite, next > 1, !tried.contains(where: { abs($0.rate / next - 1) < 0.002 }) else { return nil }
        return next
    }

    private static func relativeError(_ achieved: Double, _ target: Double) -> Double {
        abs(achieved / target - 1)
    }
}
