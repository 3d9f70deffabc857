import Dispatch
import Foundation
import Testing

@testable import DICOM

/// The Basic Profile in memory: the table, the keyed UID remapper (and its SHA-256), every action
/// at every nesting level, and hostile shapes (deep nesting, huge sequences) that must not crash.
/// The end-to-end no-identifier test with an independent reader is in TranscoderTests.
@Suite struct DeidentificationTests {
    // MARK: - SHA-256 and HMAC (FIPS 180-4 examples, RFC 4231 test cases 1, 2 and 6)

    @Test func sha256MatchesTheFIPSExamples() {
        #expect(
            hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(
            hex(SHA256.hash(Array(twoBlocks.utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hex(SHA256.hash(million)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hmacMatchesRFC4231() {
        #expect(
            hex(SHA256.hmac(key: [UInt8](repeating: 0x0B, count: 20), message: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        )
        #expect(
            hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
        #expect(
            hex(
                SHA256.hmac(
                    key: [UInt8](repeating: 0xAA, count: 131),
                    message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
                )
            ) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        )
    }

    // MARK: - UIDRemapper

    @Test func remappedUIDsAreConsistentValidAndKeyed() {
        let remapper = UIDRemapper(key: Array(0..<32))
        let original = "1.2.840.113619.2.55.3.604688119.971.1234567890.123"
        let mapped = remapper.map(original)
        #expect(mapped == remapper.map(original + "\0"))
        #expect(mapped == remapper.map(" " + original + " "))
        #expect(mapped == UIDRemapper(key: Array(0..<32)).map(original))
        #expect(mapped != original)
        #expect(mapped.hasPrefix("2.25."))
        #expect(UID.isValid(mapped))
        #expect(mapped != remapper.map(original + "1"))
        #expect(mapped != UIDRemapper(key: Array(1..<33)).map(original))
        #expect(mapped != UIDRemapper().map(original))
        #expect(remapper.map("") == "")
        let derived = remapper.derived(from: original, purpose: "lossy")
        #expect(derived != mapped && UID.isValid(derived))
        #expect(derived == remapper.derived(from: original, purpose: "lossy"))
        // Garbage in a UID attribute still becomes a valid UID.
        #expect(UID.isValid(remapper.map("not a uid \u{1F600}")))
    }

    @Test func remappingFromManyThreadsGivesOneMapping() {
        let remapper = UIDRemapper()
        let originals = (0..<2_000).map { "1.2.3.\($0)" }
        let expected = originals.map { remapper.map($0) }
        #expect(Set(expected).count == originals.count)
        let results = ResultBox(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            results.set(thread, originals.map { remapper.map($0) })
        }
        for thread in 0..<8 { #expect(results.get(thread) == expected) }
    }

    // MARK: - The table

    @Test func generatedTableHasTheProfilesRows() {
        let table = DeidentificationAction.basicProfileTags
        #expect(table.count == 652)
        #expect(table[.patientName] == .zero)
        #expect(table[.patientID] == .zeroOrDummy)
        #expect(table[.patientBirthDate] == .zero)
        #expect(table[.studyInstanceUID] == .uid)
        #expect(table[.sopInstanceUID] == .uid)
        #expect(table[.mediaStorageSOPInstanceUID] == .uid)
        #expect(table[.institutionName] == .removeOrZeroOrDummy)
        #expect(table[.referencedImageSequence] == .removeOrZeroOrUID)
        #expect(table[.otherPatientIDsSequence] == .remove)
        #expect(table[.contentSequence] == .dummy)
        #expect(DeidentificationAction.basicProfile(for: Tag(0x6002, 0x3000)) == .remove)
        #expect(DeidentificationAction.basicProfile(for: Tag(0x60FE, 0x4000)) == .remove)
        #expect(DeidentificationAction.basicProfile(for: Tag(0x5010, 0x0010)) == .remove)
        #expect(DeidentificationAction.basicProfile(for: .pixelData) == nil)
        #expect(DeidentificationAction.basicProfile(for: .rows) == nil)
        #expect(DeidentificationAction.basicProfile(for: .sopClassUID) == nil)
    }

    // MARK: - Actions at every level

    @Test func everyActionIsAppliedAtEveryNestingLevel() throws {
        let remapper = UIDRemapper(key: Array(repeating: 7, count: 32))
        var dataSet = Self.identifyingDataSet()
        try Deidentifier(uidRemapper: remapper).deidentify(&dataSet)

        #expect(dataSet.bytes(.patientName)?.isEmpty == true)  // Z
        #expect(dataSet.string(.patientID) == "ANONYMIZED")  // Z/D -> D
        #expect(dataSet.bytes(.studyDate)?.isEmpty == true)  // Z
        #expect(dataSet.string(.contentDate) == "19000101")  // Z/D -> D
        #expect(dataSet.string(.institutionName) == "ANONYMIZED")  // X/Z/D -> D
        #expect(dataSet.bytes(.accessionNumber)?.isEmpty == true)
        #expect(!dataSet.contains(.patientAge))  // X
        #expect(!dataSet.contains(.otherPatientIDsSequence))  // X, with its items
        #expect(!dataSet.contains(.studyDescription))
        #expect(dataSet.items(.acquisitionContextSequence)?.isEmpty == true)  // X/Z -> Z
        #expect(dataSet.string(.studyInstanceUID) == remapper.map("1.2.3.4.5.6.1"))
        #expect(dataSet.string(.sopInstanceUID) == remapper.map("1.2.3.4.5.6.3"))
        #expect(dataSet.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.2")  // not listed: kept
        #expect(dataSet.string(.modality) == "CT")
        #expect(dataSet.pixelData == .native([1, 2, 3, 4]))

        // Private, overlay, curve and group-length elements are gone.
        #expect(!dataSet.elements.contains { $0.tag.group & 1 == 1 })
        #expect(!dataSet.contains(Tag(0x6000, 0x0010)) && !dataSet.contains(Tag(0x5000, 0x0005)))
        #expect(!dataSet.contains(Tag(0x0008, 0x0000)))

        // X/Z/U*: the reference is kept, its instance UID replaced like the instance's own.
        let reference = try #require(dataSet.items(.referencedImageSequence)?.first)
        #expect(reference.string(.referencedSOPInstanceUID) == remapper.map("1.2.3.4.5.6.99"))
        #expect(reference.string(.referencedSOPClassUID) == "1.2.840.10008.5.1.4.1.1.2")
        #expect(!reference.elements.contains { $0.tag.isPrivate })

        // Unlisted sequence: kept, its items cleaned three levels down.
        let request = try #require(dataSet.items(.procedureCodeSequence)?.first)
        #expect(request.bytes(.accessionNumber)?.isEmpty == true)
        #expect(!request.elements.contains { $0.tag.isPrivate })
        let nested = try #require(request.items(.referencedStudySequence))
        #expect(nested.isEmpty)  // X/Z -> Z
        let deeper = try #require(request.items(.requestedProcedureCodeSequence)?.first)
        #expect(deeper.string(.codeValue) == "CTCHEST")
        #expect(!deeper.contains(.personName) || deeper.string(.personName) == "ANONYMIZED")
        let deepest = try #require(deeper.items(.personIdentificationCodeSequence)?.first)  // D
        #expect(deepest.string(.codeValue) == "ANONYMIZED")
        #expect(deepest.string(.codeMeaning) == "ANONYMIZED")
        #expect(deepest.string(.codingSchemeUID) == "1.2.3.999")  // an unlisted UID inside D is kept

        // D on a sequence: structure kept, values dummied.
        let content = try #require(dataSet.items(.contentSequence)?.first)
        #expect(content.string(.textValue) == "ANONYMIZED")  // not listed, inside D
        #expect(content.string(.valueType) == "TEXT")  // coded values keep the tree's structure
        #expect(content.string(.personName) == "ANONYMIZED")  // D
        #expect(content.string(.date) == "19000101")

        // The de-identification attributes.
        #expect(dataSet.string(.patientIdentityRemoved) == "YES")
        #expect(dataSet.strings(.deidentificationMethod) == [Deidentifier.methodDescription])
        let code = try #require(dataSet.items(.deidentificationMethodCodeSequence)?.first)
        #expect(code.string(.codeValue) == "113100")
        #expect(code.string(.codingSchemeDesignator) == "DCM")
        #expect(code.string(.codeMeaning) == "Basic Application Confidentiality Profile")
        #expect(dataSet.string(.longitudinalTemporalInformationModified) == "REMOVED")

        // De-identifying again changes nothing but UIDs (they are remapped again) and adds no duplicates.
        var twice = dataSet
        try Deidentifier(uidRemapper: remapper).deidentify(&twice)
        #expect(twice.items(.deidentificationMethodCodeSequence)?.count == 1)
        #expect(twice.strings(.deidentificationMethod)?.count == 1)
    }

    @Test func aFileGetsANewMetaAndPreambleAndKeepsItsEncapsulatedPixels() throws {
        var dataSet = Self.identifyingDataSet()
        dataSet.setPixelData(.encapsulated(EncapsulatedPixelData(fragments: [[0xFF, 0x4F, 0xFF, 0x51][...]])))
        var meta = DataSet()
        meta.set(.mediaStorageSOPInstanceUID, string: "1.2.3.4.5.6.3", vr: .UI)
        meta.set(.sourceApplicationEntityTitle, string: "HOSPITAL_PACS", vr: .AE)
        var file = DICOMFile(dataSet: dataSet, transferSyntax: .jpeg2000Lossless, fileMeta: meta)
        file.preamble = Array("PATIENT NAME IN THE PREAMBLE".utf8) + [UInt8](repeating: 0x41, count: 100)
        let input = try file.encoded()
        let remapper = UIDRemapper()
        let output = try Deidentifier(uidRemapper: remapper).deidentifiedFile(input)
        #expect(output.prefix(128).allSatisfy { $0 == 0 })
        let read = try DICOMFile(bytes: output)
        #expect(read.transferSyntax == .jpeg2000Lossless)
        #expect(read.fileMeta.string(.mediaStorageSOPInstanceUID) == remapper.map("1.2.3.4.5.6.3"))
        #expect(read.fileMeta.string(.mediaStorageSOPInstanceUID) == read.dataSet.string(.sopInstanceUID))
        #expect(!read.fileMeta.contains(.sourceApplicationEntityTitle))
        #expect(
            read.dataSet.pixelData == .encapsulated(EncapsulatedPixelData(fragments: [[0xFF, 0x4F, 0xFF, 0x51][...]]))
        )
        #expect(!String(decoding: output, as: UTF8.self).contains("Doe^John"))
    }

    @Test func implicitVRInputIsWrittenAsExplicitWithTheSameValues() throws {
        var dataSet = Self.identifyingDataSet()
        dataSet.removeAll { $0.isPrivate }  // Implicit VR would read them back as UN
        let input = try DICOMFile(dataSet: dataSet).encoded(as: .implicitVRLittleEndian)
        let output = try Deidentifier().deidentifiedFile(input)
        let read = try DICOMFile(bytes: output)
        #expect(read.transferSyntax == .explicitVRLittleEndian)
        #expect(read.dataSet.pixelData == .native([1, 2, 3, 4]))
        #expect(read.dataSet.string(.patientIdentityRemoved) == "YES")
    }

    @Test func inputThatIsNotDICOMOrDoesNotParseIsRefused() throws {
        #expect(throws: DICOMError.self) { try Deidentifier().deidentifiedFile(Array("%PDF-1.4 not dicom".utf8)) }
        let good = try DICOMFile(dataSet: Self.identifyingDataSet()).encoded()
        #expect(throws: DICOMError.self) { try Deidentifier().deidentifiedFile(Array(good.prefix(good.count - 3))) }
    }

    // MARK: - Hostile shapes

    @Test func nestingBeyondTheLimitIsAnErrorNotACrash() {
        var dataSet = DataSet()
        dataSet.set(.patientName, string: "Deep^Nest")
        for _ in 0..<300 {
            var outer = DataSet()
            outer.set(.anatomicRegionSequence, items: [dataSet])
            dataSet = outer
        }
        var copy = dataSet
        #expect(throws: DICOMError.self) { try Deidentifier().deidentify(&copy) }
        var shallow = DataSet()
        shallow.set(.anatomicRegionSequence, items: [dataSet])
        var limited = Deidentifier()
        limited.maximumNestingDepth = 1_000
        #expect(throws: Never.self) { try limited.deidentify(&shallow) }
    }

    @Test func aHugeSequenceIsHandled() throws {
        var item = DataSet()
        item.set(.referencedSOPClassUID, string: "1.2.840.10008.5.1.4.1.1.2", vr: .UI)
        item.set(.referencedSOPInstanceUID, string: "1.2.3.4", vr: .UI)
        item.set(Tag(0x0009, 0x0010), string: "PRIVATE", vr: .LO)
        var dataSet = DataSet()
        dataSet.set(.referencedImageSequence, items: Array(repeating: item, count: 20_000))
        let remapper = UIDRemapper()
        try Deidentifier(uidRemapper: remapper).deidentify(&dataSet)
        let items = try #require(dataSet.items(.referencedImageSequence))
        #expect(items.count == 20_000)
        #expect(items.allSatisfy { $0.string(.referencedSOPInstanceUID) == remapper.map("1.2.3.4") && $0.count == 2 })
    }

    @Test func sequencesAndUIDsStoredAsUNAreCleanedOrDropped() throws {
        var dataSet = DataSet()
        dataSet.set(.requestAttributesSequence, vr: .UN, bytes: Array("opaque items with Doe^John".utf8))
        dataSet.set(.studyInstanceUID, vr: .UN, bytes: Array("1.2.3.4\0".utf8))
        let remapper = UIDRemapper()
        try Deidentifier(uidRemapper: remapper).deidentify(&dataSet)
        #expect(!dataSet.contains(.requestAttributesSequence))
        #expect(dataSet[.studyInstanceUID]?.vr == .UI)
        // A well-formed one is read as Implicit VR Little Endian items and cleaned.
        let name = Array("Doe^John".utf8)
        let code = Array("T-D3000 ".utf8)
        let element1 = Bytes.implicit(.codeValue, code)
        let element2 = Bytes.implicit(.operatorsName, name)
        let item =
            Bytes.tag(Tag(0xFFFE, 0xE000)) + Bytes.u32(UInt32(element1.count + element2.count)) + element1 + element2
        var wrapped = DataSet()
        wrapped.set(.anatomicRegionSequence, vr: .UN, bytes: item)
        try Deidentifier(uidRemapper: remapper).deidentify(&wrapped)
        let cleaned = try #require(wrapped.items(.anatomicRegionSequence)?.first)
        #expect(wrapped[.anatomicRegionSequence]?.vr == .SQ)
        #expect(cleaned.string(.codeValue) == "T-D3000")
        #expect(cleaned.string(.operatorsName) == "ANONYMIZED")
        #expect(dataSet.string(.studyInstanceUID) == remapper.map("1.2.3.4"))
    }

    // MARK: - Helpers

    /// Identifying values at the top level and three levels down, private tags at every level.
    static func identifyingDataSet() -> DataSet {
        var d = DataSet()
        d.set(Tag(0x0008, 0x0000), vr: .UL, bytes: [0, 0, 0, 0])
        d.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.2")
        d.set(.sopInstanceUID, string: "1.2.3.4.5.6.3")
        d.set(.studyDate, string: "20240229")
        d.set(.contentDate, string: "20240229")
        d.set(.accessionNumber, string: "ACC-987654")
        d.set(.modality, string: "CT")
        d.set(.institutionName, string: "St. Example Hospital")
        d.set(.studyDescription, string: "CT for John Doe")
        d.set(.patientName, string: "Doe^John")
        d.set(.patientID, string: "MRN-123456")
        d.set(.patientBirthDate, string: "19610704")
        d.set(.patientAge, string: "062Y")
        d.set(.studyInstanceUID, string: "1.2.3.4.5.6.1")
        d.set(.seriesInstanceUID, string: "1.2.3.4.5.6.2")
        var otherID = DataSet()
        otherID.set(.patientID, string: "OTHER-555")
        d.set(.otherPatientIDsSequence, items: [otherID])
        d.set(.acquisitionContextSequence, items: [otherID])

        var reference = DataSet()
        reference.set(.referencedSOPClassUID, string: "1.2.840.10008.5.1.4.1.1.2")
        reference.set(.referencedSOPInstanceUID, string: "1.2.3.4.5.6.99")
        reference.set(Tag(0x0029, 0x0010), string: "ACME", vr: .LO)
        reference.set(Tag(0x0029, 0x1001), string: "Doe^John", vr: .LO)
        d.set(.referencedImageSequence, items: [reference])

        var person = DataSet()
        person.set(.codeValue, string: "EMP-42")
        person.set(.codingSchemeDesignator, string: "L")
        person.set(.codingSchemeUID, string: "1.2.3.999")
        person.set(.codeMeaning, string: "Dr. Jane Roe")
        var procedure = DataSet()
        procedure.set(.codeValue, string: "CTCHEST")
        procedure.set(.codingSchemeDesignator, string: "L")
        procedure.set(.codeMeaning, string: "CT chest")
        procedure.set(.personIdentificationCodeSequence, items: [person])
        procedure.set(Tag(0x0011, 0x1010), string: "private deep", vr: .LO)
        var request = DataSet()
        request.set(.accessionNumber, string: "ACC-987654")
        request.set(.referencedStudySequence, items: [reference])
        request.set(.requestedProcedureCodeSequence, items: [procedure])
        request.set(Tag(0x0019, 0x0010), string: "ACME", vr: .LO)
        d.set(.procedureCodeSequence, items: [request])

        var content = DataSet()
        content.set(.valueType, string: "TEXT")
        content.set(.textValue, string: "Patient John Doe reports pain", vr: .UT)
        content.set(.personName, string: "Roe^Jane", vr: .PN)
        content.set(.date, string: "20240229", vr: .DA)
        d.set(.contentSequence, items: [content])

        d.set(Tag(0x0009, 0x0010), string: "ACME 1.0", vr: .LO)
        d.set(Tag(0x0009, 0x1001), string: "Doe^John", vr: .LO)
        d.set(Tag(0x5000, 0x0005), vr: .US, bytes: [1, 0])
        d.set(Tag(0x6000, 0x0010), vr: .US, bytes: [2, 0])
        d.set(Tag(0x6000, 0x4000), string: "overlay of Doe", vr: .LT)
        try? d.set(.rows, int: 2)
        try? d.set(.columns, int: 2)
        d.set(.pixelData, vr: .OB, bytes: [1, 2, 3, 4])
        return d
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }
}

/// Results written by concurrent threads, one slot each.
private final class ResultBox: @unchecked Sendable {
    private var slots: [[String]]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: [], count: count) }

    func set(_ index: Int, _ value: [String]) { lock.withLock { slots[index] = value } }
    func get(_ index: Int) -> [String] { lock.withLock { slots[index] } }
}
