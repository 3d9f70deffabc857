import DICOM
import JPEG2000

/// How ``Transcoder`` (and ``GDCMTranscoder``) compress a file.
public struct TranscoderOptions: Sendable {
    /// Lossless or lossy at a target ratio.
    public enum Mode: Sendable, Equatable, CustomStringConvertible {
        /// Reversible 5/3 wavelet, transfer syntax 1.2.840.10008.1.2.4.90; bit-exact.
        case lossless
        /// Irreversible 9/7 wavelet, transfer syntax 1.2.840.10008.1.2.4.91. `ratio` = stored pixel
        /// bytes (Bits Allocated) ÷ codestream bytes; must be ≥ 1.
        case lossy(ratio: Double)
        /// The smallest lossy output whose every frame reaches this PSNR (dB, peak 2^BitsStored − 1),
        /// verified by decoding; lossless when no lossy output below the lossless size does.
        case targetPSNR(Double)
        /// The smallest lossy output in which no sample of any frame is off by more than this many
        /// stored units, verified by decoding; lossless when no lossy output below the lossless size
        /// does (0 means lossless).
        case maxError(Int)

        public var description: String {
            switch self {
            case .lossless: "lossless"
            case .lossy(let ratio): "lossy \(ratio):1"
            case .targetPSNR(let psnr): "PSNR >= \(psnr) dB"
            case .maxError(let error): "max error <= \(error)"
            }
        }
    }

    /// Which JPEG 2000 the output uses.
    public enum Codec: String, Sendable, Hashable, CaseIterable {
        /// JPEG 2000 Part 1 with OpenJPEG: transfer syntax .90 (lossless) / .91 (lossy).
        case jpeg2000 = "j2k"
        /// High-Throughput JPEG 2000 (Part 15) with OpenJPH: .201 (lossless) / .203 (lossy).
        case htj2k
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

    /// Part 1 or HTJ2K (default Part 1).
    public var codec: Codec = .jpeg2000
    /// Part 1 only: `.fast` turns on code-block bypass (lazy coding).
    public var speed: JPEG2000EncodingOptions.Speed = .standard

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
        if case .targetPSNR(let psnr) = mode, !(psnr.isFinite && psnr > 0 && psnr <= 200) {
            throw .invalidOptions("the target PSNR must be a number of dB in (0, 200], not \(psnr)")
        }
        if case .maxError(let error) = mode, !(0...65_535).contains(error) {
            throw .invalidOptions("the maximum error must be 0...65535 stored units, not \(error)")
        }
        if codec == .htj2k, speed == .fast {
            throw .invalidOptions("the fast setting is for JPEG 2000 Part 1; HTJ2K has its own fast block coder")
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
