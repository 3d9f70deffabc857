import Testing

@testable import DICOM

/// Explicit VR Little Endian output: meta recomputed, padding, group lengths, implicit VRs made
/// explicit, encapsulated pixel data built for output.
@Suite struct WriterTests {
    static func sample() -> DataSet {
        var dataSet = DataSet()
        dataSet.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.2")
        dataSet.set(.sopInstanceUID, string: "1.2.3.4.5")
        dataSet.set(.patientName, string: "Doe^John")
        return dataSet
    }

    @Test func fileMetaIsRecomputed() throws {
        var oldMeta = DataSet()
        oldMeta.set(.sourceApplicationEntityTitle, string: "OLDAE", vr: .AE)
        oldMeta.set(.implementationClassUID, string: "1.2.3", vr: .UI)
        let bytes = try DICOMFile(dataSet: Self.sample(), transferSyntax: .implicitVRLittleEndian, fileMeta: oldMeta)
            .encoded()
        #expect(bytes[0..<128].allSatisfy { $0 == 0 })
        #expect(Array(bytes[128..<132]) == Array("DICM".utf8))
        let file = try DICOMFile(bytes: bytes)
        let meta = file.fileMeta
        #expect(
            meta.tags == [
                .fileMetaInformationGroupLength, .fileMetaInformationVersion, .mediaStorageSOPClassUID,
                .mediaStorageSOPInstanceUID, .transferSyntaxUID, .implementationClassUID, .implementationVersionName,
            ]
        )
        let groupLength = try #require(meta.int(.fileMetaInformationGroupLength))
        #expect(firstDataSetOffset(file) == 144 + groupLength)
        #expect(meta.bytes(.fileMetaInformationVersion) == [0, 1])
        #expect(meta.string(.mediaStorageSOPClassUID) == "1.2.840.10008.5.1.4.1.1.2")
        #expect(meta.string(.mediaStorageSOPInstanceUID) == "1.2.3.4.5")
        #expect(meta.string(.transferSyntaxUID) == TransferSyntax.explicitVRLittleEndian.uid)
        #expect(meta.string(.implementationClassUID) == DICOMImplementation.dicomJ2K.classUID)
        #expect(meta.string(.implementationVersionName) == "DICOM_J2K_0.1.0")
        #expect(DICOMImplementation.dicomJ2K.versionName.utf8.count <= 16)
        #expect(UID.isValid(DICOMImplementation.dicomJ2K.classUID))
    }

    private func firstDataSetOffset(_ file: DICOMFile) -> Int { file.dataSet.elements.first?.offset ?? -1 }

    @Test func valuesArePaddedPerVR() throws {
        var dataSet = DataSet()
        dataSet.set(.sopInstanceUID, string: "1.2.3")  // UI: NUL
        dataSet.set(.patientID, string: "ABC")  // LO: space
        dataSet.set(Tag(0x0009, 0x0010), string: "ACME", vr: .LO)
        dataSet.set(Tag(0x0009, 0x1001), vr: .OB, bytes: [1, 2, 3])  // binary: 0x00
        dataSet.set(Tag(0x0009, 0x1002), vr: .UN, bytes: [9])
        let bytes = try DICOMFile(dataSet: dataSet).encoded()
        #expect(bytes.firstIndex(of: Bytes.explicit(.sopInstanceUID, .UI, Array("1.2.3\0".utf8))) != nil)
        #expect(bytes.firstIndex(of: Bytes.explicit(.patientID, .LO, Array("ABC ".utf8))) != nil)
        #expect(bytes.firstIndex(of: Bytes.explicit(Tag(0x0009, 0x1001), .OB, [1, 2, 3, 0])) != nil)
        #expect(bytes.firstIndex(of: Bytes.explicit(Tag(0x0009, 0x1002), .UN, [9, 0])) != nil)
        let again = try DICOMFile(bytes: bytes).dataSet
        #expect(again.string(.sopInstanceUID) == "1.2.3")
        #expect(again.string(.patientID) == "ABC")
    }

    @Test func oddLengthsInTheInputAreReadAndPadded() throws {
        let body =
            Bytes.explicit(.sopInstanceUID, .UI, Array("1.2.3".utf8))
            + Bytes.explicit(.patientName, .PN, Array("Doe".utf8))
            + Bytes.explicit(Tag(0x0009, 0x0010), .LO, Array("X".utf8))
            + Bytes.explicit(Tag(0x0009, 0x1001), .OB, [7, 7, 7])
        let file = try DICOMFile(bytes: Bytes.part10(.explicitVRLittleEndian) + body)
        #expect(file.dataSet.string(.patientName) == "Doe")
        #expect(file.dataSet.bytes(Tag(0x0009, 0x1001))?.count == 3)
        let output = try file.encoded()
        #expect(output.firstIndex(of: Bytes.explicit(.patientName, .PN, Array("Doe ".utf8))) != nil)
        #expect(output.firstIndex(of: Bytes.explicit(.sopInstanceUID, .UI, Array("1.2.3\0".utf8))) != nil)
        #expect(output.firstIndex(of: Bytes.explicit(Tag(0x0009, 0x1001), .OB, [7, 7, 7, 0])) != nil)
        #expect(output.count % 2 == 0)
    }

    @Test func groupLengthsAreDropped() throws {
        let body =
            Bytes.explicit(Tag(0x0008, 0x0000), .UL, Bytes.u32(999))
            + Bytes.explicit(.sopClassUID, .UI, Array("1.2\0".utf8))
            + Bytes.explicit(Tag(0x0010, 0x0000), .UL, Bytes.u32(1))
            + Bytes.explicit(.patientName, .PN, Array("Doe ".utf8))
        let file = try DICOMFile(bytes: Bytes.part10(.explicitVRLittleEndian) + body)
        #expect(file.dataSet.count == 4)
        let again = try DICOMFile(bytes: try file.encoded())
        #expect(again.dataSet.tags == [.sopClassUID, .patientName])
    }

    /// Implicit VR input: VRs come from the dictionary and are written explicitly.
    @Test func implicitVRsFromTheDictionary() throws {
        let body =
            Bytes.implicit(Tag(0x0008, 0x0000), Bytes.u32(0))  // group length: UL
            + Bytes.implicit(Tag(0x0008, 0x0001), Bytes.u32(7))  // retired Length to End: UL
            + Bytes.implicit(Tag(0x0008, 0x0010), Array("RC".utf8))  // retired Recognition Code: SH
            + Bytes.implicit(Tag(0x0008, 0xFFF0), [1, 2])  // not in the dictionary: UN
            + Bytes.implicit(Tag(0x0009, 0x0010), Array("ACME".utf8))  // private creator: LO
            + Bytes.implicit(Tag(0x0009, 0x1001), [1, 2, 3, 4])  // private data: UN
            + Bytes.implicit(.rows, Bytes.u16(2))
            + Bytes.implicit(.pixelRepresentation, Bytes.u16(1))
            + Bytes.implicit(.smallestImagePixelValue, Bytes.u16(0xFFFF))  // US or SS: SS (signed)
            + Bytes.implicit(.lutDescriptor, Bytes.u16(1) + Bytes.u16(0) + Bytes.u16(16))
            + Bytes.implicit(.lutData, Bytes.u16(5))  // US or OW: US (one entry)
            + Bytes.implicit(Tag(0x6002, 0x0010), Bytes.u16(4))  // Overlay Rows (60xx): US
            + Bytes.implicit(Tag(0x6002, 0x3000), [0, 0])  // Overlay Data (60xx): OB or OW -> OW
            + Bytes.implicit(.pixelData, [0, 0, 0, 0])  // OB or OW -> OW (Implicit VR)
        let file = try DICOMFile(bytes: body)
        let expected: [(Tag, VR)] = [
            (Tag(0x0008, 0x0000), .UL), (Tag(0x0008, 0x0001), .UL), (Tag(0x0008, 0x0010), .SH),
            (Tag(0x0008, 0xFFF0), .UN),
            (Tag(0x0009, 0x0010), .LO), (Tag(0x0009, 0x1001), .UN), (.rows, .US), (.smallestImagePixelValue, .SS),
            (.lutData, .US), (Tag(0x6002, 0x0010), .US), (Tag(0x6002, 0x3000), .OW), (.pixelData, .OW),
        ]
        for (tag, vr) in expected { #expect(file.dataSet[tag]?.vr == vr, "\(tag)") }
        #expect(file.dataSet.int(.smallestImagePixelValue) == -1)
        let again = try DICOMFile(bytes: try file.encoded())
        #expect(again.sourceEncoding == .explicitVRLittleEndian)
        for (tag, vr) in expected where tag.element != 0 { #expect(again.dataSet[tag]?.vr == vr, "\(tag)") }
        #expect(again.dataSet.string(Tag(0x0009, 0x0010)) == "ACME")
    }

    @Test func longValueOfAShortVRBecomesUN() throws {
        // Implicit VR allows a 70000-byte LO; Explicit VR LO has a 16-bit length (PS3.5 §6.2.2).
        let long = [UInt8](repeating: 0x41, count: 70_000)
        let file = try DICOMFile(bytes: Bytes.implicit(.studyDescription, long))
        #expect(file.dataSet[.studyDescription]?.vr == .LO)
        let again = try DICOMFile(bytes: try file.encoded())
        #expect(again.dataSet[.studyDescription]?.vr == .UN)
        #expect(again.dataSet.bytes(.studyDescription) == long[...])
    }

    @Test func encapsulatedOutputForJPEG2000() throws {
        var dataSet = Self.sample()
        try dataSet.set(.bitsAllocated, int: 16)
        dataSet.set(.extendedOffsetTable, vr: .OV, bytes: [UInt8](repeating: 0, count: 8))
        dataSet.setPixelData(.native([1, 2, 3, 4]))
        #expect(dataSet[.pixelData]?.vr == .OW)
        #expect(!dataSet.contains(.extendedOffsetTable))
        let frames: [[UInt8]] = [[0xFF, 0x4F, 0xFF, 0x51, 9], [0xFF, 0x4F, 0xFF, 0x51, 8, 8]]
        let pixels = try EncapsulatedPixelData(frames: frames)
        #expect(pixels.basicOffsetTable == [0, 14])
        dataSet.setPixelData(.encapsulated(pixels))
        #expect(dataSet[.pixelData]?.vr == .OB)
        let native = DICOMFile(dataSet: dataSet, transferSyntax: .explicitVRLittleEndian)
        let mismatch = #expect(throws: DICOMError.self) { try native.encoded() }
        #expect(mismatch?.code == .transferSyntaxMismatch)

        let output = try DICOMFile(dataSet: dataSet, transferSyntax: .jpeg2000).encoded()
        let expectedTail =
            Bytes.tag(.pixelData) + Array("OB".utf8) + [0, 0] + Bytes.u32(0xFFFF_FFFF)
            + Bytes.item(Bytes.u32(0) + Bytes.u32(14)) + Bytes.item(frames[0] + [0]) + Bytes.item(frames[1])
            + Bytes.sequenceEnd
        #expect(Array(output.suffix(expectedTail.count)) == expectedTail)
        let again = try DICOMFile(bytes: output)
        #expect(again.transferSyntax == .jpeg2000)
        guard case .encapsulated(let read)? = again.dataSet.pixelData else {
            Issue.record("no encapsulated pixel data")
            return
        }
        let split = try read.frameFragments(frameCount: 2)
        #expect(split.map { $0.map(Array.init) } == [[frames[0] + [0]], [frames[1]]])

        var nativeFile = DICOMFile(dataSet: Self.sample(), transferSyntax: .jpeg2000)
        nativeFile.dataSet.setPixelData(.native([0, 0]))
        #expect(throws: DICOMError.self) { try nativeFile.encoded() }
    }

    @Test func extendedOffsetTableIsRecognised() throws {
        let fragments: [[UInt8]] = [[1, 1], [2, 2, 2, 2], [3, 3]]
        var dataSet = Self.sample()
        try dataSet.set(.numberOfFrames, int: 2, vr: .IS)
        // Frame 1 = fragments 0 and 1, frame 2 = fragment 2 (offsets count item headers).
        let offsets: [UInt64] = [0, 8 + 2 + 8 + 4]
        let lengths: [UInt64] = [2 + 8 + 4, 2]
        dataSet.set(.extendedOffsetTable, vr: .OV, bytes: offsets.flatMap { Bytes.u32(UInt32($0)) + Bytes.u32(0) })
        dataSet.set(
            .extendedOffsetTableLengths,
            vr: .OV,
            bytes: lengths.flatMap { Bytes.u32(UInt32($0)) + Bytes.u32(0) }
        )
        dataSet.insert(
            DataElement(
                tag: .pixelData,
                vr: .OB,
                value: .encapsulated(EncapsulatedPixelData(fragments: fragments.map { $0[...] }))
            )
        )
        let file = try DICOMFile(bytes: try DICOMFile(dataSet: dataSet, transferSyntax: .jpeg2000Lossless).encoded())
        let table = try #require(file.dataSet.extendedOffsetTable)
        #expect(table.offsets == offsets && table.lengths == lengths)
        guard case .encapsulated(let pixels)? = file.dataSet.pixelData else {
            Issue.record("no encapsulated pixel data")
            return
        }
        #expect(pixels.basicOffsetTable.isEmpty)
        let frames = try pixels.frameFragments(frameCount: 2, extendedOffsets: table.offsets)
        #expect(frames.map { $0.map(Array.init) } == [[fragments[0], fragments[1]], [fragments[2]]])
        let wrong = #expect(throws: DICOMError.self) {
            try pixels.frameFragments(frameCount: 2, extendedOffsets: [0, 5])
        }
        #expect(wrong?.code == .cannotSplitFrames)
    }
}

@Suite struct ImplicitVRWriterTests {
    @Test func writesImplicitVRLittleEndianThatReadsBackTheSame() throws {
        var dataSet = DataSet()
        dataSet.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.2")
        dataSet.set(.sopInstanceUID, string: "1.2.3.4")
        dataSet.set(.patientName, string: "Doe^Jane")
        try dataSet.set(.rows, int: 2)
        try dataSet.set(.columns, int: 2)
        try dataSet.set(.bitsAllocated, int: 16)
        try dataSet.set(.pixelRepresentation, int: 1)
        var item = DataSet()
        item.set(.codeValue, string: "121320")
        dataSet.set(.purposeOfReferenceCodeSequence, items: [item])
        dataSet.set(.pixelData, vr: .OW, bytes: [1, 0, 0xFF, 0xFF, 3, 0, 4, 0])
        let file = DICOMFile(dataSet: dataSet)

        let bytes = try file.encoded(as: .implicitVRLittleEndian)
        let reread = try DICOMFile(bytes: bytes)
        #expect(reread.transferSyntax == .implicitVRLittleEndian)
        #expect(reread.sourceEncoding == .implicitVRLittleEndian)
        #expect(reread.dataSet == dataSet.writerNormalized())
        // An implicit header is the tag and a 32-bit length: (0010,0010) then 8 ("Doe^Jane").
        let name: [UInt8] = [0x10, 0x00, 0x10, 0x00, 8, 0, 0, 0] + Array("Doe^Jane".utf8)
        #expect(bytes.firstRange(of: name) != nil)
    }

    @Test func refusesSyntaxesItCannotWrite() {
        let file = DICOMFile(dataSet: DataSet())
        #expect(throws: DICOMError.self) { try file.encoded(as: .explicitVRBigEndian) }
        #expect(throws: DICOMError.self) { try file.encoded(as: .deflatedExplicitVRLittleEndian) }
    }
}
