import Foundation
import TestSupport
import Testing

@testable import DICOM

/// A 512×512 16-bit CT slice (0.5 MB of pixels) parses without copying Pixel Data: the element's
/// value is a slice of the input buffer itself, at the value's offset.
@Suite struct ZeroCopyTests {
    static func ctSlice() throws -> [UInt8] {
        var dataSet = DataSet()
        dataSet.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.2")
        dataSet.set(.sopInstanceUID, string: UID.generate())
        dataSet.set(.modality, string: "CT")
        try dataSet.set(.rows, int: 512)
        try dataSet.set(.columns, int: 512)
        try dataSet.set(.bitsAllocated, int: 16)
        try dataSet.set(.bitsStored, int: 12)
        try dataSet.set(.pixelRepresentation, int: 0)
        let pixels = (0..<(512 * 512)).flatMap { Bytes.u16(UInt16($0 % 4096)) }
        dataSet.setPixelData(.native(pixels[...]))
        return try DICOMFile(dataSet: dataSet).encoded()
    }

    /// Whether `slice` shares storage with `buffer` at `slice.startIndex`.
    static func isView(_ slice: ArraySlice<UInt8>, of buffer: [UInt8]) -> Bool {
        buffer.withUnsafeBufferPointer { base in
            slice.withUnsafeBufferPointer { view in
                guard let start = base.baseAddress, let viewStart = view.baseAddress else { return false }
                return viewStart == start + slice.startIndex
            }
        }
    }

    @Test func pixelDataIsASliceOfTheInput() throws {
        let bytes = try Self.ctSlice()
        let file = try DICOMFile(bytes: bytes)
        guard case .native(let pixels)? = file.dataSet.pixelData, let element = file.dataSet[.pixelData] else {
            Issue.record("no native pixel data")
            return
        }
        #expect(pixels.count == 512 * 512 * 2)
        #expect(pixels.startIndex == (element.offset ?? -1) + 12)
        #expect(Self.isView(pixels, of: bytes))
        // A copy would not be: the check can fail.
        #expect(!Self.isView(ArraySlice(Array(pixels)), of: bytes))
    }

    @Test func readingFromAPathKeepsOneBuffer() throws {
        let bytes = try Self.ctSlice()
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("ct.dcm").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let file = try DICOMFile(contentsOf: path)
            guard case .native(let pixels)? = file.dataSet.pixelData, let uid = file.dataSet.bytes(.sopInstanceUID)
            else {
                Issue.record("no native pixel data")
                return
            }
            // Pixel Data and another element are slices of the same base buffer.
            let sameBase = pixels.withUnsafeBufferPointer { p in
                uid.withUnsafeBufferPointer { u in
                    (p.baseAddress! - pixels.startIndex) == (u.baseAddress! - uid.startIndex)
                }
            }
            #expect(sameBase)
            #expect(pixels.count == 512 * 512 * 2)
        }
    }
}
