import CZlib

@testable import DICOM

/// Builds Deflated Explicit VR Little Endian files for tests (the writer itself never deflates).
enum DeflateFixture {
    struct Failure: Error {}

    /// Part 10 bytes: meta naming the Deflated transfer syntax, then `dataSet` raw-deflated.
    static func deflatedFile(_ dataSet: DataSet) throws -> [UInt8] {
        var meta = DataSet()
        meta.set(.fileMetaInformationVersion, vr: .OB, bytes: [0, 1])
        meta.set(.transferSyntaxUID, string: TransferSyntax.deflatedExplicitVRLittleEndian.uid, vr: .UI)
        var metaWriter = DataSetWriter()
        try metaWriter.write(meta)
        var header = DataSetWriter()
        header.append([UInt8](repeating: 0, count: 128))
        header.append("DICM".utf8)
        try header.write(
            DataElement(
                tag: .fileMetaInformationGroupLength,
                vr: .UL,
                value: .bytes(DICOMFile.uint32LE(metaWriter.output.count))
            )
        )
        header.append(metaWriter.output)
        var body = DataSetWriter()
        try body.write(dataSet)
        return header.output + (try rawDeflate(body.output))
    }

    static func rawDeflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard CZlib_deflateInit2(&stream, 6, -15) == Z_OK else { throw Failure() }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        let produced: Int = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = destination.baseAddress
                stream.avail_out = UInt32(destination.count)
                guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return -1 }
                return destination.count - Int(stream.avail_out)
            }
        }
        guard produced >= 0 else { throw Failure() }
        return Array(output[0..<produced])
    }
}
