import Foundation
import TestSupport
import Testing

@testable import DICOM

/// What a file can make the reader spend: time linear in the number of elements whatever their
/// order, a stop when the caller cancels, and a damaged file's readable part for `dump`.
@Suite struct ParsingCostTests {
    /// `count` zero-length private elements (Explicit VR Little Endian, UN) in descending tag order.
    static func descending(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 12)
        for index in stride(from: count, to: 0, by: -1) {
            let group = UInt16(0x0009 + 2 * (index >> 16))
            let element = UInt16(index & 0xFFFF)
            bytes += [UInt8(group & 0xFF), UInt8(group >> 8), UInt8(element & 0xFF), UInt8(element >> 8)]
            bytes += Array("UN".utf8) + [0, 0, 0, 0, 0, 0]
        }
        return bytes
    }

    /// The fastest of three parses, so one slow moment of a shared machine does not decide.
    static func parseTime(_ bytes: [UInt8]) throws -> Duration {
        var best = Duration.seconds(1_000)
        for _ in 0..<3 {
            let clock = ContinuousClock()
            let start = clock.now
            let file = try DICOMFile(bytes: bytes)
            best = min(best, clock.now - start)
            #expect(file.dataSet.count > 0)
        }
        return best
    }

    /// Inserting each element in place would make this quadratic (16× for 4× the elements); the
    /// bound is a ratio within one run, not a wall-clock figure.
    @Test func parsingOutOfOrderElementsIsLinear() throws {
        let small = Self.descending(50_000)
        let large = Self.descending(200_000)
        let file = try DICOMFile(bytes: large)
        #expect(file.dataSet.count == 200_000)
        #expect(file.dataSet.tags == file.dataSet.tags.sorted())
        let ratio = try Self.parseTime(large) / Self.parseTime(small)
        print("parsing 200,000 vs 50,000 out-of-order elements: \(ratio)x")
        #expect(ratio < 8, "200,000 elements took \(ratio)× the time of 50,000")
    }

    @Test func aDuplicateAmongOutOfOrderElementsIsReportedAtItsSecondOccurrence() throws {
        var bytes = Self.descending(1_000)
        let repeated = Array(bytes[(500 * 12)..<(501 * 12)])
        bytes += repeated
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes) }
        #expect(error?.code == .duplicateTag)
        #expect(error?.offset == 1_000 * 12)
    }

    @Test func theInitialiserOfElementsKeepsTheLaterOfEqualTags() {
        let first = DataElement(tag: .patientName, vr: .PN, value: .bytes(Array("A".utf8)[...]))
        let second = DataElement(tag: .patientName, vr: .PN, value: .bytes(Array("B".utf8)[...]))
        let rows = DataElement(tag: .rows, vr: .US, value: .bytes([1, 0]))
        let dataSet = DataSet([rows, first, second])
        #expect(dataSet.tags == [.patientName, .rows])
        #expect(dataSet[.patientName] == second)
    }

    @Test func cancellationStopsALongParse() throws {
        let bytes = Self.descending(50_000)
        var options = DICOMReadOptions()
        options.isCancelled = { true }
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes, options: options) }
        #expect(error?.code == .cancelled)
        options.isCancelled = { false }
        #expect(try DICOMFile(bytes: bytes, options: options).dataSet.count == 50_000)
    }

    @Test func cancellationStopsALongSequence() throws {
        // One private sequence of 10,000 empty items of defined length.
        let items = Array(Array(repeating: [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0] as [UInt8], count: 10_000).joined())
        var bytes: [UInt8] = [0x09, 0x00, 0x10, 0x10] + Array("SQ".utf8) + [0, 0]
        let length = UInt32(items.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
        bytes += items
        #expect(try DICOMFile(bytes: bytes).dataSet.items(Tag(0x0009, 0x1010))?.count == 10_000)
        var options = DICOMReadOptions()
        options.isCancelled = { true }
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: bytes, options: options) }
        #expect(error?.code == .cancelled)
    }

    @Test func cancellationStopsInflating() throws {
        var dataSet = DataSet()
        dataSet.set(Tag(0x0009, 0x0010), string: "BOMB", vr: .LO)
        dataSet.set(Tag(0x0009, 0x1000), vr: .OB, bytes: [UInt8](repeating: 0, count: 64 << 20))
        let deflated = try DeflateFixture.deflatedFile(dataSet)
        var options = DICOMReadOptions()
        options.isCancelled = { true }
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: deflated, options: options) }
        #expect(error?.code == .cancelled)
    }

    @Test func inflatingStopsAtTheLimitAndKeepsExactSizes() throws {
        var dataSet = DataSet()
        dataSet.set(Tag(0x0009, 0x0010), string: "ZEROS", vr: .LO)
        dataSet.set(Tag(0x0009, 0x1000), vr: .OB, bytes: [UInt8](repeating: 7, count: 1 << 20))
        let deflated = try DeflateFixture.deflatedFile(dataSet)
        let file = try DICOMFile(bytes: deflated)
        #expect(file.dataSet.bytes(Tag(0x0009, 0x1000))?.count == 1 << 20)
        var options = DICOMReadOptions()
        options.maximumInflatedSize = (1 << 20) + 8
        let error = #expect(throws: DICOMError.self) { try DICOMFile(bytes: deflated, options: options) }
        #expect(error?.code == .inflatedSizeLimitExceeded)
    }

    @Test func aDamagedFileGivesBackWhatWasReadBeforeTheError() throws {
        let path = TestEnvironment.testsFolder("Fixtures/malformed/pixel-data-overrun.dcm").path
        let (file, error) = DICOMFile.readForInspection(contentsOf: path)
        #expect(error?.code == .truncated)
        #expect(error?.tag == .pixelData)
        let partial = try #require(file)
        #expect(!partial.fileMeta.isEmpty)
        #expect(partial.dataSet.count > 0)
        #expect(!partial.dataSet.contains(.pixelData))
        // A file that reads has no error; a missing one has no file.
        let good = try DICOMFile(dataSet: WriterTests.sample()).encoded()
        let (whole, none) = DICOMFile.readForInspection(bytes: good)
        #expect(none == nil && whole?.dataSet.count == WriterTests.sample().count)
        let (missing, unreadable) = DICOMFile.readForInspection(contentsOf: "/nonexistent/file.dcm")
        #expect(missing == nil && unreadable?.code == .fileUnreadable)
    }

    @Test func fileTextIsCutAndEscaped() {
        #expect(FileText.quoted("MONOCHROME2") == "MONOCHROME2")
        #expect(FileText.quoted("a\u{1B}[2J\u{7}é") == "a\\u{1B}[2J\\u{7}\\u{E9}")
        let long = FileText.quoted(String(repeating: "x", count: 500))
        #expect(long == String(repeating: "x", count: 64) + "...")
    }
}
