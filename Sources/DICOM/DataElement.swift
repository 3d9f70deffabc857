/// One attribute of a data set: tag, VR and value.
///
/// Values read from a file are slices of the file's buffer (no copy), in little-endian byte order
/// whatever the source transfer syntax (big-endian input is swapped when read), and keep the
/// padding byte the file had. Values set through the API are stored as given; the writer pads.
public struct DataElement: Sendable, Equatable {
    /// What an element holds.
    public enum Value: Sendable, Equatable {
        /// Encoded value bytes, little endian, for every VR except SQ.
        case bytes(ArraySlice<UInt8>)
        /// The items of a sequence (VR SQ).
        case sequence([DataSet])
        /// Encapsulated Pixel Data: offset table and fragments (VR OB, undefined length).
        case encapsulated(EncapsulatedPixelData)
    }

    public var tag: Tag
    public var vr: VR
    public var value: Value
    /// The byte offset of the element's header in the input it was read from (for Deflated files,
    /// in the inflated data set); `nil` for elements created in memory. Not part of equality.
    public var offset: Int?

    public init(tag: Tag, vr: VR, value: Value, offset: Int? = nil) {
        self.tag = tag
        self.vr = vr
        self.value = value
        self.offset = offset
    }

    /// The value bytes, or `nil` for sequences and encapsulated pixel data.
    public var bytes: ArraySlice<UInt8>? {
        if case .bytes(let bytes) = value { return bytes }
        return nil
    }

    /// The items, or `nil` when this is not a sequence.
    public var items: [DataSet]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    public static func == (lhs: DataElement, rhs: DataElement) -> Bool {
        lhs.tag == rhs.tag && lhs.vr == rhs.vr && lhs.value == rhs.value
    }
}

/// Encapsulated (compressed) Pixel Data (PS3.5 §A.4): a Basic Offset Table and the fragments,
/// exactly as stored (each fragment is one item's value).
public struct EncapsulatedPixelData: Sendable, Equatable {
    /// The Basic Offset Table: for each frame, the byte offset of its first fragment's item tag,
    /// counted from the first fragment's item tag. Often empty.
    public var basicOffsetTable: [UInt32]
    public var fragments: [ArraySlice<UInt8>]

    public init(basicOffsetTable: [UInt32] = [], fragments: [ArraySlice<UInt8>]) {
        self.basicOffsetTable = basicOffsetTable
        self.fragments = fragments
    }

    /// One fragment per frame (each padded to even length with a zero byte when written) and a
    /// Basic Offset Table that points at each (docs/contracts.md, "DICOM output").
    /// - Throws: ``DICOMError/Code/valueTooLong`` when the frames do not fit 32-bit offsets.
    public init(frames: [[UInt8]]) throws(DICOMError) {
        var table: [UInt32] = []
        table.reserveCapacity(frames.count)
        var offset: UInt64 = 0
        for frame in frames {
            guard offset <= UInt64(UInt32.max) else {
                throw DICOMError(
                    .valueTooLong,
                    "encapsulated frames exceed the 4 GiB offset table range",
                    tag: .pixelData
                )
            }
            table.append(UInt32(offset))
            offset += 8 + UInt64(frame.count + frame.count % 2)
        }
        self.init(basicOffsetTable: table, fragments: frames.map { ArraySlice($0) })
    }
}
