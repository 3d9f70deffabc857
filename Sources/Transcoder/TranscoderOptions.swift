import DICOM

/// How ``Transcoder`` (and ``GDCMTranscoder``) compress a file.
public struct TranscoderOptions: Sendable {
    /// Lossless or lossy at a target ratio.
    public enum Mode: Sendable, Equatable, CustomStringConvertible {
        /// Reversible 5/3 wavelet, transfer syntax 1.2.840.10008.1.2.4.90; bit-exact.
        case lossless
        /// Irreversible 9/7 wavelet, transfer syntax 1.2.840.10008.1.2.4.91. `ratio` = stored pixel
        /// bytes (Bits Allocated) ÷ codestream bytes; must be ≥ 1.
        case lossy(ratio: Double)

        public var description: String {
            switch self {
            case .lossless: "lossless"
            case .lossy(let ratio): "lossy \(ratio):1"
            }
        }
    }

    /// Lossless or lossy at a target ratio.
    public var mode: Mode
    /// Decode the output again and measure PSNR, RMSE and maximum error over every frame.
    public var qualityCheck: Bool
    /// OpenJPEG threads per frame. The job parallelises across files, so 1 (the calling thread).
    public var codecThreads: Int = 1
    /// When set, every output is de-identified (PS3.15 Basic Profile, see `Deidentifier`); one value
    /// per job, so replaced UIDs stay consistent across the job's files. For files that are not
    /// transcoded, call ``Transcoder/deidentifiedCopy(_:)`` instead of copying them.
    public var deidentifier: Deidentifier?

    public init(mode: Mode, qualityCheck: Bool = false, codecThreads: Int = 1) {
        self.mode = mode
        self.qualityCheck = qualityCheck
        self.codecThreads = codecThreads
    }

    /// Throws ``TranscoderError/invalidOptions`` for a ratio below 1 or not finite, or codec threads
    /// outside 1…64.
    func validate() throws(TranscoderError) {
        if case .lossy(let ratio) = mode, !(ratio.isFinite && ratio >= 1) {
            throw .invalidOptions("the lossy ratio must be a finite number >= 1, not \(ratio)")
        }
        guard (1...64).contains(codecThreads) else {
            throw .invalidOptions("codec threads must be 1...64, not \(codecThreads)")
        }
    }
}
