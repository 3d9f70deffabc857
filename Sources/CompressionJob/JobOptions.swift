import Transcoder

/// The effective options of one job (docs/contracts.md, "The job message"), after defaults were applied.
public struct JobOptions: Codable, Sendable, Equatable {
    /// Which encoder runs the job (the factory and the `dcmjs-codecs` alias live in ``TranscoderLibrary``).
    public typealias Library = TranscoderLibrary

    /// How many outputs are decoded again to measure PSNR and maximum error.
    public enum QualityCheck: String, Codable, Sendable, CaseIterable {
        case none
        /// The first, middle and last image.
        case sample
        case all
    }

    /// The output's JPEG 2000 flavour.
    public enum TransferSyntax: String, Codable, Sendable, CaseIterable {
        /// JPEG 2000 Part 1 (.90 / .91) with OpenJPEG.
        case j2k
        /// High-Throughput JPEG 2000 (.201 / .203) with OpenJPH.
        case htj2k
    }

    /// Part 1 encoder effort.
    public enum EncoderSpeed: String, Codable, Sendable, CaseIterable {
        /// OpenJPEG's default coding passes.
        case standard
        /// Code-block bypass (lazy coding): about a third less encoding time for about 0.2 dB at
        /// equal ratio (docs/transcoding.md). Part 1 (`j2k`) only.
        case fast
    }

    /// Uncompressed pixel bytes ÷ codestream bytes; `1` means lossless (reversible 5/3).
    public var compressionRate: Double
    public var compressionLibrary: Library
    public var anonymize: Bool
    public var outputFilename: String?
    public var overwriteExisting: Bool
    public var qualityCheck: QualityCheck
    public var transferSyntax: TransferSyntax
    /// Instead of a rate: the smallest output whose every frame reaches this PSNR (dB).
    public var targetPSNR: Double?
    /// Instead of a rate: the smallest output whose every frame stays within this absolute error.
    public var maxError: Int?
    public var encoderSpeed: EncoderSpeed

    public var isLossless: Bool { compressionRate == 1 }

    public init(
        compressionRate: Double = 100,
        compressionLibrary: Library = .openjpeg,
        anonymize: Bool = false,
        outputFilename: String? = nil,
        overwriteExisting: Bool = false,
        qualityCheck: QualityCheck = .sample,
        transferSyntax: TransferSyntax = .j2k,
        targetPSNR: Double? = nil,
        maxError: Int? = nil,
        encoderSpeed: EncoderSpeed = .standard
    ) {
        self.compressionRate = compressionRate
        self.compressionLibrary = compressionLibrary
        self.anonymize = anonymize
        self.outputFilename = outputFilename
        self.overwriteExisting = overwriteExisting
        self.qualityCheck = qualityCheck
        self.transferSyntax = transferSyntax
        self.targetPSNR = targetPSNR
        self.maxError = maxError
        self.encoderSpeed = encoderSpeed
    }

    // Older result documents have no encoderSpeed: decode it as standard.
    private enum CodingKeys: String, CodingKey {
        case compressionRate, compressionLibrary, anonymize, outputFilename, overwriteExisting, qualityCheck
        case transferSyntax, targetPSNR, maxError, encoderSpeed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            compressionRate: try c.decode(Double.self, forKey: .compressionRate),
            compressionLibrary: try c.decode(Library.self, forKey: .compressionLibrary),
            anonymize: try c.decode(Bool.self, forKey: .anonymize),
            outputFilename: try c.decodeIfPresent(String.self, forKey: .outputFilename),
            overwriteExisting: try c.decode(Bool.self, forKey: .overwriteExisting),
            qualityCheck: try c.decode(QualityCheck.self, forKey: .qualityCheck),
            transferSyntax: try c.decodeIfPresent(TransferSyntax.self, forKey: .transferSyntax) ?? .j2k,
            targetPSNR: try c.decodeIfPresent(Double.self, forKey: .targetPSNR),
            maxError: try c.decodeIfPresent(Int.self, forKey: .maxError),
            encoderSpeed: try c.decodeIfPresent(EncoderSpeed.self, forKey: .encoderSpeed) ?? .standard
        )
    }

    /// Options that cannot go together, naming the field: the job fails before any work
    /// instead of running other than asked.
    public func conflictingOptions() -> JobError? {
        if compressionLibrary == .gdcmconv {
            if transferSyntax == .htj2k {
                return JobError(
                    .invalidMessage,
                    "gdcmconv writes JPEG 2000 Part 1 only; use openjpeg",
                    field: "transferSyntax"
                )
            }
            if targetPSNR != nil || maxError != nil {
                return JobError(
                    .invalidMessage,
                    "quality targets need the in-process encoder (openjpeg)",
                    field: targetPSNR != nil ? "targetPSNR" : "maxError"
                )
            }
            if encoderSpeed == .fast {
                return JobError(
                    .invalidMessage,
                    "fast applies to the in-process encoder (openjpeg)",
                    field: "encoderSpeed"
                )
            }
        }
        if encoderSpeed == .fast, transferSyntax == .htj2k {
            return JobError(.invalidMessage, "fast applies to JPEG 2000 Part 1 (j2k) only", field: "encoderSpeed")
        }
        return nil
    }

    /// The transcoder's mode for these options: a quality target, lossless, or a rate.
    public var transcoderMode: TranscoderOptions.Mode {
        if let targetPSNR { return .targetPSNR(targetPSNR) }
        if let maxError { return .maxError(maxError) }
        return isLossless ? .lossless : .lossy(ratio: compressionRate)
    }
}
