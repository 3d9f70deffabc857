/// An error from the JPEG 2000 encoder, decoder or quality measurement.
///
/// Callers switch on the static members (`error.code == .invalidLayout`…) through `==`; new codes can be
/// added without breaking them. `context` says what was involved; `openJPEGMessages` carries the last
/// error lines OpenJPEG reported, when the failure came from the library.
public struct JPEG2000Error: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidLayout
        case sampleCountMismatch
        case invalidOptions
        case encodingFailed
        case decodingFailed
        case unsupportedCodestream
        case imageTooLarge
        case outOfMemory
        case mismatchedImages
    }

    private let code: Code
    /// What was involved, in words (the layout, the option, the OpenJPEG call).
    public let context: String
    /// Error messages OpenJPEG printed before the failure (most recent last), if any.
    public let openJPEGMessages: [String]

    private init(_ code: Code, _ context: String, openJPEGMessages: [String] = []) {
        self.code = code
        self.context = context
        self.openJPEGMessages = openJPEGMessages
    }

    /// A short name of the error kind without associated data, usable as a metric label.
    public var shortDescription: String { code.rawValue }

    public var description: String {
        var text = "JPEG2000Error.\(code.rawValue): \(context)"
        if !openJPEGMessages.isEmpty {
            text += " (OpenJPEG: \(openJPEGMessages.joined(separator: "; ")))"
        }
        return text
    }

    /// Errors compare equal when their kind is the same, whatever the context.
    public static func == (lhs: JPEG2000Error, rhs: JPEG2000Error) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The sample layout is outside what the encoder supports (bits, samples per pixel, size).
    public static let invalidLayout = JPEG2000Error(.invalidLayout, "")
    /// The sample buffer does not hold exactly one frame of the given layout.
    public static let sampleCountMismatch = JPEG2000Error(.sampleCountMismatch, "")
    /// An encoding option is out of range (for example a target ratio below 1).
    public static let invalidOptions = JPEG2000Error(.invalidOptions, "")
    /// OpenJPEG failed while encoding.
    public static let encodingFailed = JPEG2000Error(.encodingFailed, "")
    /// OpenJPEG could not decode the codestream.
    public static let decodingFailed = JPEG2000Error(.decodingFailed, "")
    /// The codestream decodes, but to an image this module does not return (subsampled components…).
    public static let unsupportedCodestream = JPEG2000Error(.unsupportedCodestream, "")
    /// The codestream declares more samples than the caller allowed.
    public static let imageTooLarge = JPEG2000Error(.imageTooLarge, "")
    /// OpenJPEG could not allocate an image, codec or stream.
    public static let outOfMemory = JPEG2000Error(.outOfMemory, "")
    /// Quality metrics were asked for two images of different shape.
    public static let mismatchedImages = JPEG2000Error(.mismatchedImages, "")

    package static func invalidLayout(_ context: String) -> JPEG2000Error { .init(.invalidLayout, context) }
    package static func sampleCountMismatch(_ context: String) -> JPEG2000Error { .init(.sampleCountMismatch, context) }
    package static func invalidOptions(_ context: String) -> JPEG2000Error { .init(.invalidOptions, context) }
    package static func encodingFailed(_ context: String, messages: [String]) -> JPEG2000Error {
        .init(.encodingFailed, context, openJPEGMessages: messages)
    }
    package static func decodingFailed(_ context: String, messages: [String]) -> JPEG2000Error {
        .init(.decodingFailed, context, openJPEGMessages: messages)
    }
    package static func unsupportedCodestream(_ context: String) -> JPEG2000Error {
        .init(.unsupportedCodestream, context)
    }
    package static func imageTooLarge(_ context: String) -> JPEG2000Error { .init(.imageTooLarge, context) }
    package static func outOfMemory(_ context: String) -> JPEG2000Error { .init(.outOfMemory, context) }
    package static func mismatchedImages(_ context: String) -> JPEG2000Error { .init(.mismatchedImages, context) }
}
