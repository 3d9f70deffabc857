/// An action code of PS3.15 Table E.1-1: what the Basic Application Level Confidentiality Profile
/// does to an attribute. Raw values are the standard's codes.
public enum DeidentificationAction: String, Sendable, CaseIterable {
    /// D: replace with a non-empty dummy value consistent with the VR.
    case dummy = "D"
    /// Z: replace with an empty value (or a dummy).
    case zero = "Z"
    /// X: remove.
    case remove = "X"
    /// K: keep (sequences are still cleaned inside).
    case keep = "K"
    /// C: clean (replace identifying text with values of similar meaning).
    case clean = "C"
    /// U: replace the UID by one that is consistent within the set of instances.
    case uid = "U"
    /// Z/D: Z unless D is needed for IOD conformance (Type 2 versus Type 1).
    case zeroOrDummy = "Z/D"
    /// X/Z: X unless Z is needed (Type 3 versus Type 2).
    case removeOrZero = "X/Z"
    /// X/D: X unless D is needed (Type 3 versus Type 1).
    case removeOrDummy = "X/D"
    /// X/Z/D: X unless Z or D is needed (Type 3 versus Type 2 versus Type 1).
    case removeOrZeroOrDummy = "X/Z/D"
    /// X/Z/U*: X unless Z, or replacing the contained instance UIDs, is needed (sequences of references).
    case removeOrZeroOrUID = "X/Z/U*"

    /// The Basic Profile's action for `tag`, or `nil` when the profile does not list it (kept).
    /// Private attributes are not listed here: the profile removes all of them (see ``Deidentifier``).
    public static func basicProfile(for tag: Tag) -> DeidentificationAction? {
        let table = ParsedTable.shared
        if let action = table.exact[tag.rawValue] { return action }
        return table.masked.first { tag.rawValue & $0.mask == $0.value }?.action
    }

    /// Every attribute the table lists, with its action (exact tags only; for tests and docs).
    public static var basicProfileTags: [Tag: DeidentificationAction] {
        var result: [Tag: DeidentificationAction] = [:]
        for (raw, action) in ParsedTable.shared.exact { result[Tag(rawValue: raw)] = action }
        return result
    }

    /// ``basicProfileTable`` parsed once.
    private struct ParsedTable: Sendable {
        var exact: [UInt32: DeidentificationAction] = [:]
        var masked: [(value: UInt32, mask: UInt32, action: DeidentificationAction)] = []

        static let shared = ParsedTable(basicProfileTable)

        init(_ text: String) {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ", maxSplits: 2)
                // The table is generated; a malformed line would be a generator bug caught by the tests.
                guard fields.count >= 2, fields[0].utf8.count == 8,
                    let action = DeidentificationAction(rawValue: String(fields[1]))
                else { continue }
                let pattern = String(fields[0])
                guard let value = UInt32(pattern.replacingX(with: "0"), radix: 16) else { continue }
                if pattern.contains("x") {
                    let mask = UInt32(String(pattern.map { $0 == "x" ? "0" : "F" }), radix: 16) ?? 0
                    masked.append((value, mask, action))
                } else {
                    exact[value] = action
                }
            }
        }
    }
}

extension String {
    fileprivate func replacingX(with replacement: Character) -> String {
        String(map { $0 == "x" ? replacement : $0 })
    }
}
