import Foundation

/// Setting element values. When `vr` is `nil` the dictionary's VR is used (ambiguous ones decided
/// from this data set's Bits Allocated and Pixel Representation); tags the dictionary does not know,
/// private ones included, default to UN, so pass `vr` for those.
extension DataSet {
    /// The VR the dictionary gives `tag` in this data set.
    public func defaultVR(for tag: Tag) -> VR {
        guard let entry = DataDictionary.entry(for: tag) else { return .UN }
        guard entry.isAmbiguous else { return entry.vr }
        if entry.vrs.contains(.OB) && entry.vrs.contains(.OW) { return (int(.bitsAllocated) ?? 16) > 8 ? .OW : .OB }
        if entry.vrs == [.US, .SS] { return int(.pixelRepresentation) == 1 ? .SS : .US }
        return entry.vr
    }

    /// Stores `bytes` as the encoded value (little endian, unpadded or padded).
    public mutating func set(_ tag: Tag, vr: VR, bytes: some Sequence<UInt8>) {
        insert(DataElement(tag: tag, vr: vr, value: .bytes(ArraySlice(bytes))))
    }

    /// Stores string values joined with `\`, UTF-8 encoded; the writer pads to even length.
    public mutating func set(_ tag: Tag, strings: [String], vr: VR? = nil) {
        set(tag, vr: vr ?? defaultVR(for: tag), bytes: Array(strings.joined(separator: "\\").utf8))
    }

    public mutating func set(_ tag: Tag, string: String, vr: VR? = nil) {
        set(tag, strings: [string], vr: vr)
    }

    /// Stores a sequence.
    public mutating func set(_ tag: Tag, items: [DataSet]) {
        insert(DataElement(tag: tag, vr: .SQ, value: .sequence(items)))
    }

    /// Stores integers as US, SS, UL, SL, SV, UV, IS, DS, FL or FD.
    /// - Throws: ``DICOMError/Code/valueOutOfRange`` when a value does not fit the VR, or the VR
    ///   holds no numbers.
    public mutating func set(_ tag: Tag, ints: [Int], vr: VR? = nil) throws(DICOMError) {
        let vr = vr ?? defaultVR(for: tag)
        var bytes: [UInt8] = []
        func fail(_ value: Int) -> DICOMError {
            DICOMError(.valueOutOfRange, "\(value) does not fit VR \(vr)", tag: tag)
        }
        switch vr {
        case .US, .SS, .UL, .SL, .SV, .UV:
            for value in ints {
                let fits: Bool
                switch vr {
                case .US: fits = UInt16(exactly: value) != nil
                case .SS: fits = Int16(exactly: value) != nil
                case .UL: fits = UInt32(exactly: value) != nil
                case .SL: fits = Int32(exactly: value) != nil
                case .UV: fits = value >= 0
                default: fits = true
                }
                guard fits else { throw fail(value) }
                Self.appendLittleEndian(UInt64(bitPattern: Int64(value)), size: vr.wordSize, to: &bytes)
            }
        case .IS:
            for value in ints where Int32(exactly: value) == nil { throw fail(value) }
            bytes = Array(ints.map(String.init).joined(separator: "\\").utf8)
        case .DS, .FL, .FD:
            try set(tag, doubles: ints.map(Double.init), vr: vr)
            return
        default:
            throw DICOMError(.valueOutOfRange, "VR \(vr) does not hold integers", tag: tag)
        }
        set(tag, vr: vr, bytes: bytes)
    }

    public mutating func set(_ tag: Tag, int: Int, vr: VR? = nil) throws(DICOMError) {
        try set(tag, ints: [int], vr: vr)
    }

    /// Stores numbers as DS (each formatted in at most 16 characters), FL or FD; whole numbers
    /// may also go to the integer VRs.
    /// - Throws: ``DICOMError/Code/valueOutOfRange`` for non-finite DS values, fractions in
    ///   integer VRs, and VRs without numbers.
    public mutating func set(_ tag: Tag, doubles: [Double], vr: VR? = nil) throws(DICOMError) {
        let vr = vr ?? defaultVR(for: tag)
        var bytes: [UInt8] = []
        switch vr {
        case .FL:
            for value in doubles { Self.appendLittleEndian(UInt64(Float(value).bitPattern), size: 4, to: &bytes) }
        case .FD:
            for value in doubles { Self.appendLittleEndian(value.bitPattern, size: 8, to: &bytes) }
        case .DS:
            var texts: [String] = []
            for value in doubles {
                guard let text = Self.decimalString(value) else {
                    throw DICOMError(.valueOutOfRange, "\(value) cannot be written as DS", tag: tag)
                }
                texts.append(text)
            }
            bytes = Array(texts.joined(separator: "\\").utf8)
        default:
            var whole: [Int] = []
            for value in doubles {
                guard let integer = Int(exactly: value) else {
                    throw DICOMError(.valueOutOfRange, "\(value) does not fit VR \(vr)", tag: tag)
                }
                whole.append(integer)
            }
            try set(tag, ints: whole, vr: vr)
            return
        }
        set(tag, vr: vr, bytes: bytes)
    }

    public mutating func set(_ tag: Tag, double: Double, vr: VR? = nil) throws(DICOMError) {
        try set(tag, doubles: [double], vr: vr)
    }

    /// A DS value (PS3.5 §6.2: at most 16 characters): the shortest exact form when it fits,
    /// otherwise as many significant digits as fit.
    static func decimalString(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        if let whole = Int64(exactly: value), abs(whole) < 1_000_000_000_000_000 {
            let text = String(whole)
            if text.utf8.count <= 16 { return text }
        }
        let shortest = "\(value)"
        if shortest.utf8.count <= 16 { return shortest }
        for precision in stride(from: 15, through: 1, by: -1) {
            let text = String(format: "%.\(precision)g", value)
            if text.utf8.count <= 16 { return text }
        }
        return nil
    }

    private static func appendLittleEndian(_ value: UInt64, size: Int, to bytes: inout [UInt8]) {
        for byte in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte)))) }
    }
}
