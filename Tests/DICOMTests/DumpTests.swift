import Foundation
import TestSupport
import Testing

@testable import DICOM

/// The dump listing, and the `dicom-j2k dump` verb run as a process.
@Suite struct DumpTests {
    @Test func dumpListsElementsAndIndentsItems() throws {
        var item = DataSet()
        item.set(.referencedSOPInstanceUID, string: "1.2.3")
        var dataSet = DataSet()
        dataSet.set(.patientName, string: "Doe^John")
        try dataSet.set(.rows, int: 512)
        dataSet.set(.referencedSeriesSequence, items: [item])
        dataSet.set(Tag(0x0009, 0x1001), vr: .OB, bytes: Array(0..<40))
        dataSet.set(.imageComments, vr: .LT, bytes: Array("line\u{1B}[31m".utf8))
        dataSet.setPixelData(.encapsulated(try EncapsulatedPixelData(frames: [[1, 2], [3, 4]])))
        let text = DICOMFile(dataSet: dataSet, transferSyntax: .jpeg2000).dump()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("# Transfer Syntax: 1.2.840.10008.1.2.4.91 (JPEG 2000)"))
        #expect(lines.contains { $0.hasPrefix("(0010,0010) PN        8  PatientName") && $0.hasSuffix("Doe^John") })
        #expect(lines.contains { $0.hasPrefix("(0028,0010) US        2  Rows") && $0.hasSuffix("512") })
        #expect(
            lines.contains {
                $0.hasPrefix("(0008,1115) SQ        -  ReferencedSeriesSequence") && $0.hasSuffix("1 item")
            }
        )
        #expect(lines.contains("  > Item 1 (1 element)"))
        #expect(lines.contains { $0.hasPrefix("    (0008,1155) UI        5  ReferencedSOPInstanceUID") })
        #expect(lines.contains { $0.hasPrefix("(0009,1001) OB       40  Private") && $0.hasSuffix("… (40 bytes)") })
        #expect(lines.contains { $0.contains("encapsulated: offset table 2 entries, 2 fragments (2, 2 bytes)") })
        #expect(!text.contains("\u{1B}"), "control characters from the file must not reach the terminal")
    }

    /// The built executable sits next to the test bundle.
    static func executable() throws -> String { try TestEnvironment.dicomJ2KExecutable() }

    @Test(.needs(.dicomJ2KExecutable)) func dumpVerbExitsNonZeroWithTheTypedError() throws {
        let tool = try Self.executable()
        try withTemporaryDirectory { directory in
            let goodPath = directory.appendingPathComponent("good.dcm").path
            try DICOMFile(dataSet: WriterTests.sample()).write(toPath: goodPath)
            let ok = try runProcess(tool, ["dump", goodPath])
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout.contains("PatientName"))
            let bad = TestEnvironment.testsFolder("Fixtures/malformed/pixel-data-overrun.dcm").path
            let failed = try runProcess(tool, ["dump", goodPath, bad])
            #expect(failed.status == 1)
            #expect(failed.stdout.contains("== \(goodPath)"))
            #expect(failed.stderr.contains("truncated"))
            #expect(failed.stderr.contains("(7FE0,0010)"))
            let expected = try #require(try MalformedInputTests.expectations()["pixel-data-overrun.dcm"])
            #expect(failed.stderr.contains("offset \(expected.offset)"))
            // The damaged file is listed as far as it reads, then the error, as dcmdump does.
            let partial = try runProcess(tool, ["dump", bad])
            #expect(partial.status == 1)
            #expect(partial.stdout.contains("# Data Set"))
            #expect(partial.stdout.contains("BitsAllocated"), "\(partial.stdout)")
            #expect(partial.stdout.contains("# Error: truncated"))
        }
    }
}
