/// Why reading or writing DICOM failed, and where: the tag being parsed and the byte offset of
/// its header in the input (for Deflated Explicit VR Little Endian, the offset in the inflated data
/// set stream, which starts at 0).
///
/// Compare ``code`` against the static members to branch on the kind of failure:
/// `catch let error as DICOMError where error.code == .truncated`.
public struct DICOMError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; stable and low-cardinality (usable as a metric dimension).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case notDICOM, invalidFileMeta, truncated, lengthExceedsContainer, invalidValueLength
            case undefinedLengthNotAllowed, invalidVR, unexpectedDelimiter, invalidItem
            case invalidEncapsulatedPixelData, nestingTooDeep, trailingGarbage, duplicateTag
            case deflateFailed, inflatedSizeLimitExceeded
            case transferSyntaxMismatch, unsupportedTransferSyntax, valueTooLong, valueOutOfRange, cannotSplitFrames,
                fileUnreadable, cancelled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No preamble and `DICM`, and the bytes do not start like a DICOM data set either.
        public static let notDICOM = Code(.notDICOM)
        /// The group 0002 file meta information cannot be read.
        public static let invalidFileMeta = Code(.invalidFileMeta)
        /// The input ends inside an element, item or sequence.
        public static let truncated = Code(.truncated)
        /// A length points past the end of the item or sequence that contains the element.
        public static let lengthExceedsContainer = Code(.lengthExceedsContainer)
        /// A value length that the VR forbids (for example 3 bytes of US, or odd-length OW).
        public static let invalidValueLength = Code(.invalidValueLength)
        /// Undefined length (FFFFFFFF) on an element that is neither a sequence, nor UN, nor Pixel Data.
        public static let undefinedLengthNotAllowed = Code(.undefinedLengthNotAllowed)
        /// The two VR bytes of an explicit VR header are not a VR.
        public static let invalidVR = Code(.invalidVR)
        /// An item or delimiter tag where a data element was expected.
        public static let unexpectedDelimiter = Code(.unexpectedDelimiter)
        /// Something other than an item inside a sequence, or a delimiter with a non-zero length.
        public static let invalidItem = Code(.invalidItem)
        /// Encapsulated Pixel Data that is not an offset table followed by fragment items.
        public static let invalidEncapsulatedPixelData = Code(.invalidEncapsulatedPixelData)
        /// Sequences nested deeper than ``DICOMReadOptions/maximumNestingDepth``.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// Bytes after the last element that are too few to be an element and not zero padding.
        public static let trailingGarbage = Code(.trailingGarbage)
        /// The same tag twice in one data set.
        public static let duplicateTag = Code(.duplicateTag)
        /// The deflated data set does not inflate.
        public static let deflateFailed = Code(.deflateFailed)
        /// The deflated data set inflates beyond ``DICOMReadOptions/maximumInflatedSize``.
        public static let inflatedSizeLimitExceeded = Code(.inflatedSizeLimitExceeded)
        /// Native pixel data with an encapsulated transfer syntax, or the reverse.
        public static let transferSyntaxMismatch = Code(.transferSyntaxMismatch)
        /// A transfer syntax the writer cannot produce (Big Endian, Deflated).
        public static let unsupportedTransferSyntax = Code(.unsupportedTransferSyntax)
        /// A value or sequence too long for a 32-bit length.
        public static let valueTooLong = Code(.valueTooLong)
        /// A number that the VR cannot hold (for example -1 as US).
        public static let valueOutOfRange = Code(.valueOutOfRange)
        /// Encapsulated fragments that cannot be assigned to frames.
        public static let cannotSplitFrames = Code(.cannotSplitFrames)
        /// The file cannot be opened or read.
        public static let fileUnreadable = Code(.fileUnreadable)
        /// ``DICOMReadOptions/isCancelled`` said stop.
        public static let cancelled = Code(.cancelled)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What was wrong, in words.
    public let message: String
    /// The element being read or written, when there was one.
    public let tag: Tag?
    /// The byte offset of that element's header (or of the problem) in the input.
    public let offset: Int?

    package init(_ code: Code, _ message: String, tag: Tag? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.tag = tag
        self.offset = offset
    }

    /// `truncated: value of 8130 bytes runs past the end of the input (tag (7FE0,0010), offset 1498)`
    public var description: String {
        var text = "\(code): \(message)"
        switch (tag, offset) {
        case let (tag?, offset?): text += " (tag \(tag), offset \(offset))"
        case let (tag?, nil): text += " (tag \(tag))"
        case let (nil, offset?): text += " (offset \(offset))"
        case (nil, nil): break
        }
        return text
    }
}
