/// The percent-encoding rules of Signature Version 4.
///
/// SigV4 encodes every byte except the RFC 3986 unreserved characters (`A–Z a–z 0–9 - _ . ~`), with
/// upper-case hex digits. Spaces become `%20`, never `+`. The same encoder builds the path and query
/// that go on the wire, so what is signed is exactly what is sent.
public enum SigV4Encoding {
    /// Percent-encodes `string` (its UTF-8 bytes). With `encodeSlash: false`, `/` stays literal, as in paths.
    public static func uriEncode(_ string: String, encodeSlash: Bool = true) -> String {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) || (byte == UInt8(ascii: "/") && !encodeSlash) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(byte >> 4)])
                out.append(upperHex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; with `plusIsSpace`, `+` means a space (S3's `encoding-type=url` output
    /// follows HTML form encoding). Returns `nil` for a malformed escape or invalid UTF-8.
    public static func percentDecode(_ string: String, plusIsSpace: Bool = false) -> String? {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count)
        var iterator = string.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                out.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                out.append(UInt8(ascii: " "))
            default:
                out.append(byte)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// The canonical query string: names and values encoded, pairs sorted by encoded name, then by value.
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        items.map { (uriEncode($0.name), uriEncode($0.value)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Sequence<UInt8> {
    /// Lower-case hex, as SigV4 writes hashes and signatures.
    package var hexString: String {
        var out = [UInt8]()
        for byte in self {
            out.append(lowerHex[Int(byte >> 4)])
            out.append(lowerHex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

private let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)
private let lowerHex: [UInt8] = Array("0123456789abcdef".utf8)
