/// Turns source keys (relative to the job prefix) into safe, unique ZIP entry names.
///
/// An archive extracted by any tool (Windows Explorer and `tar`, macOS Archive Utility and
/// `ditto`, Info-ZIP `unzip`, Python's `zipfile`) must not write outside its target folder, clobber
/// its own files, or have a file refused or renamed behind the user's back, so a name is:
/// - relative: leading `/` removed, backslashes treated as separators, empty, `.` and `..` segments
///   dropped (never resolved, so nothing can climb out);
/// - printable and portable: control characters and Windows' reserved `:*?"<>|` become `_` (which
///   also turns a drive letter `C:` into `C_`);
/// - without a trailing dot or space in any segment (Windows drops them, so `a.` would become `a`):
///   each becomes `_`;
/// - not a Windows device name: `CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9` (and the
///   superscript-digit forms, `CONIN$`, `CONOUT$`; also with an extension, `nul.txt`, and in any
///   case) get a `_` prefix;
/// - non-empty: a key with nothing left becomes `unnamed`;
/// - unique, ignoring case and Unicode normalization (Windows and macOS file systems would merge
///   `A.dcm` and `a.dcm`): the second `a.dcm` becomes `a-1.dcm`, then `a-2.dcm`, and so on. A file
///   never takes the name of an earlier entry's folder, and a folder segment that names an earlier
///   file is numbered the same way (`a` then `a/b` gives `a` and `a-1/b`).
///
/// The rest of a name (letters of any script, spaces inside it, dots) is kept, so names stay
/// recognisable.
public struct ZIPEntryNamer: Sendable {
    /// Lowercased names of files written so far, and of the folders they created.
    private var files: Set<String> = []
    private var folders: Set<String> = []

    public init() {}

    /// The sanitized form of `key`, without the uniqueness step.
    public static func sanitize(_ key: String) -> String {
        let segments = key.split(omittingEmptySubsequences: true) { $0 == "/" || $0 == "\\" }
            .filter { $0 != "." && $0 != ".." }
            .map { sanitizeSegment(String($0)) }
        return segments.isEmpty ? "unnamed" : segments.joined(separator: "/")
    }

    /// A sanitized name for `key` that no earlier call returned and that does not clash with an
    /// earlier file or folder (compared case-insensitively).
    public mutating func entryName(for key: String) -> String {
        var segments = Self.sanitize(key).split(separator: "/").map(String.init)
        // Folder segments: one that names an earlier file is numbered until it does not.
        var path = ""
        for index in segments.indices.dropLast() {
            var segment = segments[index]
            var counter = 1
            while files.contains((path + segment).lowercased()) {
                segment = "\(segments[index])-\(counter)"
                counter += 1
            }
            segments[index] = segment
            path += segment + "/"
        }
        let folder = path
        let name = segments[segments.count - 1]
        var candidate = folder + name
        let (stem, suffix) = Self.splitExtension(name)
        var counter = 1
        while files.contains(candidate.lowercased()) || folders.contains(candidate.lowercased()) {
            candidate = "\(folder)\(stem)-\(counter)\(suffix)"
            counter += 1
        }
        files.insert(candidate.lowercased())
        var prefix = ""
        for segment in segments.dropLast() {
            prefix += (prefix.isEmpty ? "" : "/") + segment
            folders.insert(prefix.lowercased())
        }
        return candidate
    }

    private static let reservedCharacters: Set<Unicode.Scalar> = [":", "*", "?", "\"", "<", ">", "|"]

    /// Windows device names; a file named so (with any extension) opens the device instead.
    private static let deviceNames: Set<String> = {
        var names: Set<String> = ["con", "prn", "aux", "nul", "conin$", "conout$"]
        for digit in ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"] {
            names.insert("com" + digit)
            names.insert("lpt" + digit)
        }
        return names
    }()

    private static func sanitizeSegment(_ segment: String) -> String {
        var scalars = String.UnicodeScalarView(
            segment.unicodeScalars.map { scalar in
                let control = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                return control || reservedCharacters.contains(scalar) ? "_" : scalar
            }
        )
        // Trailing dots and spaces, which Windows strips.
        var end = scalars.endIndex
        while end > scalars.startIndex {
            let previous = scalars.index(before: end)
            guard scalars[previous] == "." || scalars[previous] == " " else { break }
            end = previous
        }
        let trailing = scalars.distance(from: end, to: scalars.endIndex)
        scalars.replaceSubrange(end..., with: repeatElement("_", count: trailing))
        var result = String(scalars)
        // The device name is what precedes the first dot, trailing spaces ignored.
        let stem = result.prefix { $0 != "." }
        var trimmed = Substring(stem)
        while trimmed.last == " " { trimmed = trimmed.dropLast() }
        if deviceNames.contains(trimmed.lowercased()) { result = "_" + result }
        return result
    }

    /// Splits `name.ext` into `name` and `.ext`; a name without a dot (or only a leading
    /// dot, like `.hidden`) has no extension.
    private static func splitExtension(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: "."), dot > name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }
}
