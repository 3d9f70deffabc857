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

    /// Files with more frames are copied with a reason: every frame costs an encoder set-up
    /// whatever its size, so a small file of tiny frames could otherwise hold a worker for minutes.
    public var maxFrames = Self.defaultMaxFrames
    public static let defaultMaxFrames = 10_000
    /// A Deflated data set inflating to more bytes than this fails (unreadableDICOM), checked while
    /// inflating. The job sizes it like its largest file.
    public var maxInflatedBytes = Self.defaultMaxInflatedBytes
    public static let defaultMaxInflatedBytes = 256 << 20
    /// Asked between frames and while parsing; `true` abandons the file with
    /// ``TranscoderError/cancelled``. The transcoder runs on plain threads, outside Swift's task
    /// cancellation, so a job passes a closure reading its own cancellation flag (an atomic).
    public var isCancelled: (@Sendable () -> Bool)?

    public init(mode: Mode, qualityCheck: Bool = false, codecThreads: Int = 1) {
        self.mode = mode
        self.qualityCheck = qualityCheck
        self.codecThreads = codecThreads
    }

    /// Throws ``TranscoderError/invalidOptions`` for a ratio below 1 or not finite, codec threads
    /// outside 1…64, or limits below their minimum.
    func validate() throws(TranscoderError) {
        if case .lossy(let ratio) = mode, !(ratio.isFinite && ratio >= 1) {
            throw .invalidOptions("the lossy ratio must be a finite number >= 1, not \(ratio)")
        }
        guard (1...64).contains(codecThreads) else {
            throw .invalidOptions("codec threads must be 1...64, not \(codecThreads)")
        }
        guard maxFrames >= 1, maxInflatedBytes >= 0 else {
            throw .invalidOptions("maxFrames must be >= 1 and maxInflatedBytes >= 0")
        }
    }
}

extension TranscoderOptions {
    /// The reader's limits for one input file.
    var readOptions: DICOMReadOptions {
        var read = DICOMReadOptions()
        read.maximumInflatedSize = maxInflatedBytes
        read.isCancelled = isCancelled
        return read
    }

    /// Throws ``TranscoderError/cancelled`` when ``isCancelled`` says so.
    func checkCancellation(_ context: @autoclosure () -> String) throws(TranscoderError) {
        if let isCancelled, isCancelled() { throw .cancelled(context()) }
    }
}
