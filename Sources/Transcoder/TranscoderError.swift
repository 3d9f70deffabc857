/// Why a file that looked transcodable could not be transcoded. The caller reports the file as
/// `failed` (and still copies it unchanged); files that are simply not for us come back as
/// ``TranscodeOutcome/notTranscodable(reason:)`` instead.
///
/// Compare against the static members (`error == .truncatedPixelData`); `context` says what was
/// involved and `underlying` carries the lower layer's error text, if any.
public struct TranscoderError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidOptions
        case unreadableDICOM
        case truncatedPixelData
        case encodingFailed
        case qualityCheckFailed
        case writeFailed
        case externalToolFailed
        case ioFailed
        case deidentificationFailed
        case cancelled
    }

    private let code: Code
    /// What was involved, in words (the frame, the attribute, the file).
    public let context: String
    /// The error of the layer below (DICOM, JPEG2000, gdcmconv), as text.
    public let underlying: String?

    private init(_ code: Code, _ context: String, underlying: String? = nil) {
        self.code = code
        self.context = context
        self.underlying = underlying
    }

    /// A short name without associated data, usable as a metric label or JSON error code.
    public var shortDescription: String { code.rawValue }

    public var description: String {
        var text = "TranscoderError.\(code.rawValue): \(context)"
        if let underlying { text += " (\(underlying))" }
        return text
    }

    /// Errors compare equal when their kind is the same, whatever the context.
    public static func == (lhs: TranscoderError, rhs: TranscoderError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The options are out of range (a lossy ratio below 1, codec threads outside 1…64).
    public static let invalidOptions = TranscoderError(.invalidOptions, "")
    /// The input starts like DICOM but does not parse (truncated element, bad length, bad meta).
    public static let unreadableDICOM = TranscoderError(.unreadableDICOM, "")
    /// Pixel Data is shorter than Rows × Columns × Number of Frames × Samples per Pixel × Bits Allocated / 8.
    public static let truncatedPixelData = TranscoderError(.truncatedPixelData, "")
    /// OpenJPEG could not encode a frame.
    public static let encodingFailed = TranscoderError(.encodingFailed, "")
    /// The quality check could not decode a codestream or compare it with its frame.
    public static let qualityCheckFailed = TranscoderError(.qualityCheckFailed, "")
    /// The output data set could not be encoded as Part 10.
    public static let writeFailed = TranscoderError(.writeFailed, "")
    /// `gdcmconv` failed, timed out, or wrote something that is not the expected JPEG 2000 file.
    public static let externalToolFailed = TranscoderError(.externalToolFailed, "")
    /// A temporary file for `gdcmconv` could not be created, written or read.
    public static let ioFailed = TranscoderError(.ioFailed, "")

    /// The file could not be de-identified (it does not parse, nests too deep, or cannot be written
    /// back); an anonymizing job must not ship it.
    public static let deidentificationFailed = TranscoderError(.deidentificationFailed, "")

    /// ``TranscoderOptions/isCancelled`` said stop; the file was not finished.
    public static let cancelled = TranscoderError(.cancelled, "")

    static func cancelled(_ context: String) -> TranscoderError { .init(.cancelled, context) }
    static func invalidOptions(_ context: String) -> TranscoderError { .init(.invalidOptions, context) }
    static func unreadableDICOM(_ context: String, _ error: some Error) -> TranscoderError {
        .init(.unreadableDICOM, context, underlying: "\(error)")
    }
    static func truncatedPixelData(_ context: String) -> TranscoderError { .init(.truncatedPixelData, context) }
    static func encodingFailed(_ context: String, _ error: some Error) -> TranscoderError {
        .init(.encodingFailed, context, underlying: "\(error)")
    }
    static func qualityCheckFailed(_ context: String, _ error: some Error) -> TranscoderError {
        .init(.qualityCheckFailed, context, underlying: "\(error)")
    }
    static func writeFailed(_ context: String, _ error: some Error) -> TranscoderError {
        .init(.writeFailed, context, underlying: "\(error)")
    }
    static func externalToolFailed(_ context: String, underlying: String? = nil) -> TranscoderError {
        .init(.externalToolFailed, context, underlying: underlying)
    }
    static func deidentificationFailed(_ context: String, _ error: some Error) -> TranscoderError {
        .init(.deidentificationFailed, context, underlying: "\(error)")
    }
    static func ioFailed(_ context: String, underlying: String? = nil) -> TranscoderError {
        .init(.ioFailed, context, underlying: underlying)
    }
}
