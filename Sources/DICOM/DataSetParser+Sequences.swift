/// Sequences, items and encapsulated pixel data (PS3.5 §7.5 and §A.4).
extension DataSetParser {
    /// Parses the items of a sequence whose value starts at `start`. A defined-length sequence ends
    /// exactly at `limit`; an undefined-length one at its Sequence Delimitation Item, before `limit`.
    func parseItems(
        from start: Int,
        to limit: Int,
        undefinedLength: Bool,
        header: Header,
        context: Context
    ) throws(DICOMError) -> ([DataSet], Int) {
        guard context.depth < options.maximumNestingDepth else {
            throw DICOMError(
                .nestingTooDeep,
                "sequences nested deeper than \(options.maximumNestingDepth) levels",
                tag: header.tag,
                offset: header.offset
            )
        }
        var itemContext = context
        itemContext.depth += 1
        var items: [DataSet] = []
        var position = start
        while true {
            if position >= limit {
                if undefinedLength {
                    throw overrun(
                        "sequence has no Sequence Delimitation Item",
                        limit: limit,
                        tag: header.tag,
                        offset: header.offset
                    )
                }
                return (items, position)
            }
            guard limit - position >= 8 else {
                throw overrun(
                    "item header needs 8 bytes, \(limit - position) left",
                    limit: limit,
                    tag: header.tag,
                    offset: position
                )
            }
            // Many small items are as long a parse as many elements.
            if items.count % Self.cancellationInterval == Self.cancellationInterval - 1 {
                try checkCancellation(at: position)
            }
            let little = context.encoding.isLittleEndian
            let tag = Tag(uint16(at: position, littleEndian: little), uint16(at: position + 2, littleEndian: little))
            let length = uint32(at: position + 4, littleEndian: little)
            switch tag {
            case .item where length == Self.undefinedLength:
                let (item, next) = try parseDataSet(
                    from: position + 8,
                    to: limit,
                    end: .undefinedItem,
                    context: itemContext,
                    itemOffset: position
                )
                items.append(item)
                position = next
            case .item:
                guard Int(length) <= limit - (position + 8) else {
                    throw overrun(
                        "item of \(length) bytes, \(limit - position - 8) left",
                        limit: limit,
                        tag: header.tag,
                        offset: position
                    )
                }
                let itemEnd = position + 8 + Int(length)
                let (item, _) = try parseDataSet(
                    from: position + 8,
                    to: itemEnd,
                    end: .definedItem,
                    context: itemContext
                )
                items.append(item)
                position = itemEnd
            case .sequenceDelimitationItem where undefinedLength:
                guard length == 0 else {
                    throw DICOMError(
                        .invalidItem,
                        "Sequence Delimitation Item with length \(length), expected 0",
                        tag: header.tag,
                        offset: position
                    )
                }
                return (items, position + 8)
            default:
                throw DICOMError(
                    .invalidItem,
                    "expected an Item (FFFE,E000) in the sequence, found \(tag)",
                    tag: header.tag,
                    offset: position
                )
            }
        }
    }

    /// Parses encapsulated Pixel Data: a Basic Offset Table item, fragment items, and a Sequence
    /// Delimitation Item. Fragments are slices of the input, as stored.
    func parseEncapsulated(
        from start: Int,
        to limit: Int,
        header: Header,
        context: Context
    ) throws(DICOMError) -> (EncapsulatedPixelData, Int) {
        let little = context.encoding.isLittleEndian
        var offsetTable: [UInt32]?
        var fragments: [ArraySlice<UInt8>] = []
        var position = start
        while true {
            guard limit - position >= 8 else {
                throw overrun(
                    "encapsulated Pixel Data has no Sequence Delimitation Item",
                    limit: limit,
                    tag: header.tag,
                    offset: position
                )
            }
            let tag = Tag(uint16(at: position, littleEndian: little), uint16(at: position + 2, littleEndian: little))
            let length = uint32(at: position + 4, littleEndian: little)
            if tag == .sequenceDelimitationItem {
                guard length == 0 else {
                    throw DICOMError(
                        .invalidEncapsulatedPixelData,
                        "Sequence Delimitation Item with length \(length), expected 0",
                        tag: header.tag,
                        offset: position
                    )
                }
                position += 8
                break
            }
            guard tag == .item else {
                throw DICOMError(
                    .invalidEncapsulatedPixelData,
                    "expected a fragment Item (FFFE,E000), found \(tag)",
                    tag: header.tag,
                    offset: position
                )
            }
            guard length != Self.undefinedLength else {
                throw DICOMError(
                    .invalidEncapsulatedPixelData,
                    "fragment of undefined length",
                    tag: header.tag,
                    offset: position
                )
            }
            guard Int(length) <= limit - (position + 8) else {
                throw overrun(
                    "fragment of \(length) bytes, \(limit - position - 8) left",
                    limit: limit,
                    tag: header.tag,
                    offset: position
                )
            }
            let value = bytes[(position + 8)..<(position + 8 + Int(length))]
            if offsetTable == nil {
                guard value.count % 4 == 0 else {
                    throw DICOMError(
                        .invalidEncapsulatedPixelData,
                        "Basic Offset Table of \(value.count) bytes is not a multiple of 4",
                        tag: header.tag,
                        offset: position
                    )
                }
                offsetTable = Self.uint32Values(value, littleEndian: little)
            } else {
                fragments.append(value)
            }
            position += 8 + Int(length)
        }
        guard let offsetTable else {
            throw DICOMError(
                .invalidEncapsulatedPixelData,
                "no Basic Offset Table item",
                tag: header.tag,
                offset: header.offset
            )
        }
        return (EncapsulatedPixelData(basicOffsetTable: offsetTable, fragments: fragments), position)
    }

    static func uint32Values(_ value: ArraySlice<UInt8>, littleEndian: Bool) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(value.count / 4)
        var index = value.startIndex
        while index + 4 <= value.endIndex {
            let b = (UInt32(value[index]), UInt32(value[index + 1]), UInt32(value[index + 2]), UInt32(value[index + 3]))
            result.append(
                littleEndian ? b.0 | b.1 << 8 | b.2 << 16 | b.3 << 24 : b.3 | b.2 << 8 | b.1 << 16 | b.0 << 24
            )
            index += 4
        }
        return result
    }
}
