#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a decoded image is from the original frame.
public struct JPEG2000QualityMetrics: Sendable, Hashable {
    /// Peak signal-to-noise ratio in dB with peak `2^bitsStored - 1`; `+infinity` when identical.
    public var psnr: Double
    /// Root mean square error over every sample of every component.
    public var rmse: Double
    /// The largest absolute difference of any sample.
    public var maxAbsoluteError: Int
    /// Number of samples compared.
    public var sampleCount: Int

    /// Whether the decoded image equals the original exactly.
    public var isExact: Bool { maxAbsoluteError == 0 }

    /// Compares a decoded image with the frame it was encoded from.
    ///
    /// The original samples are read exactly as the encoder reads them (bits above Bits Stored masked,
    /// signed values sign-extended), so a lossless round trip yields ``isExact``.
    /// - Throws: ``JPEG2000Error/mismatchedImages`` when the shapes differ, or
    ///   ``JPEG2000Error/sampleCountMismatch`` when `frame` is not one frame of `layout`.
    public static func compare(
        original frame: some Collection<UInt8>,
        layout: JPEG2000SampleLayout,
        decoded: JPEG2000DecodedImage
    ) throws -> JPEG2000QualityMetrics {
        try layout.validate()
        guard frame.count == layout.frameByteCount else {
            throw JPEG2000Error.sampleCountMismatch(
                "a frame of \(layout) needs \(layout.frameByteCount) bytes, got \(frame.count)"
            )
        }
        guard decoded.rows == layout.rows, decoded.columns == layout.columns,
            decoded.components == layout.samplesPerPixel
        else {
            throw JPEG2000Error.mismatchedImages(
                "decoded \(decoded.rows)x\(decoded.columns)x\(decoded.components), original \(layout)"
            )
        }
        let original =
            frame.withContiguousStorageIfAvailable { layout.unpackInterleaved(UnsafeRawBufferPointer($0)) }
            ?? Array(frame).withUnsafeBytes { layout.unpackInterleaved($0) }
        return measure(original: original, decoded: decoded.samples, peak: layout.peakValue)
    }

    /// Metrics between two equally long sample arrays, with the given PSNR peak.
    package static func measure(original: [Int32], decoded: [Int32], peak: Double) -> JPEG2000QualityMetrics {
        var sumOfSquares = 0.0
        var maxError = 0
        for index in original.indices {
            let difference = Int(original[index]) - Int(decoded[index])
            sumOfSquares += Double(difference * difference)
            maxError = max(maxError, abs(difference))
        }
        let count = max(1, original.count)
        let meanSquare = sumOfSquares / Double(count)
        let psnr = meanSquare == 0 ? Double.infinity : 10 * log10(peak * peak / meanSquare)
        return JPEG2000QualityMetrics(
            psnr: psnr,
            rmse: meanSquare.squareRoot(),
            maxAbsoluteError: maxError,
            sampleCount: original.count
        )
    }
}
