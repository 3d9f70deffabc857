/// The effective options of one job (DESIGN.md §2), after defaults were applied.
public struct JobOptions: Codable, Sendable, Equatable {
    /// Which encoder runs the job.
    public enum Library: String, Codable, Sendable, CaseIterable {
        /// In-process OpenJPEG with a bounded thread pool.
        case openjpeg
        /// The external `gdcmconv`, one process per file in a bounded pool (for comparison).
        case gdcmconv
    }

    /// How many outputs are decoded again to measure PSNR and maximum error.
    public enum QualityCheck: String, Codable, Sendable, CaseIterable {
        case none
        /// The first, middle and last image.
        case sample
        case all
    }

    /// Uncompressed pixel bytes ÷ codestream bytes; `1` means lossless (reversible 5/3).
    public var compressionRate: Double
    public var compressionLibrary: Library
    public var anonymize: Bool
    public var outputFilename: String?
    public var overwriteExisting: Bool
    public var qualityCheck: QualityCheck

    public var isLossless: Bool { compressionRate == 1 }

    public init(
        compressionRate: Double = 100,
        compressionLibrary: Library = .openjpeg,
        anonymize: Bool = false,
        outputFilename: String? = nil,
        overwriteExisting: Bool = false,
        qualityCheck: QualityCheck = .sample
    ) {
        self.compressionRate = compressionRate
        self.compressionLibrary = compressionLibrary
        self.anonymize = anonymize
        self.outputFilename = outputFilename
        self.overwriteExisting = overwriteExisting
        self.qualityCheck = qualityCheck
    }
}
