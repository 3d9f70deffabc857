/// A human-readable listing of a file: one line per element (tag, VR, value length, keyword,
/// value preview), items indented under their sequence. What `dicom-j2k dump` prints.
extension DICOMFile {
    public func dump(maxValueCharacters: Int = 64) -> String {
        var lines: [String] = []
        lines.append("# Preamble: \(preamble == nil ? "absent" : "present")")
        var syntaxLine = "# Transfer Syntax: \(transferSyntax)"
        if !transferSyntax.isDeflated && sourceEncoding != transferSyntax.dataSetEncoding {
            syntaxLine += " (data set actually \(sourceEncoding))"
        }
        lines.append(syntaxLine)
        lines.append("# File Meta Information")
        DumpFormatter(maxValueCharacters: maxValueCharacters).append(fileMeta, depth: 0, to: &lines)
        lines.append("# Data Set")
        DumpFormatter(maxValueCharacters: maxValueCharacters).append(dataSet, depth: 0, to: &lines)
        return lines.joined(separator: "\n") + "\n"
    }
}

struct DumpFormatter {
    let maxValueCharacters: Int

    func append(_ dataSet: DataSet, depth: Int, to lines: inout [String]) {
        let indent = String(repeating: "  ", count: depth * 2)
        for element in dataSet {
            let keyword = DataDictionary.keyword(for: element.tag) ?? (element.tag.isPrivate ? "Private" : "Unknown")
            let paddedKeyword =
                keyword.count < 36 ? keyword + String(repeating: " ", count: 36 - keyword.count) : keyword
            let head = "\(indent)\(element.tag) \(element.vr) "
            switch element.value {
            case .bytes(let bytes):
                let length = String(bytes.count)
                let column = String(repeating: " ", count: max(0, 8 - length.count)) + length
                let line = head + column + "  " + paddedKeyword + "  " + preview(element, bytes)
                lines.append(String(line.reversed().drop { $0 == " " }.reversed()))
            case .sequence(let items):
                lines.append(
                    head + "       -  " + paddedKeyword + "  \(items.count) item\(items.count == 1 ? "" : "s")"
                )
                for (number, item) in items.enumerated() {
                    lines.append("\(indent)  > Item \(number + 1) (\(item.count) element\(item.count == 1 ? "" : "s"))")
                    append(item, depth: depth + 1, to: &lines)
                }
            case .encapsulated(let pixels):
                let sizes = pixels.fragments.prefix(8).map { String($0.count) }.joined(separator: ", ")
                let more = pixels.fragments.count > 8 ? ", …" : ""
                lines.append(
                    head + "     u/l  " + paddedKeyword
                        + "  encapsulated: offset table \(pixels.basicOffsetTable.count) "
                        + "entries, \(pixels.fragments.count) fragments (\(sizes)\(more) bytes)"
                )
            }
        }
    }

    private func preview(_ element: DataElement, _ bytes: ArraySlice<UInt8>) -> String {
        if element.tag == .pixelData { return "\(bytes.count) bytes of native pixel data" }
        let text: String
        if let strings = element.strings {
            text = strings.joined(separator: "\\")
        } else if let tags = element.attributeTags {
            text = tags.map(\.description).joined(separator: "\\")
        } else if element.vr.wordSize > 1 && ![.OW, .OF, .OL, .OD, .OV].contains(element.vr),
            let numbers = numbers(element)
        {
            text = numbers
        } else {
            let hex = bytes.prefix(16).map(hex2).joined(separator: " ")
            text = bytes.count > 16 ? "\(hex) … (\(bytes.count) bytes)" : hex
        }
        return clipped(printable(text))
    }

    private func numbers(_ element: DataElement) -> String? {
        let values: [String]?
        switch element.vr {
        case .FL, .FD: values = element.doubles?.map { "\($0)" }
        default: values = element.ints?.map(String.init)
        }
        return values?.joined(separator: "\\")
    }

    /// Control characters in file content must not reach a terminal.
    private func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "·" : scalar
                }
            )
        )
    }

    private func clipped(_ text: String) -> String {
        text.count > maxValueCharacters ? String(text.prefix(maxValueCharacters)) + "…" : text
    }
}
