import Foundation
import TestSupport
import Testing

@testable import DICOM

/// Transfer syntaxes and structures of real files: big endian, deflated, no meta, encapsulated,
/// undefined-length sequences, UN sequences.
@Suite struct ReaderTests {
    @Test(
        .needs(.pydicomTestFiles),
        arguments: [
            ("MR_small_bigendian.dcm", "MR_small.dcm"),
            ("MR_small_expb.dcm", "MR_small.dcm"),
            ("rtdose_expb.dcm", "rtdose.dcm"),  // 32-bit samples: swapped per sample, not per OW word
            ("rtdose_expb_1frame.dcm", "rtdose_1frame.dcm"),
            ("liver_expb_1frame.dcm", "liver_1frame.dcm"),
            ("SC_rgb_small_odd_big_endian.dcm", "SC_rgb_small_odd.dcm"),  // 8-bit samples in OW words
        ]
    )
    func bigEndianPixelDataIsLittleEndian(bigEndian: String, littleEndian: String) throws {
        let big = try PydicomFiles.read(bigEndian)
        let little = try PydicomFiles.read(littleEndian)
        #expect(big.transferSyntax == .explicitVRBigEndian)
        #expect(big.sourceEncoding == .explicitVRBigEndian)
        guard case .native(let bigPixels)? = big.dataSet.pixelData,
            case .native(let littlePixels)? = little.dataSet.pixelData
        else {
            Issue.record("no native pixel data")
            return
        }
        #expect(bigPixels == littlePixels)
        for tag in [Tag.rows, .columns, .bitsAllocated, .pixelRepresentation] {
            #expect(big.dataSet.int(tag) == little.dataSet.int(tag), "\(tag)")
        }
    }

    @Test(.needs(.pydicomTestFiles)) func bigEndianWithoutMetaEqualsLittleEndianWithoutMeta() throws {
        let big = try PydicomFiles.read("ExplVR_BigEndNoMeta.dcm")
        let little = try PydicomFiles.read("ExplVR_LitEndNoMeta.dcm")
        #expect(big.fileMeta.isEmpty && big.preamble == nil)
        #expect(big.sourceEncoding == .explicitVRBigEndian)
        #expect(little.sourceEncoding == .explicitVRLittleEndian)
        #expect(big.dataSet.count == 24)
        #expect(big.dataSet == little.dataSet)
    }

    @Test(.needs(.pydicomTestFiles)) func deflatedFileIsInflated() throws {
        let file = try PydicomFiles.read("image_dfl.dcm")
        #expect(file.transferSyntax == .deflatedExplicitVRLittleEndian)
        #expect(file.transferSyntax.isDeflated)
        #expect(file.dataSet.int(.rows) == 512)
        guard case .native(let pixels)? = file.dataSet.pixelData else {
            Issue.record("no native pixel data")
            return
        }
        let expected =
            (file.dataSet.int(.rows) ?? 0) * (file.dataSet.int(.columns) ?? 0) * (file.dataSet.int(.bitsAllocated) ?? 0)
            / 8
        #expect(pixels.count == expected)
        #expect(file.outputTransferSyntax == .explicitVRLittleEndian)
        let again = try DICOMFile(bytes: try file.encoded())
        #expect(again.dataSet.writerNormalized() == file.dataSet.writerNormalized())
    }

    @Test func deflatedRoundTripOfBuiltDataSet() throws {
        var dataSet = DataSet()
        dataSet.set(.patientName, string: "Deflated^Test")
        dataSet.set(
            .referencedSeriesSequence,
            items: [DataSet([DataElement(tag: .seriesInstanceUID, vr: .UI, value: .bytes([0x31, 0x2E, 0x32, 0x00]))])]
        )
        let file = try DICOMFile(bytes: try DeflateFixture.deflatedFile(dataSet))
        #expect(file.dataSet == dataSet.writerNormalized())
    }

    @Test(.needs(.pydicomTestFiles)) func implicitDataSetWithoutMeta() throws {
        let file = try PydicomFiles.read("rtstruct.dcm")
        #expect(file.preamble == nil && file.fileMeta.isEmpty)
        #expect(file.sourceEncoding == .implicitVRLittleEndian)
        #expect(file.transferSyntax == .implicitVRLittleEndian)
        #expect(file.dataSet[.specificCharacterSet]?.vr == .CS)
        let contours = try #require(file.dataSet.items(.roiContourSequence))
        #expect(!contours.isEmpty)
        let contourItems = try #require(contours.first?.items(.contourSequence))
        let points = try #require(contourItems.first?.doubles(.contourData))
        #expect(points.count % 3 == 0 && !points.isEmpty)
        #expect(contourItems.first?[.contourData]?.vr == .DS)
    }

    /// Encapsulated Pixel Data: fragments are read as stored and written back byte for byte.
    @Test(
        .needs(.pydicomTestFiles),
        arguments: [
            "JPEG2000.dcm", "MR_small_jp2klossless.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
            "SC_rgb_rle_2frame.dcm", "J2K_pixelrep_mismatch.dcm", "JPEG2000-embedded-sequence-delimiter.dcm",
        ]
    )
    func encapsulatedPixelDataIsKeptAsIs(name: String) throws {
        let path = try PydicomFiles.path(name)
        let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try DICOMFile(bytes: input)
        #expect(file.transferSyntax.isEncapsulated)
        guard case .encapsulated(let pixels)? = file.dataSet.pixelData, let element = file.dataSet[.pixelData] else {
            Issue.record("\(name): no encapsulated pixel data")
            return
        }
        #expect(!pixels.fragments.isEmpty)
        let output = try file.encoded()
        #expect(DICOMFile.uid(of: output) == file.transferSyntax.uid)
        let again = try DICOMFile(bytes: output)
        let elementLength =
            12 + 8 + 4 * pixels.basicOffsetTable.count + pixels.fragments.reduce(0) { $0 + 8 + $1.count } + 8
        let originalOffset = try #require(element.offset)
        let newOffset = try #require(again.dataSet[.pixelData]?.offset)
        #expect(
            input[originalOffset..<(originalOffset + elementLength)] == output[newOffset..<(newOffset + elementLength)]
        )
        #expect(again.dataSet.pixelData == file.dataSet.pixelData)
    }

    @Test(.needs(.pydicomTestFiles)) func unOfUndefinedLengthIsAnImplicitSequence() throws {
        let file = try PydicomFiles.read("UN_sequence.dcm")
        let outer = try #require(file.dataSet[Tag(0x4453, 0x100C)])
        #expect(outer.vr == .SQ)
        let series = try #require(outer.items?.first?.items(.referencedSeriesSequence)?.first)
        let sop = try #require(series.items(.referencedSOPSequence)?.first)
        #expect(sop.string(.referencedSOPClassUID) == "1.2.840.10008.5.1.4.1.1.2")
        #expect(sop[.referencedSOPClassUID]?.vr == .UI)
    }

    @Test func nestedSequencesOfUndefinedLength() throws {
        let leaf = Bytes.explicit(.referencedSOPInstanceUID, .UI, Array("1.2.3.4\0".utf8))
        let inner =
            Bytes.explicit(.referencedSOPSequence, .SQ, [], length: 0xFFFF_FFFF)
            + Bytes.item(leaf, undefined: true) + Bytes.itemEnd + Bytes.item(leaf) + Bytes.sequenceEnd
        let outer =
            Bytes.explicit(.referencedSeriesSequence, .SQ, [], length: 0xFFFF_FFFF)
            + Bytes.item(inner, undefined: true) + Bytes.itemEnd + Bytes.item([], undefined: true) + Bytes.itemEnd
            + Bytes.sequenceEnd
        let bytes = Bytes.part10(.explicitVRLittleEndian) + outer + Bytes.explicit(.patientID, .LO, Array("ID".utf8))
        let file = try DICOMFile(bytes: bytes)
        let items = try #require(file.dataSet.items(.referencedSeriesSequence))
        #expect(items.count == 2 && items[1].isEmpty)
        let leaves = try #require(items[0].items(.referencedSOPSequence))
        #expect(leaves.map { $0.string(.referencedSOPInstanceUID) } == ["1.2.3.4", "1.2.3.4"])
        #expect(file.dataSet.string(.patientID) == "ID")
        // Written with defined lengths, read back the same.
        let again = try DICOMFile(bytes: try file.encoded())
        #expect(again.dataSet == file.dataSet)
    }

    @Test func mislabelledImplicitDataSetIsDetected() throws {
        let body =
            Bytes.implicit(.sopClassUID, Array("1.2.840.10008.5.1.4.1.1.7\0".utf8))
            + Bytes.implicit(.patientName, Array("Doe^J ".utf8))
        let file = try DICOMFile(bytes: Bytes.part10(.explicitVRLittleEndian) + body)
        #expect(file.sourceEncoding == .implicitVRLittleEndian)
        #expect(file.dataSet.string(.patientName) == "Doe^J")
        #expect(file.dataSet[.patientName]?.vr == .PN)
    }

    @Test func trailingZeroPaddingIsTolerated() throws {
        let body = Bytes.explicit(.patientName, .PN, Array("Doe^J ".utf8))
        let file = try DICOMFile(
            bytes: Bytes.part10(.explicitVRLittleEndian) + body + [UInt8](repeating: 0, count: 1000)
        )
        #expect(file.dataSet.count == 1)
        let short = try DICOMFile(bytes: Bytes.part10(.explicitVRLittleEndian) + body + [0, 0, 0])
        #expect(short.dataSet.count == 1)
    }

    @Test func unknownVRIsReadAsUN() throws {
        // PS3.5 §6.2: an unknown VR has the long header form, so a newer VR stays readable.
        let element = Bytes.tag(Tag(0x0009, 0x1001)) + Array("ZZ".utf8) + [0, 0] + Bytes.u32(4) + [1, 2, 3, 4]
        let file = try DICOMFile(bytes: Bytes.part10(.explicitVRLittleEndian) + element)
        #expect(file.dataSet[Tag(0x0009, 0x1001)]?.vr == .UN)
        #expect(file.dataSet.bytes(Tag(0x0009, 0x1001)) == [1, 2, 3, 4])
    }
}

extension DICOMFile {
    /// The Transfer Syntax UID in encoded Part 10 bytes (test helper).
    static func uid(of bytes: [UInt8]) -> String? {
        (try? DICOMFile(bytes: bytes))?.fileMeta.string(.transferSyntaxUID)
    }
}
