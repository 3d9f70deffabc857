/// Decoding element values: strings (padding trimmed, split on backslash), numbers, tags.
extension DataElement {
    /// The values of a string VR, padding (spaces, NULs) trimmed; multi-valued VRs split on `\`.
    /// LT, ST, UT and UR hold one value (a backslash is text there) with only trailing padding
    /// trimmed. Empty for an empty value; `nil` for non-string VRs.
    ///
    /// Bytes are decoded as UTF-8 when valid, else as ISO 8859-1 (Specific Character Set is not
    /// interpreted; the raw bytes are always available through ``bytes``).
    public var strings: [String]? {
        guard vr.isString, let bytes else { return nil }
        if vr.isSingleValuedText {
            let trimmed = Self.trimmed(bytes, leading: false)
            return trimmed.isEmpty ? [] : [Self.decode(trimmed)]
        }
        let trimmedAll = Self.trimmed(bytes, leading: true)
        if trimmedAll.isEmpty { return [] }
        return bytes.split(separator: 0x5C, omittingEmptySubsequences: false).map {
            Self.decode(Self.trimmed($0, leading: true))
        }
    }

    /// Integer values: US, SS, UL, SL, SV, UV, and IS (and DS values that are whole numbers).
    /// `nil` for other VRs or when a value does not parse or fit `Int`.
    public var ints: [Int]? {
        guard let bytes else { return nil }
        switch vr {
        case .US: return Self.numbers(bytes, size: 2) { Int(UInt16(truncatingIfNeeded: $0)) }
        case .SS: return Self.numbers(bytes, size: 2) { Int(Int16(truncatingIfNeeded: $0)) }
        case .UL: return Self.numbers(bytes, size: 4) { Int(UInt32(truncatingIfNeeded: $0)) }
        case .SL: return Self.numbers(bytes, size: 4) { Int(Int32(truncatingIfNeeded: $0)) }
        case .SV: return Self.numbers(bytes, size: 8) { Int(Int64(bitPattern: $0)) }
        case .UV: return Self.optionalNumbers(bytes, size: 8) { Int(exactly: $0) }
        case .IS:
            return Self.parsed(strings) { text in Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) }
        case .DS:
            return Self.parsed(strings) { text in Double(text).flatMap { Int(exactly: $0) } }
        default: return nil
        }
    }

    /// Floating-point values: FL, FD, DS, and every integer VR of ``ints``.
    public var doubles: [Double]? {
        guard let bytes else { return nil }
        switch vr {
        case .FL: return Self.numbers(bytes, size: 4) { Double(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
        case .FD: return Self.numbers(bytes, size: 8) { Double(bitPattern: $0) }
        case .DS: return Self.parsed(strings) { Double($0) }
        default: return ints.map { $0.map(Double.init) }
        }
    }

    /// The tags of an AT value.
    public var attributeTags: [Tag]? {
        guard vr == .AT, let bytes else { return nil }
        return Self.numbers(bytes, size: 4) { raw in
            Tag(UInt16(truncatingIfNeeded: raw), UInt16(truncatingIfNeeded: raw >> 16))
        }
    }

    // MARK: - Helpers

    static func trimmed(_ bytes: ArraySlice<UInt8>, leading: Bool) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x00 { end -= 1 }
        if leading {
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x00 { start += 1 }
        }
        return bytes[start..<end]
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    /// Little-endian numbers of `size` bytes; a trailing partial number is ignored.
    private static func numbers<T>(_ bytes: ArraySlice<UInt8>, size: Int, _ convert: (UInt64) -> T) -> [T] {
        optionalNumbers(bytes, size: size) { convert($0) } ?? []
    }

    private static func optionalNumbers<T>(_ bytes: ArraySlice<UInt8>, size: Int, _ convert: (UInt64) -> T?) -> [T]? {
        var result: [T] = []
        result.reserveCapacity(bytes.count / size)
        var index = bytes.startIndex
        while index + size <= bytes.endIndex {
            var raw: UInt64 = 0
            for byte in (0..<size).reversed() { raw = raw << 8 | UInt64(bytes[index + byte]) }
            guard let value = convert(raw) else { return nil }
            result.append(value)
            index += size
        }
        return result
    }

    private static func parsed<T>(_ strings: [String]?, _ parse: (String) -> T?) -> [T]? {
        guard let strings else { return nil }
        var result: [T] = []
        for text in strings {
            guard let value = parse(text) else { return nil }
            result.append(value)
        }
        return result
    }
}

/// Typed access by tag; each getter returns `nil` when the element is absent or the VR does not fit.
extension DataSet {
    /// The value bytes (little endian, with the file's padding).
    public func bytes(_ tag: Tag) -> ArraySlice<UInt8>? { self[tag]?.bytes }
    /// The items of a sequence.
    public func items(_ tag: Tag) -> [DataSet]? { self[tag]?.items }
    /// All values of a string element (see ``DataElement/strings``).
    public func strings(_ tag: Tag) -> [String]? { self[tag]?.strings }
    /// The first value of a string element; `""` when the element is present but empty.
    public func string(_ tag: Tag) -> String? { strings(tag).map { $0.first ?? "" } }
    public func ints(_ tag: Tag) -> [Int]? { self[tag]?.ints }
    /// The first integer value (US, SS, UL, SL, SV, UV, IS).
    public func int(_ tag: Tag) -> Int? { ints(tag)?.first }
    public func doubles(_ tag: Tag) -> [Double]? { self[tag]?.doubles }
    /// The first number (FL, FD, DS or an integer VR).
    public func double(_ tag: Tag) -> Double? { doubles(tag)?.first }
    public func attributeTags(_ tag: Tag) -> [Tag]? { self[tag]?.attributeTags }
}
