/// The DICOM data dictionary (PS3.6): tag → VR, VM, keyword. Generated from the standard by
/// `scripts/gen-dictionary.py`; see `Generated/DataDictionary+Table.swift`.
public enum DataDictionary {
    /// One attribute of the dictionary.
    public struct Entry: Sendable {
        /// The VRs the standard allows, usually one; several for "US or SS", "OB or OW" and the like.
        public let vrs: [VR]
        /// Value multiplicity as the standard writes it (`1`, `1-n`, `2-2n`, …).
        public let vm: String
        /// The keyword (`PixelData`); empty for the few retired attributes that have none.
        public let keyword: String
        public let isRetired: Bool

        /// The first allowed VR.
        public var vr: VR { vrs[0] }
        /// Whether the VR depends on other attributes (PS3.5 §6.2.2 and Annex A).
        public var isAmbiguous: Bool { vrs.count > 1 }
    }

    /// The entry for `tag`: group lengths are UL, private creators LO, other private tags unknown
    /// (`nil`); repeating groups such as (60xx,3000) are matched by mask.
    public static func entry(for tag: Tag) -> Entry? {
        if tag.isGroupLength && !tag.isDelimiter {
            return tables.exact[tag.rawValue] ?? groupLength
        }
        if tag.isPrivateCreator { return privateCreator }
        if tag.isPrivate { return nil }
        if let entry = tables.exact[tag.rawValue] { return entry }
        for repeater in tables.repeaters where tag.rawValue & repeater.mask == repeater.value {
            return repeater.entry
        }
        return nil
    }

    /// The keyword of `tag`, or `nil` when the dictionary does not name it.
    public static func keyword(for tag: Tag) -> String? {
        guard let keyword = entry(for: tag)?.keyword, !keyword.isEmpty else { return nil }
        return keyword
    }

    private static let groupLength = Entry(vrs: [.UL], vm: "1", keyword: "GroupLength", isRetired: false)
    private static let privateCreator = Entry(vrs: [.LO], vm: "1", keyword: "PrivateCreator", isRetired: false)

    private struct Repeater {
        let mask: UInt32
        let value: UInt32
        let entry: Entry
    }

    private struct Tables {
        var exact: [UInt32: Entry] = [:]
        var repeaters: [Repeater] = []
    }

    /// Parsed once, on first use (a global `let` is initialised lazily and thread-safely).
    private static let tables: Tables = {
        var tables = Tables()
        tables.exact.reserveCapacity(5200)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4, fields[0].utf8.count == 8 else { continue }
            let vrs = fields[1].split(separator: "/").compactMap { VR(rawValue: String($0)) }
            guard !vrs.isEmpty else { continue }
            let keyword = fields[3] == "-" ? "" : String(fields[3])
            let entry = Entry(vrs: vrs, vm: String(fields[2]), keyword: keyword, isRetired: fields.count > 4)
            var mask: UInt32 = 0
            var value: UInt32 = 0
            for character in fields[0].utf8 {
                mask <<= 4
                value <<= 4
                if let nibble = hexValue(character) {
                    mask |= 0xF
                    value |= UInt32(nibble)
                }
            }
            if mask == 0xFFFF_FFFF {
                tables.exact[value] = entry
            } else {
                tables.repeaters.append(Repeater(mask: mask, value: value, entry: entry))
            }
        }
        return tables
    }()

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
