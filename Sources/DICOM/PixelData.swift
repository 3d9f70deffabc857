/// Pixel Data (7FE0,0010), as the transcoder sees it.
public enum PixelData: Sendable, Equatable {
    /// Uncompressed samples, little endian whatever the source byte order, as a slice of the input.
    case native(ArraySlice<UInt8>)
    /// Compressed frames as fragments (see ``EncapsulatedPixelData``).
    case encapsulated(EncapsulatedPixelData)
}

extension DataSet {
    /// The Pixel Data of this data set, native or encapsulated.
    public var pixelData: PixelData? {
        switch self[.pixelData]?.value {
        case .bytes(let bytes): .native(bytes)
        case .encapsulated(let pixels): .encapsulated(pixels)
        case .sequence, nil: nil
        }
    }

    /// Replaces Pixel Data: native as OW (OB when Bits Allocated ≤ 8), encapsulated as OB. Any
    /// Extended Offset Table is removed, since it describes the old fragments.
    public mutating func setPixelData(_ pixelData: PixelData) {
        remove(.extendedOffsetTable)
        remove(.extendedOffsetTableLengths)
        switch pixelData {
        case .native(let bytes):
            insert(DataElement(tag: .pixelData, vr: defaultVR(for: .pixelData), value: .bytes(bytes)))
        case .encapsulated(let pixels):
            insert(DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(pixels)))
        }
    }

    /// The Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002), both OV, when present
    /// with the same number of 64-bit entries (PS3.3 §C.7.6.3.1.8).
    public var extendedOffsetTable: (offsets: [UInt64], lengths: [UInt64])? {
        guard let offsets = Self.uint64s(bytes(.extendedOffsetTable)),
            let lengths = Self.uint64s(bytes(.extendedOffsetTableLengths)),
            offsets.count == lengths.count
        else { return nil }
        return (offsets, lengths)
    }

    private static func uint64s(_ bytes: ArraySlice<UInt8>?) -> [UInt64]? {
        guard let bytes, bytes.count % 8 == 0 else { return nil }
        var values: [UInt64] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var value: UInt64 = 0
            for byte in (0..<8).reversed() { value = value << 8 | UInt64(bytes[index + byte]) }
            values.append(value)
            index += 8
        }
        return values
    }
}

extension EncapsulatedPixelData {
    /// The fragments of each frame. One frame takes every fragment; otherwise frames start where
    /// the Extended Offset Table (when given) or the Basic Offset Table says, or, with neither,
    /// there must be exactly one fragment per frame.
    /// - Parameters:
    ///   - frameCount: Number of Frames (0028,0008), 1 when absent.
    ///   - extendedOffsets: ``DataSet/extendedOffsetTable`` offsets, if the data set has them.
    /// - Throws: ``DICOMError/Code/cannotSplitFrames`` when the tables do not match the fragments.
    public func frameFragments(
        frameCount: Int,
        extendedOffsets: [UInt64]? = nil
    ) throws(DICOMError) -> [[ArraySlice<UInt8>]] {
        guard frameCount >= 1 else {
            throw DICOMError(.cannotSplitFrames, "Number of Frames is \(frameCount)", tag: .pixelData)
        }
        if frameCount == 1 { return [fragments] }
        let offsets: [UInt64]
        if let extendedOffsets, extendedOffsets.count == frameCount {
            offsets = extendedOffsets
        } else if basicOffsetTable.count == frameCount {
            offsets = basicOffsetTable.map(UInt64.init)
        } else if fragments.count == frameCount {
            return fragments.map { [$0] }
        } else {
            throw DICOMError(
                .cannotSplitFrames,
                "\(fragments.count) fragments, \(basicOffsetTable.count) offsets, \(frameCount) frames",
                tag: .pixelData
            )
        }
        // Where each fragment's item starts, relative to the first fragment's item tag.
        var starts: [UInt64: Int] = [:]
        var position: UInt64 = 0
        for (index, fragment) in fragments.enumerated() {
            starts[position] = index
            position += 8 + UInt64(fragment.count)
        }
        var firstFragments: [Int] = []
        for offset in offsets {
            guard let index = starts[offset], index > (firstFragments.last ?? -1) else {
                throw DICOMError(
                    .cannotSplitFrames,
                    "offset \(offset) does not start a fragment in order",
                    tag: .pixelData
                )
            }
            firstFragments.append(index)
        }
        guard firstFragments.first == 0 else {
            throw DICOMError(
                .cannotSplitFrames,
                "the first frame does not start at the first fragment",
                tag: .pixelData
            )
        }
        return firstFragments.indices.map { frame in
            let end = frame + 1 < firstFragments.count ? firstFragments[frame + 1] : fragments.count
            return Array(fragments[firstFragments[frame]..<end])
        }
    }
}
