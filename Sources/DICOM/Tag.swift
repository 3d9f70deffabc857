/// A DICOM attribute tag: (group, element).
///
/// Named constants for every keyword of the standard's data dictionary live in the generated
/// `Tag+Keywords.swift` (`Tag.rows`, `Tag.pixelData`, …).
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var group: UInt16
    public var element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    /// The tag as one 32-bit number, group in the high half (`0x7FE00010`).
    public init(rawValue: UInt32) {
        self.init(UInt16(truncatingIfNeeded: rawValue >> 16), UInt16(truncatingIfNeeded: rawValue))
    }

    public var rawValue: UInt32 { UInt32(group) << 16 | UInt32(element) }

    /// Private tags live in odd groups; 0001, 0003, 0005, 0007 and FFFF are reserved, not private.
    public var isPrivate: Bool { group & 1 == 1 && group > 0x0007 && group != 0xFFFF }

    /// (gggg,0010)…(gggg,00FF) in a private group: the element that names a block's creator (VR LO).
    public var isPrivateCreator: Bool { isPrivate && (0x0010...0x00FF).contains(element) }

    /// (gggg,0000): a group length. Retired in data sets except for the file meta group.
    public var isGroupLength: Bool { element == 0 }

    /// Item, Item Delimitation Item or Sequence Delimitation Item (group FFFE).
    public var isDelimiter: Bool { group == 0xFFFE }

    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `(7FE0,0010)`
    public var description: String { "(\(hex4(group)),\(hex4(element)))" }
}

/// Four upper-case hex digits.
func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
}
