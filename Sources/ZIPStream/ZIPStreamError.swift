/// An error from ``ZIPStreamWriter``.
///
/// Compare with the static members (`error == .entryTooLarge`); `context` says which entry or call
/// was involved. Errors thrown by the sink itself are passed through unchanged.
public struct ZIPStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidEntryName
        case duplicateEntryName
        case entryAlreadyOpen
        case noOpenEntry
        case entryTooLarge
        case archiveFinished
        case writerFailed
    }

    private let code: Code
    /// What was involved: the entry name, the call.
    public let context: String

    private init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    /// The error kind without data, usable as a metric label.
    public var shortDescription: String { code.rawValue }
    public var description: String { "ZIPStreamError.\(code.rawValue): \(context)" }

    /// Errors compare equal when their kind is the same, whatever the context.
    public static func == (lhs: ZIPStreamError, rhs: ZIPStreamError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The name is empty or longer than 65,535 UTF-8 bytes.
    public static let invalidEntryName = ZIPStreamError(.invalidEntryName, "")
    /// An entry of this name was already written (``ZIPEntryNamer`` makes names unique).
    public static let duplicateEntryName = ZIPStreamError(.duplicateEntryName, "")
    /// An entry was started while another one was still open.
    public static let entryAlreadyOpen = ZIPStreamError(.entryAlreadyOpen, "")
    /// Entry data was written, or an entry ended, with no entry open.
    public static let noOpenEntry = ZIPStreamError(.noOpenEntry, "")
    /// An entry announced as small (no ZIP64 local header) grew to 4 GiB − 1 bytes or more.
    public static let entryTooLarge = ZIPStreamError(.entryTooLarge, "")
    /// The archive was already finished (or an entry is still open when finishing).
    public static let archiveFinished = ZIPStreamError(.archiveFinished, "")
    /// An earlier write to the sink failed, so the archive is incomplete and the writer unusable.
    public static let writerFailed = ZIPStreamError(.writerFailed, "")

    static func invalidEntryName(_ context: String) -> ZIPStreamError { .init(.invalidEntryName, context) }
    static func duplicateEntryName(_ context: String) -> ZIPStreamError { .init(.duplicateEntryName, context) }
    static func entryAlreadyOpen(_ context: String) -> ZIPStreamError { .init(.entryAlreadyOpen, context) }
    static func noOpenEntry(_ context: String) -> ZIPStreamError { .init(.noOpenEntry, context) }
    static func entryTooLarge(_ context: String) -> ZIPStreamError { .init(.entryTooLarge, context) }
    static func archiveFinished(_ context: String) -> ZIPStreamError { .init(.archiveFinished, context) }
    static func writerFailed(_ context: String) -> ZIPStreamError { .init(.writerFailed, context) }
}
