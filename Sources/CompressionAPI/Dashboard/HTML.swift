/// The little HTML the dashboard needs: text escaping and checked link targets. Everything shown
/// from a result document (task ids, URIs, error messages) is untrusted and goes through here.
enum HTML {
    /// `text` safe as element content and as a quoted attribute value: `& < > " '` become
    /// entities, control characters (other than tab and line breaks) become U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// An `<a>` element, or the plain escaped label when `target` is missing or not a link the
    /// dashboard makes: a path on this server (`/…`, not `//host`) or an http(s) URL. Anything else
    /// (`javascript:`, `data:`) is dropped rather than escaped into a working link.
    static func link(_ target: String?, _ label: String, title: String? = nil) -> String? {
        guard let target, isAllowedTarget(target) else { return nil }
        let titleAttribute = title.map { " title=\"\(escape($0))\"" } ?? ""
        return "<a href=\"\(escape(target))\"\(titleAttribute)>\(escape(label))</a>"
    }

    static func isAllowedTarget(_ target: String) -> Bool {
        let lower = target.lowercased()
        if lower.hasPrefix("/") { return !lower.hasPrefix("//") && !lower.hasPrefix("/\\") }
        return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }
}
