/// A small, strict XML reader for S3's responses: elements, text, CDATA, character and the five
/// predefined entity references. Document type declarations are refused (no entity expansion), and
/// nesting depth is bounded, so hostile input fails with an error instead of exhausting memory.
///
/// S3 responses need nothing more; FoundationXML (libxml2) would be a heavy dependency for this.
package enum XMLTree {
    /// One element: its local name (any `prefix:` dropped), children and direct text.
    package struct Element: Sendable, Equatable {
        package var name: String
        package var children: [Element] = []
        /// The element's own text (character data directly inside it), exactly as sent.
        package var text: String = ""

        package func child(_ name: String) -> Element? { children.first { $0.name == name } }
        package func children(_ name: String) -> [Element] { children.filter { $0.name == name } }
        /// The text of the first child called `name`.
        package func text(of name: String) -> String? { child(name)?.text }
    }

    package struct ParseError: Error, CustomStringConvertible {
        package let message: String
        package let offset: Int
        package var description: String { "malformed XML at byte \(offset): \(message)" }
    }

    package static let maximumDepth = 64

    /// Parses a whole document and returns its root element.
    package static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> Element {
        var reader = Reader(bytes: Array(bytes))
        return try reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws(ParseError) -> Element {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            try skipMisc()
            guard peek() == UInt8(ascii: "<") else { throw fail("no root element") }
            let root = try element(depth: 1)
            try skipMisc()
            guard index == bytes.count else { throw fail("content after the root element") }
            return root
        }

        /// Whitespace, comments and processing instructions outside the root.
        mutating func skipMisc() throws(ParseError) {
            while true {
                skipWhitespace()
                if starts(with: "<?") {
                    try skip(past: "?>")
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<!") {
                    throw fail("document type declarations are not accepted")
                } else {
                    return
                }
            }
        }

        mutating func element(depth: Int) throws(ParseError) -> Element {
            guard depth <= XMLTree.maximumDepth else { throw fail("nesting deeper than \(XMLTree.maximumDepth)") }
            index += 1  // "<"
            let qualifiedName = name()
            guard !qualifiedName.isEmpty else { throw fail("missing element name") }
            var element = Element(name: localName(qualifiedName))
            try attributes()
            if starts(with: "/>") {
                index += 2
                return element
            }
            guard peek() == UInt8(ascii: ">") else { throw fail("unterminated start tag <\(qualifiedName)>") }
            index += 1
            var text: [UInt8] = []
            while true {
                guard let byte = peek() else { throw fail("missing </\(qualifiedName)>") }
                if byte != UInt8(ascii: "<") {
                    try characterData(into: &text)
                } else if starts(with: "</") {
                    index += 2
                    let closing = name()
                    guard closing == qualifiedName else { throw fail("</\(closing)> closes <\(qualifiedName)>") }
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ">") else { throw fail("unterminated end tag") }
                    index += 1
                    element.text = String(decoding: text, as: UTF8.self)
                    return element
                } else if starts(with: "<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text.append(contentsOf: bytes[start..<(index - 3)])
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<?") {
                    try skip(past: "?>")
                } else if starts(with: "<!") {
                    throw fail("declarations are not accepted inside elements")
                } else {
                    element.children.append(try self.element(depth: depth + 1))
                }
            }
        }

        /// Attributes are checked for form and skipped: S3's carry nothing the clients need.
        mutating func attributes() throws(ParseError) {
            while true {
                skipWhitespace()
                guard let byte = peek() else { throw fail("unterminated start tag") }
                if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") { return }
                guard !name().isEmpty else { throw fail("bad attribute") }
                skipWhitespace()
                guard peek() == UInt8(ascii: "=") else { throw fail("attribute without a value") }
                index += 1
                skipWhitespace()
                guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                    throw fail("unquoted attribute value")
                }
                index += 1
                while let next = peek(), next != quote { index += 1 }
                guard peek() == quote else { throw fail("unterminated attribute value") }
                index += 1
            }
        }

        mutating func characterData(into text: inout [UInt8]) throws(ParseError) {
            while let byte = peek(), byte != UInt8(ascii: "<") {
                if byte == UInt8(ascii: "&") {
                    try reference(into: &text)
                } else {
                    text.append(byte)
                    index += 1
                }
            }
        }

        mutating func reference(into text: inout [UInt8]) throws(ParseError) {
            let start = index
            index += 1
            while let byte = peek(), byte != UInt8(ascii: ";") {
                guard index - start < 12 else { throw fail("unterminated entity reference") }
                index += 1
            }
            guard peek() == UInt8(ascii: ";") else { throw fail("unterminated entity reference") }
            let entity = String(decoding: bytes[(start + 1)..<index], as: UTF8.self)
            index += 1
            switch entity {
            case "lt": text.append(UInt8(ascii: "<"))
            case "gt": text.append(UInt8(ascii: ">"))
            case "amp": text.append(UInt8(ascii: "&"))
            case "quot": text.append(UInt8(ascii: "\""))
            case "apos": text.append(UInt8(ascii: "'"))
            default:
                let value: UInt32?
                if entity.hasPrefix("#x") {
                    value = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    value = UInt32(entity.dropFirst(1), radix: 10)
                } else {
                    value = nil
                }
                guard let value, let scalar = Unicode.Scalar(value) else {
                    throw fail("unknown entity &\(entity);")
                }
                text.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
        }

        mutating func name() -> String {
            let start = index
            while let byte = peek(), !isSpace(byte), byte != UInt8(ascii: ">"), byte != UInt8(ascii: "/"),
                byte != UInt8(ascii: "="), byte != UInt8(ascii: "<")
            {
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        func localName(_ qualified: String) -> String {
            guard let colon = qualified.lastIndex(of: ":") else { return qualified }
            return String(qualified[qualified.index(after: colon)...])
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        func starts(with prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            return prefix.withUTF8Buffer { buffer in
                bytes[index..<(index + count)].elementsEqual(buffer)
            }
        }

        mutating func skip(past terminator: StaticString) throws(ParseError) {
            while index < bytes.count {
                if starts(with: terminator) {
                    index += terminator.utf8CodeUnitCount
                    return
                }
                index += 1
            }
            throw fail("missing \(terminator)")
        }

        mutating func skipWhitespace() {
            while let byte = peek(), isSpace(byte) { index += 1 }
        }

        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        func fail(_ message: String) -> ParseError { ParseError(message: message, offset: index) }
    }
}

extension XMLTree {
    /// Escapes text for an element's content.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
