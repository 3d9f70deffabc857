/// How to encode a frame.
public struct JPEG2000EncodingOptions: Sendable, Hashable {
    /// Lossless (reversible 5/3 wavelet) or lossy (irreversible 9/7 wavelet) at a target ratio.
    public struct Mode: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case lossless
            case lossy(targetRatio: Double)
        }

        let kind: Kind

        /// Reversible 5/3 wavelet, one quality layer holding every coding pass: bit-exact.
        public static let lossless = Mode(kind: .lossless)

        /// Irreversible 9/7 wavelet with OpenJPEG's rate allocation, aiming at `targetRatio` =
        /// uncompressed bytes as stored (Bits Allocated) ÷ codestream bytes. Must be ≥ 1.
        public static func lossy(targetRatio: Double) -> Mode { Mode(kind: .lossy(targetRatio: targetRatio)) }

        /// The target ratio, or `nil` for lossless.
        public var targetRatio: Double? {
            if case .lossy(let ratio) = kind { return ratio }
            return nil
        }

        public var description: String {
            switch kind {
            case .lossless: "lossless"
            case .lossy(let ratio): "lossy \(ratio):1"
            }
        }
    }

    /// Lossless or lossy at a target ratio.
    public var mode: Mode

    /// With 3 samples per pixel, apply the multiple component transform (ICT with 9/7, RCT with 5/3),
    /// so a DICOM file would say YBR_ICT / YBR_RCT. Ignored for 1 sample per pixel.
    public var colorTransform: Bool

    /// How far (as a fraction) the achieved ratio may stray from the target before the encoder runs
    /// another, corrected pass. 0.05 keeps frames well inside the promised ±10%.
    public var ratioTolerance: Double

    /// OpenJPEG threads for one frame (its own thread pool). 1 means the calling thread only; the
    /// callers parallelise across frames instead.
    public var codecThreads: Int

    /// The default Part 1 coding, or code-block bypass for speed.
    public enum Speed: String, Sendable, Hashable {
        /// Every coding pass arithmetic-coded (OpenJPEG's default).
        case standard
        /// Code-block bypass ("lazy" coding, cblk style 0x01): the lower bit-plane passes are written
        /// raw instead of arithmetic-coded. Faster encoding, a little larger at equal quality.
        case fast
    }

    /// Code-block coding style (OpenJPEG only; HTJ2K has its own block coder).
    public var speed: Speed

    public init(
        mode: Mode,
        colorTransform: Bool = true,
        ratioTolerance: Double = 0.05,
        codecThreads: Int = 1,
        speed: Speed = .standard
    ) {
        self.mode = mode
        self.colorTransform = colorTransform
        self.ratioTolerance = ratioTolerance
        self.codecThreads = codecThreads
        self.speed = speed
    }

    package func validate() throws {
        if let ratio = mode.targetRatio {
            guard ratio.isFinite, ratio >= 1 else {
                throw JPEG2000Error.invalidOptions("the target ratio must be a finite number >= 1, not \(ratio)")
            }
        }
        guard ratioTolerance.isFinite, ratioTolerance > 0, ratioTolerance < 1 else {
            throw JPEG2000Error.invalidOptions("the ratio tolerance must be in (0, 1), not \(ratioTolerance)")
        }
        guard (1...64).contains(codecThreads) else {
            throw JPEG2000Error.invalidOptions("codec threads must be 1...64, not \(codecThreads)")
        }
    }
}

/// One encoded frame.
public struct JPEG2000EncodedFrame: Sendable {
    /// The raw J2K codestream (starts with SOC `FF 4F`, no JP2 boxes). Its length may be odd.
    public var codestream: [UInt8]
    /// The frame's uncompressed size as stored (Bits Allocated), the numerator of ``ratio``.
    public var uncompressedByteCount: Int
    /// How many times OpenJPEG encoded the frame: 1, or up to 3 when earlier passes missed the target
    /// ratio by more than the tolerance and corrected rates were tried.
    public var passes: Int

    /// The achieved ratio: uncompressed bytes as stored ÷ codestream bytes.
    public var ratio: Double { Double(uncompressedByteCount) / Double(max(1, codestream.count)) }
}
