import Foundation
import TestSupport
import Testing

@testable import DICOM

/// The hand-made malformed corpus (Tests/Fixtures/malformed, made by Tests/python/make_malformed.py)
/// and pydicom's truncated files: each gives its typed error, naming the tag and byte offset.
@Suite struct MalformedInputTests {
    struct Expectation: Decodable {
        var description: String
        var code: String
        var tag: String?
        var offset: Int
    }

    static let folder = TestEnvironment.testsFolder("Fixtures/malformed")

    static func expectations() throws -> [String: Expectation] {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([String: Expectation].self, from: data)
    }

    @Test func corpusIsComplete() throws {
        let expected = try Self.expectations()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter {
            $0.hasSuffix(".dcm")
        }
        #expect(Set(files) == Set(expected.keys))
        #expect(expected.count >= 30)
    }

    @Test(arguments: try MalformedInputTests.expectations().keys.sorted())
    func malformedInputGivesItsTypedError(name: String) throws {
        let expected = try #require(try Self.expectations()[name])
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
        let error = #expect(throws: DICOMError.self, "\(name): \(expected.description)") {
            try DICOMFile(bytes: bytes)
        }
        guard let error else { return }
        #expect(error.code.description == expected.code, "\(name): \(error)")
        #expect(error.tag?.description == expected.tag, "\(name): \(error)")
        #expect(error.offset == expected.offset, "\(name): \(error)")
        #expect(!error.description.isEmpty)
    }

    @Test func deflateBombIsBounded() throws {
        // 4 MiB of zeros deflate to a few KiB; with a 1 MiB limit the reader must stop early.
        var dataSet = DataSet()
        dataSet.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.7")
        dataSet.set(Tag(0x0009, 0x0010), string: "BOMB", vr: .LO)
        dataSet.set(Tag(0x0009, 0x1000), vr: .OB, bytes: [UInt8](repeating: 0, count: 4 << 20))
        let deflated = try DeflateFixture.deflatedFile(dataSet)
        #expect(deflated.count < 64 << 10)
        var options = DICOMReadOptions()
        options.maximumInflatedSize = 1 << 20
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: deflated, options: options) }
        #expect(error?.code == .inflatedSizeLimitExceeded)
        // Within the default limit it reads, and the 4 MiB value is back.
        let file = try DICOMFile(bytes: deflated)
        #expect(file.dataSet.bytes(Tag(0x0009, 0x1000))?.count == 4 << 20)
    }

    @Test func nestingLimitIsConfigurable() throws {
        var dataSet = DataSet()
        for _ in 0..<10 {
            var outer = DataSet()
            outer.set(.referencedSeriesSequence, items: [dataSet])
            dataSet = outer
        }
        let bytes = try DICOMFile(dataSet: dataSet).encoded()
        #expect(throws: Never.self) { try DICOMFile(bytes: bytes) }
        var options = DICOMReadOptions()
        options.maximumNestingDepth = 5
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes, options: options) }
        #expect(error?.code == .nestingTooDeep)
    }

    @Test func everyTruncationOfAValidFileIsATypedError() throws {
        // Cut a file with sequences and encapsulated pixels at every length: never a crash, and
        // each prefix either reads (cut at an element boundary) or gives a typed error.
        var item = DataSet()
        item.set(.referencedSOPInstanceUID, string: "1.2.3.4")
        var dataSet = DataSet()
        dataSet.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.2")
        dataSet.set(.referencedSeriesSequence, items: [item, item])
        dataSet.setPixelData(.encapsulated(try EncapsulatedPixelData(frames: [[1, 2, 3], [4, 5, 6, 7]])))
        let bytes = try DICOMFile(dataSet: dataSet, transferSyntax: .jpeg2000Lossless).encoded()
        var readable = 0
        for length in 0..<bytes.count {
            do throws(DICOMError) {
                _ = try DICOMFile(bytes: Array(bytes[0..<length]))
                readable += 1
            } catch {
                #expect(error.offset != nil, "cut at \(length): \(error)")
            }
        }
        #expect(readable < 10, "almost every cut must be detected")
    }
}
