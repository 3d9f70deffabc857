/// Turns source keys (relative to the job prefix) into safe, unique ZIP entry names.
///
/// An archive extracted by any tool must not write outside its target folder or clobber its own
/// files, so a name is:
/// - relative: leading `/` removed, backslashes treated as separators, empty, `.` and `..` segments
///   dropped (never resolved, so nothing can climb out);
/// - printable: control characters become `_`;
/// - non-empty: a key with nothing left becomes `unnamed`;
/// - unique, ignoring case (case-insensitive file systems would merge `A.dcm` and `a.dcm`): the second
///   `a.dcm` becomes `a-1.dcm`, then `a-2.dcm`, and so on.
public struct ZIPEntryNamer: Sendable {
    private var used: Set<String> = []

    public init() {}

    /// The sanitized form of `key`, without the uniqueness step.
    public static func sanitize(_ key: String) -> String {
        let segments = key.split(omittingEmptySubsequences: true) { $0 == "/" || $0 == "\\" }
            .filter { $0 != "." && $0 != ".." }
            .map { segment in
                String(
                    String.UnicodeScalarView(
                        segment.unicodeScalars.map { scalar in
                            scalar.value < 0x20 || scalar.value == 0x7F ? "_" : scalar
                        }
                    )
                )
            }
        return segments.isEmpty ? "unnamed" : segments.joined(separator: "/")
    }

    /// A sanitized name for `key` that no earlier call returned (compared case-insensitively).
    public mutating func entryName(for key: String) -> String {
        let name = Self.sanitize(key)
        if used.insert(name.lowercased()).inserted { return name }
        let (stem, suffix) = Self.splitExtension(name)
        var counter = 1
        while true {
            let candidate = "\(stem)-\(counter)\(suffix)"
            if used.insert(candidate.lowercased()).inserted { return candidate }
            counter += 1
        }
    }

    /// Splits `dir/name.ext` into `dir/name` and `.ext`; a name without a dot (or only a leading
    /// dot, like `.hidden`) has no extension.
    private static func splitExtension(_ name: String) -> (String, String) {
        let lastSegmentStart = name.lastIndex(of: "/").map { name.index(after: $0) } ?? name.startIndex
        guard let dot = name[lastSegmentStart...].lastIndex(of: "."), dot > lastSegmentStart else {
            return (name, "")
        }
        return (String(name[..<dot]), String(name[dot...]))
    }
}
