import Logging

/// One file in, one file out, whatever does the work: the in-process ``Transcoder`` or the
/// external ``GDCMTranscoder``. Blocking and CPU-bound; callable from several threads at once.
public protocol FileTranscoder: Sendable {
    /// See ``Transcoder/transcode(_:)``.
    func transcode(_ input: [UInt8]) throws(TranscoderError) -> TranscodeOutcome
    /// See ``Transcoder/deidentifiedCopy(_:)``.
    func deidentifiedCopy(_ input: [UInt8]) throws(TranscoderError) -> [UInt8]
}

extension Transcoder: FileTranscoder {}
extension GDCMTranscoder: FileTranscoder {}

/// Which encoder does the work: the one place that maps the library option (job message,
/// command-line flags) to a ``FileTranscoder``, and that owns the `dcmjs-codecs` alias.
public enum TranscoderLibrary: String, Sendable, Codable, CaseIterable {
    /// In-process OpenJPEG on the caller's thread.
    case openjpeg
    /// The external `gdcmconv`, one child process per file (for comparison runs).
    case gdcmconv

    /// The name a producer may send instead of `openjpeg`: the original prototype's in-process
    /// encoder, which was OpenJPEG as well.
    public static let openjpegAlias = "dcmjs-codecs"

    /// Every accepted spelling, aliases included (for help texts and error messages).
    public static let acceptedNames = allCases.map(\.rawValue) + [openjpegAlias]

    /// Parses a library name, accepting the alias.
    public init?(name: String) {
        if name == Self.openjpegAlias {
            self = .openjpeg
        } else if let library = TranscoderLibrary(rawValue: name) {
            self = library
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let library = TranscoderLibrary(name: name) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "unknown library \(name)")
            )
        }
        self = library
    }

    /// Whether this worker can run the library (`gdcmconv` needs the executable).
    public var isAvailable: Bool {
        switch self {
        case .openjpeg: true
        case .gdcmconv: GDCMConvBackend() != nil
        }
    }

    /// The transcoder for `options`; `nil` when the library is not installed on this worker.
    /// - Parameter hints: the job's shared rate-search warm starts (in-process encoder only).
    public func makeTranscoder(
        options: TranscoderOptions,
        hints: SearchHints = SearchHints(),
        logger: Logger
    ) -> (any FileTranscoder)? {
        switch self {
        case .openjpeg: Transcoder(options: options, logger: logger, hints: hints)
        case .gdcmconv: GDCMTranscoder(options: options, logger: logger)
        }
    }
}
