/// Reads data elements from one immutable buffer. Every value is a slice of that buffer (big-endian
/// values excepted: they are swapped into new storage), every length is checked against the bytes
/// that remain in the enclosing container before it is used, and nothing is allocated in proportion
/// to a length read from the input.
struct DataSetParser {
    let bytes: [UInt8]
    let options: DICOMReadOptions
    /// When set, the elements read at the top level (and in the file meta) before an error are
    /// kept here, for `dump` of a damaged file.
    var partial: PartialRead?

    /// What the parser knows at one nesting level: the encoding, the depth, and the attributes that
    /// decide ambiguous implicit VRs (inherited by nested items, as pydicom and DCMTK do).
    struct Context {
        var encoding: DataSetEncoding
        var depth = 0
        var pixelRepresentation: Int?
        var bitsAllocated: Int?
        var lutDescriptorEntries: Int?
    }

    /// How a run of elements ends.
    enum End {
        /// At the end of the input; trailing zero bytes are tolerated.
        case topLevel
        /// At the first element whose group is not 0002.
        case fileMeta
        /// Exactly at the item's end.
        case definedItem
        /// At an Item Delimitation Item.
        case undefinedItem
    }

    struct Header {
        var tag: Tag
        /// `nil` for implicit VR and for item/delimiter tags.
        var vr: VR?
        var length: UInt32
        var offset: Int
        var valueStart: Int
    }

    static let undefinedLength: UInt32 = 0xFFFF_FFFF

    // MARK: - Primitive reads; callers check bounds first.

    func uint16(at position: Int, littleEndian: Bool) -> UInt16 {
        let first = UInt16(bytes[position])
        let second = UInt16(bytes[position + 1])
        return littleEndian ? first | second << 8 : first << 8 | second
    }

    func uint32(at position: Int, littleEndian: Bool) -> UInt32 {
        let low = UInt32(uint16(at: position, littleEndian: littleEndian))
        let high = UInt32(uint16(at: position + 2, littleEndian: littleEndian))
        return littleEndian ? low | high << 16 : low << 16 | high
    }

    /// The error for a read that needs bytes beyond `limit`: `truncated` when the limit is the end
    /// of the input, `lengthExceedsContainer` when it is the end of an item or sequence.
    func overrun(_ message: String, limit: Int, tag: Tag?, offset: Int) -> DICOMError {
        DICOMError(limit >= bytes.count ? .truncated : .lengthExceedsContainer, message, tag: tag, offset: offset)
    }

    // MARK: - Data sets

    /// Parses elements from `start` until `end` says stop, never reading at or past `limit`.
    /// `itemOffset` is where the enclosing item's tag is, for errors about the item.
    /// - Returns: the data set and the position after it (after the delimiter, for undefined items).
    func parseDataSet(
        from start: Int,
        to limit: Int,
        end: End,
        context: Context,
        itemOffset: Int? = nil
    ) throws(DICOMError) -> (DataSet, Int) {
        var context = context
        // Elements are appended as read and sorted once at the end when they came out of order,
        // so parsing stays linear whatever the order (inserting each in place would be quadratic).
        var elements: [DataElement] = []
        var inOrder = true
        var position = start
        var firstNonZero = -1
        func finished(at next: Int) throws(DICOMError) -> (DataSet, Int) {
            (try DataSet(parsed: elements, sorted: inOrder), next)
        }
        do throws(DICOMError) {
            return try parseElements()
        } catch {
            if let partial, end == .topLevel || end == .fileMeta {
                partial.keep(elements, fileMeta: end == .fileMeta)
            }
            throw error
        }

        func parseElements() throws(DICOMError) -> (DataSet, Int) {
            while true {
                if position >= limit {
                    if end == .undefinedItem {
                        throw overrun(
                            "item has no Item Delimitation Item",
                            limit: limit,
                            tag: .item,
                            offset: itemOffset ?? position
                        )
                    }
                    return try finished(at: position)
                }
                if end == .fileMeta, limit - position < 2 || uint16(at: position, littleEndian: true) != 0x0002 {
                    return try finished(at: position)
                }
                if end == .topLevel, try isTrailingPadding(from: position, to: limit, firstNonZero: &firstNonZero) {
                    return try finished(at: limit)
                }
                if elements.count % Self.cancellationInterval == Self.cancellationInterval - 1 {
                    try checkCancellation(at: position)
                }
                let header = try readHeader(at: position, limit: limit, encoding: context.encoding)
                if header.tag.isDelimiter {
                    if header.tag == .itemDelimitationItem, end == .undefinedItem {
                        guard header.length == 0 else {
                            throw DICOMError(
                                .invalidItem,
                                "Item Delimitation Item with length \(header.length), expected 0",
                                tag: header.tag,
                                offset: position
                            )
                        }
                        return try finished(at: header.valueStart)
                    }
                    throw DICOMError(
                        .unexpectedDelimiter,
                        "item or delimiter tag where a data element was expected",
                        tag: header.tag,
                        offset: position
                    )
                }
                let (element, next) = try parseElement(header, limit: limit, context: context)
                if let last = elements.last, element.tag <= last.tag {
                    if element.tag == last.tag { throw DataSet.duplicate(element.tag, offset: position) }
                    inOrder = false
                }
                update(&context, with: element)
                elements.append(element)
                position = next
            }
        }
    }

    /// Elements between two checks of ``DICOMReadOptions/isCancelled``.
    static let cancellationInterval = 4096

    func checkCancellation(at position: Int) throws(DICOMError) {
        if let isCancelled = options.isCancelled, isCancelled() {
            throw DICOMError(.cancelled, "reading was cancelled", offset: position)
        }
    }

    /// At the top level, bytes too few for an element header are garbage, unless all of the rest
    /// is zero bytes (some writers pad files to a block size). `firstNonZero` caches the scan so
    /// runs of zero-tag elements cannot make this quadratic.
    private func isTrailingPadding(
        from position: Int,
        to limit: Int,
        firstNonZero: inout Int
    ) throws(DICOMError) -> Bool {
        let remaining = limit - position
        guard remaining < 8 || (bytes[position] == 0 && bytes[position + 1] == 0 && bytes[position + 2] == 0) else {
            return false
        }
        if firstNonZero < position {
            firstNonZero = bytes[position..<limit].firstIndex { $0 != 0 } ?? limit
        }
        if firstNonZero >= limit { return true }
        guard remaining >= 8 else {
            throw DICOMError(.trailingGarbage, "\(remaining) bytes after the last element", offset: position)
        }
        return false
    }

    /// Reads a tag and length (and the VR, when explicit).
    func readHeader(at position: Int, limit: Int, encoding: DataSetEncoding) throws(DICOMError) -> Header {
        guard limit - position >= 8 else {
            throw overrun(
                "element header needs 8 bytes, \(limit - position) left",
                limit: limit,
                tag: nil,
                offset: position
            )
        }
        let little = encoding.isLittleEndian
        let tag = Tag(uint16(at: position, littleEndian: little), uint16(at: position + 2, littleEndian: little))
        // Items and delimiters have no VR in any transfer syntax (PS3.5 §7.5).
        if tag.isDelimiter || !encoding.isExplicitVR {
            let length = uint32(at: position + 4, littleEndian: little)
            return Header(tag: tag, vr: nil, length: length, offset: position, valueStart: position + 8)
        }
        let first = bytes[position + 4]
        let second = bytes[position + 5]
        let known = VR(first, second)
        if let known, !known.hasLongLength {
            let length = UInt32(uint16(at: position + 6, littleEndian: little))
            return Header(tag: tag, vr: known, length: length, offset: position, valueStart: position + 8)
        }
        // PS3.5 §6.2: a reader meeting an unknown VR reads it like UN (reserved bytes and 32-bit
        // length), so VRs added to the standard later remain readable. Anything else is damage.
        guard known != nil || ((0x41...0x5A).contains(first) && (0x41...0x5A).contains(second)) else {
            throw DICOMError(
                .invalidVR,
                "VR bytes 0x\(hex2(first))\(hex2(second)) are not a VR",
                tag: tag,
                offset: position
            )
        }
        guard limit - position >= 12 else {
            throw overrun(
                "element header needs 12 bytes, \(limit - position) left",
                limit: limit,
                tag: tag,
                offset: position
            )
        }
        let length = uint32(at: position + 8, littleEndian: little)
        return Header(tag: tag, vr: known ?? .UN, length: length, offset: position, valueStart: position + 12)
    }

    // MARK: - Elements

    func parseElement(_ header: Header, limit: Int, context: Context) throws(DICOMError) -> (DataElement, Int) {
        let tag = header.tag
        let explicit = context.encoding.isExplicitVR
        var vr = header.vr ?? implicitVR(for: tag, context: context)

        if header.length == Self.undefinedLength {
            if tag == .pixelData {
                let (pixels, next) = try parseEncapsulated(
                    from: header.valueStart,
                    to: limit,
                    header: header,
                    context: context
                )
                // PS3.5 §A.4 asks for OB; some writers use OW. Keep what the file says.
                let encapsulatedVR: VR = header.vr == .OW ? .OW : .OB
                return (
                    DataElement(tag: tag, vr: encapsulatedVR, value: .encapsulated(pixels), offset: header.offset), next
                )
            }
            guard vr == .SQ || vr == .UN || !explicit else {
                throw DICOMError(
                    .undefinedLengthNotAllowed,
                    "undefined length on a \(vr) element",
                    tag: tag,
                    offset: header.offset
                )
            }
            // UN of undefined length holds a sequence encoded as Implicit VR Little Endian (PS3.5 §6.2.2).
            var itemContext = context
            if vr == .UN && explicit { itemContext.encoding = .implicitVRLittleEndian }
            let (items, next) = try parseItems(
                from: header.valueStart,
                to: limit,
                undefinedLength: true,
                header: header,
                context: itemContext
            )
            return (DataElement(tag: tag, vr: .SQ, value: .sequence(items), offset: header.offset), next)
        }

        let length = Int(header.length)
        guard length <= limit - header.valueStart else {
            throw overrun(
                "value of \(length) bytes, \(limit - header.valueStart) left",
                limit: limit,
                tag: tag,
                offset: header.offset
            )
        }
        let valueEnd = header.valueStart + length
        if vr == .SQ {
            let (items, _) = try parseItems(
                from: header.valueStart,
                to: valueEnd,
                undefinedLength: false,
                header: header,
                context: context
            )
            return (DataElement(tag: tag, vr: .SQ, value: .sequence(items), offset: header.offset), valueEnd)
        }
        if length % vr.lengthMultiple != 0 {
            guard !explicit else {
                throw DICOMError(
                    .invalidValueLength,
                    "\(length) bytes is not a multiple of \(vr.lengthMultiple) for VR \(vr)",
                    tag: tag,
                    offset: header.offset
                )
            }
            // The dictionary's VR does not fit what the file holds: keep the bytes, uninterpreted.
            vr = vr == .OW ? .OB : .UN
        }
        var value = bytes[header.valueStart..<valueEnd]
        if !context.encoding.isLittleEndian {
            let unit = swapUnit(tag: tag, vr: vr, length: length, context: context)
            if unit > 1 { value = Self.byteSwapped(value, unit: unit) }
        }
        return (DataElement(tag: tag, vr: vr, value: .bytes(value), offset: header.offset), valueEnd)
    }

    /// The VR of an implicit VR element: from the dictionary, with ambiguous VRs decided the way
    /// PS3.5 Annex A and pydicom decide them; unknown and private tags are UN, private creators LO.
    func implicitVR(for tag: Tag, context: Context) -> VR {
        guard let entry = DataDictionary.entry(for: tag) else { return .UN }
        let vrs = entry.vrs
        guard vrs.count > 1 else { return entry.vr }
        if vrs.contains(.OB) && vrs.contains(.OW) { return .OW }  // Implicit VR: OW (PS3.5 §A.1)
        if vrs == [.US, .SS] { return context.pixelRepresentation == 1 ? .SS : .US }
        if tag == .lutData { return context.lutDescriptorEntries == 1 ? .US : .OW }
        return vrs.contains(.OW) ? .OW : entry.vr
    }

    /// The unit to swap a big-endian value by: the VR's word size, except that native Pixel Data
    /// of OW is swapped per sample when Bits Allocated is 32 or 64.
    private func swapUnit(tag: Tag, vr: VR, length: Int, context: Context) -> Int {
        if tag == .pixelData, vr == .OW, let bits = context.bitsAllocated, bits == 32 || bits == 64,
            length % (bits / 8) == 0
        {
            return bits / 8
        }
        return vr.wordSize
    }

    static func byteSwapped(_ value: ArraySlice<UInt8>, unit: Int) -> ArraySlice<UInt8> {
        var swapped = [UInt8](repeating: 0, count: value.count)
        var index = 0
        let base = value.startIndex
        while index + unit <= value.count {
            for byte in 0..<unit {
                swapped[index + byte] = value[base + index + unit - 1 - byte]
            }
            index += unit
        }
        return swapped[...]
    }

    /// Remembers the attributes that later ambiguous VRs depend on.
    private func update(_ context: inout Context, with element: DataElement) {
        guard element.tag.group == 0x0028, let value = element.bytes, value.count >= 2 else { return }
        let first = Int(value[value.startIndex]) | Int(value[value.startIndex + 1]) << 8
        switch element.tag {
        case .pixelRepresentation: context.pixelRepresentation = first
        case .bitsAllocated: context.bitsAllocated = first
        case .lutDescriptor: context.lutDescriptorEntries = first
        default: break
        }
    }
}

/// What a read got to before it failed (see ``DICOMFile/readForInspection(bytes:options:)``).
final class PartialRead {
    var preamble: [UInt8]?
    var fileMeta: [DataElement] = []
    var dataSet: [DataElement] = []
    var syntax: TransferSyntax?
    var encoding: DataSetEncoding?

    func keep(_ elements: [DataElement], fileMeta isFileMeta: Bool) {
        if isFileMeta { fileMeta = elements } else { dataSet = elements }
    }
}

func hex2(_ byte: UInt8) -> String {
    byte < 0x10 ? "0" + String(byte, radix: 16, uppercase: true) : String(byte, radix: 16, uppercase: true)
}
