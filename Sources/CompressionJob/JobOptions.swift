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
        /// High-Throughput JPEG 2000 (.201 / .203); not available in this build.
        case htj2k
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
        maxError: Int? = nil
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
    }

    /// Options this build accepts in a message but cannot honour yet. Such a job fails with
    /// ``JobError/Code/notAvailable`` instead of running without them (ignoring `anonymize` would
    /// ship patient data while the result claimed otherwise).
    public func unavailableFeature() -> JobError? {
        if anonymize {
            return JobError(
                .notAvailable,
                "de-identification (anonymize: true) is not available in this build; the job was not run",
                field: "anonymize"
            )
        }
        if transferSyntax == .htj2k {
            return JobError(.notAvailable, "HTJ2K output is not available in this build", field: "transferSyntax")
        }
        if targetPSNR != nil {
            return JobError(.notAvailable, "quality targets are not available in this build", field: "targetPSNR")
        }
        if maxError != nil {
            return JobError(.notAvailable, "quality targets are not available in this build", field: "maxError")
        }
        return nil
    }
}
