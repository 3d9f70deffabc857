import DICOM
import Foundation
import SampleStudy
import TestSupport
import Testing

@Suite struct SampleStudyWriterTests {
    static let options = SampleStudyWriter.Options(slices: 5, rows: 64, columns: 64)

    @Test func filesAreDeterministicAndConsistent() throws {
        let writer = try SampleStudyWriter(options: Self.options)
        let again = try SampleStudyWriter(options: Self.options)
        #expect(try writer.slice(2) == again.slice(2))
        #expect(writer.fileName(forSlice: 0) == "CT0001.dcm")
        #expect(writer.fileName(forSlice: 4) == "CT0005.dcm")

        let first = try DICOMFile(bytes: writer.slice(0)).dataSet
        let last = try DICOMFile(bytes: writer.slice(4)).dataSet
        #expect(first.string(.studyInstanceUID) == last.string(.studyInstanceUID))
        #expect(first.string(.seriesInstanceUID) == last.string(.seriesInstanceUID))
        #expect(first.string(.frameOfReferenceUID) == last.string(.frameOfReferenceUID))
        #expect(first.string(.sopInstanceUID) != last.string(.sopInstanceUID))
        for uid in [first.string(.studyInstanceUID), first.string(.sopInstanceUID)] {
            #expect(UID.isValid(try #require(uid)))
        }
        #expect(first.int(.instanceNumber) == 1)
        #expect(last.int(.instanceNumber) == 5)
        #expect(first.doubles(.imagePositionPatient)?[2] == 0)
        #expect(last.doubles(.imagePositionPatient)?[2] == -500)
        #expect(first.int(.bitsStored) == 12)
        #expect(first.int(.pixelRepresentation) == 1)

        let otherSeed = try SampleStudyWriter(options: .init(slices: 5, rows: 64, columns: 64, seed: 1))
        #expect(
            try DICOMFile(bytes: otherSeed.slice(0)).dataSet.string(.studyInstanceUID)
                != first.string(.studyInstanceUID)
        )
    }

    @Test func rejectsImpossibleStudies() {
        #expect(throws: SampleStudyError.self) { try SampleStudyWriter(options: .init(slices: 0)) }
        #expect(throws: SampleStudyError.self) { try SampleStudyWriter(options: .init(rows: 0)) }
    }

    /// pydicom reads explicit and implicit slices to exactly the phantom's pixels.
    @Test(.needs(.python), arguments: [false, true])
    func pydicomReadsThePhantomPixels(implicitVR: Bool) throws {
        let python = try TestEnvironment.require(TestEnvironment.python, "the test venv's python")
        var options = Self.options
        options.implicitVR = implicitVR
        let writer = try SampleStudyWriter(options: options)
        try withTemporaryDirectory { folder in
            let names = try writer.write(to: folder)
            #expect(names.count == 5)
            let raw = folder.appendingPathComponent("pixels.raw").path
            let script = TestEnvironment.testsFolder("python/sample_study_check.py").path
            let result = try runProcess(python, [script, folder.appendingPathComponent(names[3]).path, raw])
            #expect(result.status == 0, "\(result.stderr)")
            let info = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(info["transfer_syntax"] as? String == (implicitVR ? "1.2.840.10008.1.2" : "1.2.840.10008.1.2.1"))
            #expect(info["sop_class"] as? String == "1.2.840.10008.5.1.4.1.1.2")
            #expect(info["sop_instance"] as? String == info["media_sop_instance"] as? String)
            #expect(info["instance_number"] as? Int == 4)
            #expect(info["dtype"] as? String == "int16")
            let decoded = try Data(contentsOf: URL(fileURLWithPath: raw)).withUnsafeBytes {
                Array($0.bindMemory(to: Int16.self))
            }
            let expected = try CTPhantom().pixels(forSlice: 3, of: 5, rows: 64, columns: 64)
            #expect(decoded == expected)
        }
    }

    /// dciodvfy (dicom3tools) finds no error in a slice: a valid CT Image IOD.
    @Test(.needs(.dciodvfy)) func dciodvfyFindsNoError() throws {
        let dciodvfy = try TestEnvironment.require(TestEnvironment.tool("/usr/bin/dciodvfy"), "dciodvfy")
        let writer = try SampleStudyWriter(options: Self.options)
        try withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("slice.dcm")
            try Data(writer.slice(1)).write(to: path)
            let result = try runProcess(dciodvfy, [path.path])
            let errors = (result.stdout + result.stderr).split(separator: "\n").filter { $0.hasPrefix("Error") }
            #expect(errors.isEmpty, "\(errors)")
        }
    }
}
