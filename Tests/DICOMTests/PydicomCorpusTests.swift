import Foundation
import TestSupport
import Testing

@testable import DICOM

/// pydicom's own test files: whatever pydicom reads, we read, and our Explicit VR Little Endian
/// rewrite reads back in pydicom with the same elements, VRs and values.
@Suite struct PydicomCorpusTests {
    /// Files pydicom reads leniently although they end before their declared lengths; we refuse
    /// them with a typed error naming the element (the issue requires truncation to be an error).
    static let truncated: [String: (code: DICOMError.Code, tag: Tag, offset: Int)] = [
        "MR_truncated.dcm": (.truncated, .pixelData, 1488),
        "rtplan_truncated.dcm": (.truncated, .beamSequence, 1410),
        // Offset elements cut out of the records without fixing the last item's length.
        "dicomdirtests/DICOMDIR-nooffset": (.truncated, .directoryRecordSequence, 10860),
    ]

    /// Bare data sets without file meta, which pydicom reads only with `force=True`.
    static let withoutMeta = ["rtstruct.dcm", "ExplVR_LitEndNoMeta.dcm", "ExplVR_BigEndNoMeta.dcm"]

    @Test(.needs(.pydicomTestFiles, .python)) func everyFilePydicomReadsIsReadAndRewrittenFaithfully() throws {
        let root = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "pydicom test files")
        let python = try TestEnvironment.require(TestEnvironment.python, "test venv python")
        let listing = try runProcess(python, [Self.script("list_readable.py"), root.path])
        try #require(listing.status == 0, "list_readable.py failed: \(listing.stderr)")
        let readable = try JSONDecoder().decode([String].self, from: Data(listing.stdout.utf8))
        #expect(readable.count > 150, "pydicom should read most of its own test files")

        try withTemporaryDirectory { directory in
            var manifest: [[String: String]] = []
            var truncatedSeen = 0
            for (index, name) in (readable + Self.withoutMeta).enumerated() {
                let path = root.appendingPathComponent(name).path
                if let expected = Self.truncated[name] {
                    truncatedSeen += 1
                    let error = #expect(throws: DICOMError.self, "\(name)") { try DICOMFile(contentsOf: path) }
                    #expect(error?.code == expected.code, "\(name): \(String(describing: error))")
                    #expect(error?.tag == expected.tag, "\(name): \(String(describing: error))")
                    #expect(error?.offset == expected.offset, "\(name): \(String(describing: error))")
                    continue
                }
                do {
                    let file = try DICOMFile(contentsOf: path)
                    let output = directory.appendingPathComponent("\(index).dcm").path
                    try file.write(toPath: output)
                    manifest.append([
                        "original": path, "rewritten": output, "force": Self.withoutMeta.contains(name) ? "1" : "",
                    ])
                } catch {
                    Issue.record("\(name): \(error)")
                }
            }
            #expect(truncatedSeen == Self.truncated.count)

            let manifestURL = directory.appendingPathComponent("manifest.json")
            let entries = manifest.map { entry -> [String: Any] in
                ["original": entry["original"]!, "rewritten": entry["rewritten"]!, "force": entry["force"] == "1"]
            }
            try JSONSerialization.data(withJSONObject: entries).write(to: manifestURL)
            let check = try runProcess(python, [Self.script("compare_roundtrip.py"), manifestURL.path])
            try #require(check.status == 0, "compare_roundtrip.py failed: \(check.stderr)")
            let results = try JSONDecoder().decode([CompareResult].self, from: Data(check.stdout.utf8))
            #expect(results.count == manifest.count)
            for result in results where !result.ok {
                Issue.record("\(result.original): \(result.problems.joined(separator: "; "))")
            }
        }
    }

    struct CompareResult: Decodable {
        var original: String
        var ok: Bool
        var problems: [String]
    }

    static func script(_ name: String) -> String {
        TestEnvironment.testsFolder("python").appendingPathComponent(name).path
    }
}

extension PydicomCorpusTests {
    /// Without Python: every DICOM file of the corpus reads, writes, and reads back as the same
    /// data set (up to the writer's documented changes).
    @Test(.needs(.pydicomTestFiles)) func everyFileRoundTripsThroughOurWriter() throws {
        let names = try PydicomFiles.all()
        let root = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "pydicom test files")
        var readCount = 0
        for name in names where Self.truncated[name] == nil {
            let path = root.appendingPathComponent(name).path
            guard let file = try? DICOMFile(contentsOf: path) else { continue }
            readCount += 1
            let again = try DICOMFile(bytes: try file.encoded())
            #expect(again.dataSet.writerNormalized() == file.dataSet.writerNormalized(), "\(name)")
            #expect(again.fileMeta.string(.transferSyntaxUID) == file.outputTransferSyntax.uid, "\(name)")
        }
        #expect(readCount > 150)
    }
}
