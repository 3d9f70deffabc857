/// Encodes data sets as Explicit VR Little Endian (PS3.5 §7.1.2), or Implicit VR Little Endian
/// (§7.1.3) where asked, for tools that must produce what old scanners write:
/// - values padded to even length (UI with NUL, other strings with space, binary with 0x00);
/// - sequences and items with defined lengths (back-patched), encapsulated Pixel Data with
///   undefined length, its Basic Offset Table item and one item per fragment;
/// - group length elements (gggg,0000) left out: they are retired in data sets (PS3.5 §7.2) and would
///   be stale after any edit;
/// - a value too long for a 16-bit length VR (possible after Implicit VR input) written as UN, the
///   standard's escape for exactly this case (PS3.5 §6.2.2).
struct DataSetWriter {
    private(set) var output: [UInt8] = []
    /// Whether element headers carry their VR (Explicit VR) or only a 32-bit length (Implicit VR).
    private let explicitVR: Bool

    init(capacity: Int = 0, explicitVR: Bool = true) {
        output.reserveCapacity(capacity)
        self.explicitVR = explicitVR
    }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        output.append(contentsOf: bytes)
    }

    mutating func append16(_ value: UInt16) {
        output.append(UInt8(truncatingIfNeeded: value))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func append32(_ value: UInt32) {
        append16(UInt16(truncatingIfNeeded: value))
        append16(UInt16(truncatingIfNeeded: value >> 16))
    }

    private mutating func appendTag(_ tag: Tag) {
        append16(tag.group)
        append16(tag.element)
    }

    private mutating func appendHeader(_ tag: Tag, _ vr: VR, length: UInt32) {
        appendTag(tag)
        guard explicitVR else {
            append32(length)
            return
        }
        let (first, second) = vr.bytes
        output.append(first)
        output.append(second)
        if vr.hasLongLength {
            append16(0)
            append32(length)
        } else {
            append16(UInt16(truncatingIfNeeded: length))
        }
    }

    /// Writes a 32-bit length placeholder and returns where it is, for ``patchLength(at:tag:)``.
    private mutating func lengthPlaceholder() -> Int {
        let index = output.count
        append32(0)
        return index
    }

    private mutating func patchLength(at index: Int, tag: Tag) throws(DICOMError) {
        let length = output.count - index - 4
        guard length < Int(DataSetParser.undefinedLength) else {
            throw DICOMError(.valueTooLong, "sequence or item of \(length) bytes exceeds a 32-bit length", tag: tag)
        }
        let value = UInt32(length)
        for byte in 0..<4 {
            output[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte)))
        }
    }

    /// Writes every element of `dataSet` except group lengths (and, when `skipFileMeta`, group 0002).
    mutating func write(_ dataSet: DataSet, skipFileMeta: Bool = false) throws(DICOMError) {
        for element in dataSet where !element.tag.isGroupLength && !(skipFileMeta && element.tag.group == 0x0002) {
            try write(element)
        }
    }

    mutating func write(_ element: DataElement) throws(DICOMError) {
        let tag = element.tag
        switch element.value {
        case .bytes(let value):
            let length = value.count + value.count % 2
            var vr = element.vr == .SQ ? .UN : element.vr
            if explicitVR && !vr.hasLongLength && length > Int(UInt16.max) { vr = .UN }
            guard length < Int(DataSetParser.undefinedLength) else {
                throw DICOMError(.valueTooLong, "value of \(length) bytes exceeds a 32-bit length", tag: tag)
            }
            appendHeader(tag, vr, length: UInt32(length))
            append(value)
            if value.count % 2 == 1 { output.append(vr.paddingByte) }
        case .sequence(let items):
            appendTag(tag)
            if explicitVR {
                let (first, second) = VR.SQ.bytes
                output.append(first)
                output.append(second)
                append16(0)
            }
            let sequenceLength = lengthPlaceholder()
            for item in items {
                appendTag(.item)
                let itemLength = lengthPlaceholder()
                try write(item)
                try patchLength(at: itemLength, tag: tag)
            }
            try patchLength(at: sequenceLength, tag: tag)
        case .encapsulated(let pixels):
            guard explicitVR else {
                throw DICOMError(.transferSyntaxMismatch, "encapsulated Pixel Data needs Explicit VR", tag: tag)
            }
            appendHeader(tag, element.vr == .OW ? .OW : .OB, length: DataSetParser.undefinedLength)
            appendTag(.item)
            guard pixels.basicOffsetTable.count < Int(DataSetParser.undefinedLength) / 4 else {
                throw DICOMError(.valueTooLong, "Basic Offset Table too long", tag: tag)
            }
            append32(UInt32(pixels.basicOffsetTable.count * 4))
            for offset in pixels.basicOffsetTable { append32(offset) }
            for fragment in pixels.fragments {
                let length = fragment.count + fragment.count % 2
                guard length < Int(DataSetParser.undefinedLength) else {
                    throw DICOMError(.valueTooLong, "fragment of \(length) bytes exceeds a 32-bit length", tag: tag)
                }
                appendTag(.item)
                append32(UInt32(length))
                append(fragment)
                if fragment.count % 2 == 1 { output.append(0) }
            }
            appendTag(.sequenceDelimitationItem)
            append32(0)
        }
    }
}
