import Foundation

/// What became of one input file.
public enum TranscodeOutcome: Sendable {
    /// The file was compressed.
    case transcoded(TranscodedFile)
    /// The file is not for us; the caller copies the input unchanged. `reason` says why in a few
    /// words: `not DICOM`, `already compressed: JPEG 2000`, `no pixel data`, or
    /// `unsupported layout: …` naming the attribute.
    case notTranscodable(reason: String)
}

/// A compressed file and its figures.
public struct TranscodedFile: Sendable {
    /// The output Part 10 file.
    public var bytes: [UInt8]
    public var frames: Int
    /// Uncompressed pixel bytes as stored: Rows × Columns × Samples per Pixel × Bits Allocated / 8 ×
    /// frames (padding after the last frame not counted).
    public var pixelBytes: Int
    /// The codestreams' bytes, summed over frames (without the padding byte of odd-length fragments).
    public var codestreamBytes: Int
    /// `pixelBytes / codestreamBytes`: the value written to Lossy Image Compression Ratio.
    public var ratio: Double
    /// Image quality of the output against the input, over every frame; `nil` unless asked for.
    public var quality: TranscodeQuality?
    /// CPU time and peak memory of the external process that did the work (``GDCMTranscoder``
    /// only), so benchmarks can add it to their own process's figures.
    public var externalUsage: GDCMConvBackend.Run?
    /// The codec that wrote the output (`j2k` for ``GDCMTranscoder``).
    public var codec: TranscoderOptions.Codec = .jpeg2000
    /// Encodes each frame cost (rate search, quality search and lossless probes), in frame order;
    /// empty for ``GDCMTranscoder``.
    public var encodesPerFrame: [Int] = []
    /// How the quality target went (``TranscoderOptions/Mode/targetPSNR(_:)`` and
    /// ``TranscoderOptions/Mode/maxError(_:)`` only).
    public var qualityTarget: QualityTargetResult?

    public init(
        bytes: [UInt8],
        frames: Int,
        pixelBytes: Int,
        codestreamBytes: Int,
        quality: TranscodeQuality? = nil,
        externalUsage: GDCMConvBackend.Run? = nil
    ) {
        self.bytes = bytes
        self.frames = frames
        self.pixelBytes = pixelBytes
        self.codestreamBytes = codestreamBytes
        self.ratio = Double(pixelBytes) / Double(max(1, codestreamBytes))
        self.quality = quality
        self.externalUsage = externalUsage
    }
}

/// How far the decoded output is from the input, aggregated over frames: PSNR from the summed
/// squared error of every sample (not an average of per-frame PSNRs), peak `2^BitsStored − 1`.
public struct TranscodeQuality: Sendable, Hashable {
    /// dB; `+infinity` when every sample is identical.
    public var psnr: Double
    public var rmse: Double
    public var maxAbsError: Int
    /// Samples compared (every component of every pixel of every frame).
    public var sampleCount: Int

    /// Whether the output decodes to exactly the input samples (bits above Bits Stored masked).
    public var isExact: Bool { maxAbsError == 0 }

    public init(psnr: Double, rmse: Double, maxAbsError: Int, sampleCount: Int) {
        self.psnr = psnr
        self.rmse = rmse
        self.maxAbsError = maxAbsError
        self.sampleCount = sampleCount
    }
}

/// Sums per-frame metrics into one ``TranscodeQuality``.
struct QualityAccumulator {
    private var sumOfSquares = 0.0
    private var maxAbsError = 0
    private var sampleCount = 0
    let peak: Double

    init(bitsStored: Int) {
        peak = Double((1 << bitsStored) - 1)
    }

    mutating func add(rmse: Double, maxAbsError: Int, sampleCount: Int) {
        sumOfSquares += rmse * rmse * Double(sampleCount)
        self.maxAbsError = max(self.maxAbsError, maxAbsError)
        self.sampleCount += sampleCount
    }

    var result: TranscodeQuality {
        let meanSquare = sampleCount > 0 ? sumOfSquares / Double(sampleCount) : 0
        // An exact match can leave a tiny positive sum from rmse² round-off; trust the max error.
        let psnr = maxAbsError == 0 || meanSquare == 0 ? Double.infinity : 10 * log10(peak * peak / meanSquare)
        return TranscodeQuality(
            psnr: psnr,
            rmse: maxAbsError == 0 ? 0 : meanSquare.squareRoot(),
            maxAbsError: maxAbsError,
            sampleCount: sampleCount
        )
    }
}

/// The outcome of a quality target for one file: every frame was verified by decoding it.
public struct QualityTargetResult: Sendable, Hashable, Codable {
    /// The target, e.g. `PSNR >= 50.0 dB` or `max error <= 4`.
    public var target: String
    /// Whether every frame of the output meets the target (always, unless encoding broke it).
    public var met: Bool
    /// The output is lossless because no lossy encode below the lossless size reached the target.
    public var storedLossless: Bool
    /// Why the file was stored lossless (which frame, what was tried); `nil` when lossy.
    public var reason: String?
    /// The lowest PSNR of any frame (dB); `nil` when every frame is exact.
    public var worstFramePSNR: Double?
    /// The largest error of any sample in any frame, in stored units.
    public var worstFrameMaxError: Int

    public init(
        target: String,
        met: Bool,
        storedLossless: Bool,
        reason: String?,
        worstFramePSNR: Double?,
        worstFrameMaxError: Int
    ) {
        self.target = target
        self.met = met
        self.storedLossless = storedLossless
        self.reason = reason
        self.worstFramePSNR = worstFramePSNR
        self.worstFrameMaxError = worstFrameMaxError
    }
}
