import Testing

@testable import DICOM

/// Typed getters and setters, the dictionary, UIDs.
@Suite struct ValueTests {
    @Test func stringsAreTrimmedAndSplit() {
        var dataSet = DataSet()
        dataSet.set(.imageType, vr: .CS, bytes: Array(" ORIGINAL\\PRIMARY \\AXIAL ".utf8))
        dataSet.set(.sopInstanceUID, vr: .UI, bytes: Array("1.2.3\0".utf8))
        dataSet.set(.imageComments, vr: .LT, bytes: Array("  a\\b text  ".utf8))
        dataSet.set(.patientName, vr: .PN, bytes: [])
        dataSet.set(.institutionName, vr: .LO, bytes: Array("Caf\u{E9}".utf8))
        dataSet.set(.stationName, vr: .SH, bytes: [0x43, 0x61, 0x66, 0xE9])  // ISO 8859-1
        #expect(dataSet.strings(.imageType) == ["ORIGINAL", "PRIMARY", "AXIAL"])
        #expect(dataSet.string(.imageType) == "ORIGINAL")
        #expect(dataSet.string(.sopInstanceUID) == "1.2.3")
        #expect(dataSet.strings(.imageComments) == ["  a\\b text"])
        #expect(dataSet.strings(.patientName) == [])
        #expect(dataSet.string(.patientName) == "")
        #expect(dataSet.string(.institutionName) == "Caf\u{E9}")
        #expect(dataSet.string(.stationName) == "Caf\u{E9}")
        #expect(dataSet.string(.rows) == nil)
    }

    @Test func numbersOfEveryVR() throws {
        var dataSet = DataSet()
        dataSet.set(.rows, vr: .US, bytes: [0x00, 0x02])
        dataSet.set(.smallestImagePixelValue, vr: .SS, bytes: [0x00, 0x80])
        dataSet.set(Tag(0x0009, 0x1001), vr: .UL, bytes: [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        dataSet.set(Tag(0x0009, 0x1002), vr: .SL, bytes: [0xFE, 0xFF, 0xFF, 0xFF])
        dataSet.set(Tag(0x0009, 0x1003), vr: .SV, bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        dataSet.set(Tag(0x0009, 0x1004), vr: .UV, bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        dataSet.set(.numberOfFrames, vr: .IS, bytes: Array(" +12\\-3 ".utf8))
        dataSet.set(.pixelSpacing, vr: .DS, bytes: Array("0.5\\1e-1".utf8))
        dataSet.set(Tag(0x0009, 0x1005), vr: .FL, bytes: Bytes.u32(Float(1.5).bitPattern))
        dataSet.set(
            Tag(0x0009, 0x1006),
            vr: .FD,
            bytes: Bytes.u32(UInt32(Double(-2.25).bitPattern & 0xFFFF_FFFF))
                + Bytes.u32(UInt32(Double(-2.25).bitPattern >> 32))
        )
        dataSet.set(.frameIncrementPointer, vr: .AT, bytes: Bytes.tag(.frameTime))
        #expect(dataSet.int(.rows) == 512)
        #expect(dataSet.int(.smallestImagePixelValue) == -32768)
        #expect(dataSet.ints(Tag(0x0009, 0x1001)) == [1, 4_294_967_295])
        #expect(dataSet.int(Tag(0x0009, 0x1002)) == -2)
        #expect(dataSet.int(Tag(0x0009, 0x1003)) == -1)
        #expect(dataSet.ints(Tag(0x0009, 0x1004)) == nil)  // does not fit Int
        #expect(dataSet.ints(.numberOfFrames) == [12, -3])
        #expect(dataSet.doubles(.pixelSpacing) == [0.5, 0.1])
        #expect(dataSet.double(Tag(0x0009, 0x1005)) == 1.5)
        #expect(dataSet.double(Tag(0x0009, 0x1006)) == -2.25)
        #expect(dataSet.double(.rows) == 512)
        #expect(dataSet.attributeTags(.frameIncrementPointer) == [.frameTime])
        #expect(dataSet.int(.pixelSpacing) == nil)
    }

    @Test func settersEncodePerVR() throws {
        var dataSet = DataSet()
        try dataSet.set(.rows, int: 512)
        #expect(dataSet[.rows]?.vr == .US && dataSet.bytes(.rows) == [0x00, 0x02])
        try dataSet.set(.pixelRepresentation, int: 1)
        try dataSet.set(.smallestImagePixelValue, int: -5)  // US or SS follows Pixel Representation
        #expect(dataSet[.smallestImagePixelValue]?.vr == .SS && dataSet.int(.smallestImagePixelValue) == -5)
        try dataSet.set(.numberOfFrames, int: 3)
        #expect(dataSet[.numberOfFrames]?.vr == .IS && dataSet.string(.numberOfFrames) == "3")
        try dataSet.set(.lossyImageCompressionRatio, doubles: [12.345678901234567, 1.0 / 3.0, 100])
        let ratios = try #require(dataSet.strings(.lossyImageCompressionRatio))
        #expect(ratios.allSatisfy { $0.utf8.count <= 16 })
        #expect(ratios[2] == "100")
        #expect(abs((dataSet.doubles(.lossyImageCompressionRatio)?[1] ?? 0) - 1.0 / 3.0) < 1e-12)
        try dataSet.set(Tag(0x0009, 0x1001), doubles: [2.5], vr: .FD)
        #expect(dataSet.double(Tag(0x0009, 0x1001)) == 2.5)
        dataSet.set(.imageType, strings: ["DERIVED", "PRIMARY"])
        #expect(dataSet[.imageType]?.vr == .CS && dataSet.strings(.imageType) == ["DERIVED", "PRIMARY"])

        let negative = #expect(throws: DICOMError.self) { try dataSet.set(.rows, int: -1) }
        #expect(negative?.code == .valueOutOfRange && negative?.tag == .rows)
        #expect(throws: DICOMError.self) { try dataSet.set(.numberOfFrames, int: Int(Int32.max) + 1) }
        #expect(throws: DICOMError.self) { try dataSet.set(.patientName, int: 1) }
        #expect(throws: DICOMError.self) { try dataSet.set(.rows, double: 1.5) }
        #expect(throws: DICOMError.self) { try dataSet.set(.pixelSpacing, double: .nan) }

        #expect(dataSet.remove(.rows) != nil)
        #expect(!dataSet.contains(.rows))
        #expect(dataSet.remove(.rows) == nil)
        dataSet[.patientID] = DataElement(tag: .patientID, vr: .LO, value: .bytes(Array("X".utf8)[...]))
        #expect(dataSet.string(.patientID) == "X")
        dataSet[.patientID] = nil
        #expect(!dataSet.contains(.patientID))
        #expect(dataSet.tags == dataSet.tags.sorted())
    }

    @Test func decimalStringsFitSixteenCharacters() {
        for value in [0.0, -0.0, 1, -1, 3.141592653589793, 1e-20, -1.2345678901234567e300, 1.2345678901234568e17, 70.5]
        {
            let text = DataSet.decimalString(value)
            #expect(text != nil && text!.utf8.count <= 16, "\(value) -> \(String(describing: text))")
            #expect(Double(text ?? "").map { abs($0 - value) <= abs(value) * 1e-9 } == true, "\(value)")
        }
        #expect(DataSet.decimalString(.infinity) == nil)
    }

    @Test func dictionaryLookups() {
        #expect(DataDictionary.entry(for: .rows)?.vr == .US)
        #expect(DataDictionary.keyword(for: .pixelData) == "PixelData")
        #expect(DataDictionary.entry(for: .pixelData)?.vrs == [.OB, .OW])
        #expect(DataDictionary.entry(for: Tag(0x0008, 0x0010))?.isRetired == true)
        #expect(DataDictionary.entry(for: Tag(0x6010, 0x3000))?.keyword == "OverlayData")
        #expect(DataDictionary.entry(for: Tag(0x5002, 0x0005))?.keyword == "CurveDimensions")
        #expect(DataDictionary.entry(for: Tag(0x0029, 0x0010))?.vr == .LO)
        #expect(DataDictionary.entry(for: Tag(0x0029, 0x1010)) == nil)
        #expect(DataDictionary.entry(for: Tag(0x0028, 0x0000))?.vr == .UL)
        #expect(DataDictionary.entry(for: .referencedSeriesSequence)?.vr == .SQ)
        #expect(DataDictionary.entry(for: Tag(0x0008, 0xFFF0)) == nil)
    }

    @Test func uidsAreUUIDDerived() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let uid = UID.generate()
            #expect(uid.hasPrefix("2.25."))
            #expect(UID.isValid(uid), "\(uid)")
            seen.insert(uid)
        }
        #expect(seen.count == 1000)
        // Our implementation UID is the UUID 42328d62-ed1d-411b-91f3-a07e90fcbaa1 in decimal.
        #expect(
            "2.25." + UID.decimal(high: 0x4232_8D62_ED1D_411B, low: 0x91F3_A07E_90FC_BAA1)
                == DICOMImplementation.dicomJ2K.classUID
        )
        #expect(UID.decimal(high: 0, low: 0) == "0")
        #expect(UID.decimal(high: .max, low: .max) == "340282366920938463463374607431768211455")
        #expect(!UID.isValid("1.02.3") && !UID.isValid("1..2") && !UID.isValid("") && !UID.isValid("1.2a"))
    }
}
