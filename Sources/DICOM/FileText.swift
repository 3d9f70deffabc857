/// Text taken from a file for an error message or a reason: cut short and escaped, so a value
/// cannot flood a result JSON or a log, carry control characters into a terminal, or smuggle
/// more than a short excerpt of what may be patient data.
package enum FileText {
    /// The longest excerpt quoted, in characters before escaping.
    package static let maximumLength = 64

    /// `text` with control characters, DEL and non-ASCII written as `\u{…}`, cut
    /// to ``maximumLength`` characters with `...` marking the cut.
    package static func quoted(_ text: some StringProtocol, limit: Int = maximumLength) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else {
                result += "..."
                break
            }
            count += 1
            if (0x20..<0x7F).contains(scalar.value) {
                result.unicodeScalars.append(scalar)
            } else {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return result
    }
}
