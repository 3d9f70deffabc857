import DICOM
import Foundation
import Logging
import SampleStudy
import TestSupport
import Testing

@testable import Transcoder

/// The no-identifier test: a job with a de-identifier (one `Deidentifier` for all its files) turns
/// a CT series full of identifying values (nested sequences, private tags, names, dates, UIDs,
/// references between instances), an already-compressed file, a file without pixels, a non-DICOM
/// file and pydicom's whole test corpus into outputs in which pydicom (Tests/python/deid_check.py,
/// independent of our reader) finds no original identifying value anywhere, nested sequences and
/// raw bytes included; the study stays one study; references resolve; pixels are unchanged
/// (lossless and copies); dciodvfy reports nothing new. Input that cannot be de-identified is
/// refused, never shipped.
@Suite
struct DeidentificationTranscoderTests {
    @Test(.needs(.python, .dciodvfy)) func aLosslessJobShipsNoIdentifierAndKeepsTheStudyTogether() throws {
        try checkJob(mode: .lossless)
    }

    @Test(.needs(.python, .dciodvfy)) func aLossyJobShipsNoIdentifierAndKeepsTheStudyTogether() throws {
        try checkJob(mode: .lossy(ratio: 10))
    }

    @Test(.needs(.python, .gdcmconv)) func theGDCMBackendGivesTheSameGuaranteesAndTheSameUIDs() throws {
        let python = try TestEnvironment.require(TestEnvironment.python, "test venv python")
        let gdcm = try TestEnvironment.require(
            GDCMTranscoder(options: TranscoderOptions(mode: .lossless), logger: Logger(label: "test")),
            "gdcmconv (Debian libgdcm-tools)"
        )
        let inputs = try IdentifyingStudy.make()
        var options = TranscoderOptions(mode: .lossless)
        options.deidentifier = Deidentifier()
        var gdcmTranscoder = gdcm
        gdcmTranscoder.options = options
        let ours = Transcoder(options: options, logger: Logger(label: "test"))
        try withTemporaryDirectory { directory in
            var entries: [DeidentificationCheck.Entry] = []
            var studies: Set<String> = []
            for input in inputs where input.name.hasPrefix("CT") {
                guard case .transcoded(let file) = try gdcmTranscoder.transcode(input.bytes),
                    case .transcoded(let reference) = try ours.transcode(input.bytes)
                else {
                    Issue.record("\(input.name): not transcoded")
                    continue
                }
                let fromGDCM = try DICOMFile(bytes: file.bytes).dataSet
                let fromOurs = try DICOMFile(bytes: reference.bytes).dataSet
                #expect(fromGDCM.string(.sopInstanceUID) == fromOurs.string(.sopInstanceUID), "\(input.name)")
                studies.insert(fromGDCM.string(.studyInstanceUID) ?? "")
                entries.append(try DeidentificationCheck.entry(input, output: file.bytes, kind: "lossless", directory))
            }
            #expect(studies.count == 1)
            let result = try DeidentificationCheck.run(entries, python: python, in: directory)
            DeidentificationCheck.expectClean(result, lossless: true)
        }
    }

    /// dciodvfy errors that appear only once de-identification removed what made dciodvfy stop
    /// reading the input (private elements out of order before Pixel Data): they are about the
    /// input's own pixel data (2 bytes, no image attributes), which is shipped unchanged.
    static let validatorExceptions: [String: String] = [
        "meta_missing_tsyntax.dcm": "PixelData has incorrect value length",
        "nested_priv_SQ.dcm": "PixelData has incorrect value length",
    ]

    @Test(.needs(.python, .pydicomTestFiles, .dciodvfy)) func pydicomsTestFilesAreShippedDeidentifiedOrNotAtAll() throws
    {
        let root = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "pydicom test files")
        let python = try TestEnvironment.require(TestEnvironment.python, "test venv python")
        let listing = try runProcess(
            python,
            [TestEnvironment.testsFolder("python").appendingPathComponent("list_readable.py").path, root.path]
        )
        try #require(listing.status == 0, "list_readable.py failed: \(listing.stderr)")
        let pydicomReads = Set(try JSONDecoder().decode([String].self, from: Data(listing.stdout.utf8)))
        var options = TranscoderOptions(mode: .lossless)
        options.deidentifier = Deidentifier()
        let transcoder = Transcoder(options: options, logger: Logger(label: "test"))

        try withTemporaryDirectory { directory in
            var entries: [DeidentificationCheck.Entry] = []
            var refused: [String] = []
            var newErrors: [String: Set<String>] = [:]
            let validator = try DICOMValidator.tool()
            let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
            var names: [String] = []
            while let url = enumerator?.nextObject() as? URL {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                names.append(String(url.path.dropFirst(root.path.count + 1)))
            }
            for name in names.sorted() {
                let input = [UInt8](try Data(contentsOf: root.appendingPathComponent(name)))
                let shipped = DeidentificationCheck.process(input, with: transcoder)
                guard let (bytes, kind) = shipped else {
                    refused.append(name)
                    // Refused only when our reader cannot parse it at all.
                    #expect(throws: DICOMError.self, "\(name) was refused but parses") {
                        try DICOMFile(bytes: input)
                    }
                    continue
                }
                guard pydicomReads.contains(name) else { continue }
                let original = IdentifyingStudy.Input(name: name.replacingOccurrences(of: "/", with: "_"), bytes: input)
                let entry = try DeidentificationCheck.entry(original, output: bytes, kind: kind, directory)
                entries.append(entry)
                let before = try DeidentificationCheck.validatorBaseline(validator, entry.original, in: directory)
                let after = DeidentificationCheck.uidsBlanked(
                    try DICOMValidator.messages(validator, entry.output).errors
                )
                let added = after.subtracting(before).filter {
                    !(Self.validatorExceptions[name].map($0.contains) ?? false)
                }
                if !added.isEmpty { newErrors[name] = added }
            }
            #expect(newErrors.isEmpty, "dciodvfy errors the inputs did not have: \(newErrors)")
            #expect(entries.count > 150, "checked \(entries.count) files")
            #expect(refused.contains("rtplan_truncated.dcm"))
            let result = try DeidentificationCheck.run(entries, python: python, in: directory)
            let values = result.entries.reduce(0) { $0 + $1.identifying }
            print(
                "de-identified pydicom corpus: \(entries.count) files checked, \(values) identifying values,"
                    + " \(result.uid_pairs) UID pairs; refused: \(refused.joined(separator: ", "))"
            )
            // Separate files, separate studies: no cross-file reference checks beyond consistency.
            DeidentificationCheck.expectClean(result, lossless: true)
        }
    }

    /// The checker is not vacuous: an input shipped as it is, or de-identified but with one
    /// original value put back three levels down, is caught.
    @Test(.needs(.python)) func theCheckerCatchesWhatTheDeidentifierWouldHaveMissed() throws {
        let python = try TestEnvironment.require(TestEnvironment.python, "test venv python")
        let input = try #require(try IdentifyingStudy.make().first { $0.name == "CT0003.dcm" })
        var options = TranscoderOptions(mode: .lossless)
        options.deidentifier = Deidentifier()
        let transcoder = Transcoder(options: options, logger: Logger(label: "test"))
        let (clean, _) = try #require(DeidentificationCheck.process(input.bytes, with: transcoder))
        var leaky = try DICOMFile(bytes: clean)
        var procedure = try #require(leaky.dataSet.items(.procedureCodeSequence)?.first)
        var anatomy = try #require(procedure.items(.anatomicRegionSequence)?.first)
        anatomy.set(.operatorsName, string: "Nested^Operator^Kim")
        procedure.set(.anatomicRegionSequence, items: [anatomy])
        leaky.dataSet.set(.procedureCodeSequence, items: [procedure])
        try withTemporaryDirectory { directory in
            let unchanged = IdentifyingStudy.Input(name: "unchanged.dcm", bytes: input.bytes)
            let nested = IdentifyingStudy.Input(name: "nested.dcm", bytes: input.bytes)
            let entries = [
                try DeidentificationCheck.entry(unchanged, output: input.bytes, kind: "copy", directory),
                try DeidentificationCheck.entry(nested, output: try leaky.encoded(), kind: "lossless", directory),
            ]
            let result = try DeidentificationCheck.run(entries, python: python, in: directory)
            let asIs = try #require(result.entries.first { $0.name == "unchanged.dcm" }).violations
            #expect(asIs.contains { $0.contains("private") })
            #expect(asIs.contains { $0.contains("Doe^Jonathan^Quincy") })
            #expect(asIs.contains { $0.contains("Patient Identity Removed") })
            #expect(!result.job_violations.isEmpty)  // the UIDs were not replaced
            let leaked = try #require(result.entries.first { $0.name == "nested.dcm" }).violations
            #expect(leaked.contains { $0.contains("Nested^Operator^Kim") && $0.contains("00081032/00082218/00081070") })
            #expect(leaked.contains { $0.contains("raw bytes") })
        }
    }

    // MARK: - The synthetic job

    private func checkJob(mode: TranscoderOptions.Mode) throws {
        let python = try TestEnvironment.require(TestEnvironment.python, "test venv python")
        let inputs = try IdentifyingStudy.make()
        var options = TranscoderOptions(mode: mode)
        options.deidentifier = Deidentifier()
        let transcoder = Transcoder(options: options, logger: Logger(label: "test"))
        let lossless = mode == .lossless
        let validator = try DICOMValidator.tool()

        try withTemporaryDirectory { directory in
            var entries: [DeidentificationCheck.Entry] = []
            var outputs: [String: DataSet] = [:]
            for input in inputs {
                guard let (bytes, kind) = DeidentificationCheck.process(input.bytes, with: transcoder) else {
                    #expect(input.name == "report.pdf", "\(input.name) was not shipped")
                    continue
                }
                #expect(input.name != "report.pdf")
                #expect(
                    kind == (input.name.hasPrefix("CT") ? (lossless ? "lossless" : "lossy") : "copy"),
                    "\(input.name)"
                )
                let entry = try DeidentificationCheck.entry(input, output: bytes, kind: kind, directory)
                entries.append(entry)
                outputs[input.name] = try DICOMFile(bytes: bytes).dataSet
                let before = try DeidentificationCheck.validatorBaseline(validator, entry.original, in: directory)
                let after = DeidentificationCheck.uidsBlanked(
                    try DICOMValidator.messages(validator, entry.output).errors
                )
                #expect(after.subtracting(before).isEmpty, "\(input.name): dciodvfy \(after.subtracting(before))")
            }
            #expect(entries.count == inputs.count - 1)

            // One study, one series, references to the new UIDs (read with our reader as well).
            let originals = try inputs.filter { $0.name.hasPrefix("CT") }.map { try DICOMFile(bytes: $0.bytes).dataSet }
            let series = inputs.indices.filter { inputs[$0].name.hasPrefix("CT") }.compactMap {
                outputs[inputs[$0].name]
            }
            #expect(series.count == originals.count)
            #expect(Set(series.map { $0.string(.studyInstanceUID) }).count == 1)
            #expect(Set(series.map { $0.string(.seriesInstanceUID) }).count == 1)
            #expect(Set(series.map { $0.string(.sopInstanceUID) }).count == series.count)
            #expect(series.first?.string(.studyInstanceUID) != originals.first?.string(.studyInstanceUID))
            #expect(
                outputs["copy-compressed.dcm"]?.string(.studyInstanceUID) == series.first?.string(.studyInstanceUID)
            )
            #expect(outputs["no-pixels.dcm"]?.string(.studyInstanceUID) == series.first?.string(.studyInstanceUID))
            if lossless {
                let referenced = outputs["CT0003.dcm"]?.items(.referencedImageSequence)?.first
                #expect(referenced?.string(.referencedSOPInstanceUID) == series.first?.string(.sopInstanceUID))
            }

            let result = try DeidentificationCheck.run(entries, python: python, in: directory)
            DeidentificationCheck.expectClean(result, lossless: lossless)
            let synthetic = result.entries.first { $0.name == "CT0003.dcm" }
            #expect(
                (synthetic?.identifying ?? 0) >= 30,
                "identifying values found in the input: \(synthetic?.identifying ?? 0)"
            )
            #expect(result.uid_pairs >= 4 * series.count)
        }
    }
}

/// Inputs for one job: a CT series from SampleStudy in which slice 3 carries identifying values in
/// every form the profile handles, and three files the job does not transcode.
enum IdentifyingStudy {
    struct Input {
        var name: String
        var bytes: [UInt8]
    }

    static func make() throws -> [Input] {
        let writer = try SampleStudyWriter(options: .init(slices: 5, rows: 64, columns: 64))
        var inputs: [Input] = []
        var first: DataSet?
        for slice in 0..<5 {
            var file = try DICOMFile(bytes: try writer.slice(slice))
            if slice == 0 { first = file.dataSet }
            if slice == 2, let first { addIdentifiers(&file.dataSet, referencing: first) }
            file.dataSet.set(.institutionName, string: "Saint Example General Hospital")
            file.dataSet.set(.stationName, string: "CTSTATION7")
            inputs.append(Input(name: writer.fileName(forSlice: slice), bytes: try file.encoded()))
        }

        // Already compressed: slice 4 as our JPEG 2000 lossless (no de-identification), with the
        // identifiers of slice 3 added.
        let plain = Transcoder(options: TranscoderOptions(mode: .lossless), logger: Logger(label: "test"))
        guard case .transcoded(let compressed) = try plain.transcode(inputs[3].bytes) else {
            throw TestInputError("slice 4 did not transcode")
        }
        var copy = try DICOMFile(bytes: compressed.bytes)
        if let first { addIdentifiers(&copy.dataSet, referencing: first) }
        try copy.dataSet.set(.instanceNumber, int: 99)
        copy.dataSet.set(.sopInstanceUID, string: "1.2.826.0.1.3680043.99.4242.5")
        inputs.append(Input(name: "copy-compressed.dcm", bytes: try copy.encoded()))

        // No pixel data: a key-object-like document with a content tree.
        var document = try DICOMFile(bytes: try writer.slice(0)).dataSet
        for tag in document.tags where tag.group == 0x0028 || tag == .pixelData { document.remove(tag) }
        document.set(.sopClassUID, string: "1.2.840.10008.5.1.4.1.1.88.59")
        document.set(.sopInstanceUID, string: "1.2.826.0.1.3680043.99.4242.6")
        document.set(.modality, string: "KO")
        if let first { addIdentifiers(&document, referencing: first) }
        inputs.append(Input(name: "no-pixels.dcm", bytes: try DICOMFile(dataSet: document).encoded()))

        inputs.append(Input(name: "report.pdf", bytes: Array("%PDF-1.4\nPatient: Doe^Jonathan\n%%EOF\n".utf8)))
        return inputs
    }

    /// Names, dates, IDs and UIDs at the top level and in sequences three deep, private blocks at
    /// every level, an overlay and a curve, and references to `first`.
    static func addIdentifiers(_ d: inout DataSet, referencing first: DataSet) {
        d.set(.patientName, string: "Doe^Jonathan^Quincy")
        d.set(.patientID, string: "MRN-0077123")
        d.set(.patientBirthDate, string: "19610704")
        d.set(.patientAddress, string: "42 Elm Street, Springfield")
        d.set(.patientComments, string: "Allergic to iodine, husband Robert Doe")
        d.set(.otherPatientNames, string: "Smith^Jonathan")
        d.set(.operatorsName, string: "Technologist^Maria")
        d.set(.performingPhysicianName, string: "Radiologist^Hiroshi")
        d.set(.referringPhysicianName, string: "Referrer^Ingrid")
        d.set(.deviceSerialNumber, string: "SN-CT-998877")
        d.set(.acquisitionDateTime, string: "20250120103012.123456")
        d.set(.imageComments, string: "Follow-up for Jonathan Doe")
        d.set(.protocolName, string: "Doe research protocol 7")

        var otherID = DataSet()
        otherID.set(.patientID, string: "OTHER-ID-4455")
        otherID.set(.issuerOfPatientID, string: "County Clinic Registry")
        d.set(.otherPatientIDsSequence, items: [otherID])

        var reference = DataSet()
        reference.set(.referencedSOPClassUID, string: first.string(.sopClassUID) ?? "")
        reference.set(.referencedSOPInstanceUID, string: first.string(.sopInstanceUID) ?? "")
        reference.set(Tag(0x0029, 0x0010), string: "ACME IMAGING", vr: .LO)
        reference.set(Tag(0x0029, 0x1001), string: "Doe^Jonathan private ref", vr: .LO)
        d.set(.referencedImageSequence, items: [reference])

        var person = DataSet()
        person.set(.codeValue, string: "EMP-777111")
        person.set(.codingSchemeDesignator, string: "99HOSP")
        person.set(.codeMeaning, string: "Dr Evelyn Roe-Identifier")
        var observer = DataSet()
        observer.set(.personName, string: "Roe^Evelyn", vr: .PN)
        observer.set(.personIdentificationCodeSequence, items: [person])
        observer.set(Tag(0x0011, 0x0010), string: "ACME DEEP", vr: .LO)
        observer.set(Tag(0x0011, 0x1001), string: "deep private secret 3141", vr: .LO)
        var procedure = DataSet()
        procedure.set(.codeValue, string: "CTCAP")
        procedure.set(.codingSchemeDesignator, string: "99HOSP")
        procedure.set(.codeMeaning, string: "CT chest abdomen pelvis")
        var request = DataSet()
        request.set(.accessionNumber, string: "ACC-20250120-9")
        request.set(.requestedProcedureID, string: "RP-556677")
        request.set(.requestedProcedureDescription, string: "CT for Jonathan Doe follow-up")
        request.set(.scheduledProcedureStepID, string: "SPS-990011")
        request.set(.requestedProcedureCodeSequence, items: [procedure])
        request.set(.contentSequence, items: [observer])
        request.set(Tag(0x0019, 0x0010), string: "ACME REQUEST", vr: .LO)
        d.set(.requestAttributesSequence, items: [request])  // X: removed whole
        // Sequences the profile keeps, cleaned inside: a D content tree, private blocks, dates.
        var anatomy = DataSet()
        anatomy.set(.codeValue, string: "T-D3000")
        anatomy.set(.codingSchemeDesignator, string: "SRT")
        anatomy.set(.codeMeaning, string: "Chest")
        anatomy.set(.contentSequence, items: [observer])
        anatomy.set(.operatorsName, string: "Nested^Operator^Kim")
        anatomy.set(.instanceCreationDate, string: "20250119")
        anatomy.set(Tag(0x0013, 0x0010), string: "ACME ANATOMY", vr: .LO)
        anatomy.set(Tag(0x0013, 0x1001), string: "private anatomy note 1618", vr: .LO)
        var procedureCode = DataSet()
        procedureCode.set(.codeValue, string: "CTCAP")
        procedureCode.set(.codingSchemeDesignator, string: "99HOSP")
        procedureCode.set(.codeMeaning, string: "CT chest abdomen pelvis")
        procedureCode.set(.anatomicRegionSequence, items: [anatomy])
        d.set(.procedureCodeSequence, items: [procedureCode])

        d.set(.referencedPatientSequence, items: [otherID])
        d.set(.studyID, string: "STUDY-ID-31415")
        d.set(.accessionNumber, string: "ACC-20250120-9")
        d.set(.studyDescription, string: "Doe chest CT")
        d.set(.seriesDescription, string: "Doe axial series")
        d.set(Tag(0x0009, 0x0010), string: "ACME 1.0", vr: .LO)
        d.set(Tag(0x0009, 0x1001), string: "Doe^Jonathan in private", vr: .LO)
        d.set(Tag(0x0009, 0x1002), vr: .UN, bytes: Array("raw private 2718281".utf8))
        d.set(Tag(0x5000, 0x0005), vr: .US, bytes: [1, 0])
        d.set(Tag(0x5000, 0x2500), string: "curve of Jonathan Doe", vr: .LO)
        try? d.set(Tag(0x6000, 0x0010), int: 64, vr: .US)
        try? d.set(Tag(0x6000, 0x0011), int: 64, vr: .US)
        d.set(Tag(0x6000, 0x0040), string: "G", vr: .CS)
        d.set(Tag(0x6000, 0x0050), vr: .SS, bytes: [1, 0, 1, 0])
        try? d.set(Tag(0x6000, 0x0100), int: 1, vr: .US)
        try? d.set(Tag(0x6000, 0x0102), int: 0, vr: .US)
        d.set(Tag(0x6000, 0x3000), vr: .OW, bytes: [UInt8](repeating: 0, count: 64 * 64 / 8))
        d.set(Tag(0x6000, 0x4000), string: "overlay note on Doe", vr: .LT)
    }
}

struct TestInputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs the job's per-file rule and Tests/python/deid_check.py.
enum DeidentificationCheck {
    struct Entry: Encodable {
        var name: String
        var original: String
        var output: String
        var kind: String
    }

    struct EntryResult: Decodable {
        var name: String
        var violations: [String]
        var identifying: Int
        var kept_coincidences: Int
        var pixels: String?
    }

    struct Result: Decodable {
        var entries: [EntryResult]
        var job_violations: [String]
        var uid_pairs: Int
    }

    /// What an anonymizing job ships for `input`: the transcoded file, or the input de-identified
    /// without touching its pixels, or nothing (`nil`) when it cannot be de-identified.
    static func process(_ input: [UInt8], with transcoder: Transcoder) -> (bytes: [UInt8], kind: String)? {
        let lossless = transcoder.options.mode == .lossless
        do {
            if case .transcoded(let file) = try transcoder.transcode(input) {
                return (file.bytes, lossless ? "lossless" : "lossy")
            }
        } catch {
            // Failed: fall through to the de-identified copy, as for files not transcoded.
        }
        do {
            return (try transcoder.deidentifiedCopy(input), "copy")
        } catch {
            #expect(error == .deidentificationFailed)
            return nil
        }
    }

    static func entry(
        _ input: IdentifyingStudy.Input,
        output: [UInt8],
        kind: String,
        _ directory: URL
    ) throws -> Entry {
        let original = directory.appendingPathComponent("in-\(input.name)")
        let shipped = directory.appendingPathComponent("out-\(input.name)")
        try Data(input.bytes).write(to: original)
        try Data(output).write(to: shipped)
        return Entry(name: input.name, original: original.path, output: shipped.path, kind: kind)
    }

    /// dciodvfy's errors for the input, joined with those for the same data set rewritten by our
    /// writer without de-identification: dciodvfy stops early on some inputs (tags out of order,
    /// unreadable syntaxes), and what our writer changes is tested elsewhere; what is left over
    /// in the output is de-identification's doing.
    static func validatorBaseline(_ tool: String, _ original: String, in directory: URL) throws -> Set<String> {
        var errors = try DICOMValidator.baseline(tool, original: original, in: directory).errors
        let rewritten = directory.appendingPathComponent("rewritten-\(UUID().uuidString).dcm").path
        if (try? DICOMFile(contentsOf: original).write(toPath: rewritten)) != nil {
            errors.formUnion(try DICOMValidator.messages(tool, rewritten).errors)
        }
        return uidsBlanked(errors)
    }

    /// Messages with every UID-shaped number blanked: dciodvfy quotes some UIDs outside the angle
    /// brackets ``DICOMValidator/normalize(_:)`` blanks, and replaced UIDs differ by design.
    static func uidsBlanked(_ messages: Set<String>) -> Set<String> {
        Set(
            messages.map {
                $0.replacingOccurrences(
                    of: #"[0-9]+(\.[0-9]+){2,}|(?<=UID )[0-9.]+"#,
                    with: "#",
                    options: .regularExpression
                )
            }
        )
    }

    static func run(_ entries: [Entry], python: String, in directory: URL) throws -> Result {
        let manifest = directory.appendingPathComponent("deid-manifest-\(UUID().uuidString).json")
        try JSONEncoder().encode(entries).write(to: manifest)
        let table = TestEnvironment.repositoryRoot.appendingPathComponent(
            "Sources/DICOM/Generated/BasicProfile+Table.swift"
        ).path
        let script = TestEnvironment.testsFolder("python").appendingPathComponent("deid_check.py").path
        let run = try runProcess(python, [script, table, manifest.path])
        try #require(run.status == 0, "deid_check.py failed: \(run.stderr)")
        let result = try JSONDecoder().decode(Result.self, from: Data(run.stdout.utf8))
        #expect(result.entries.count == entries.count)
        return result
    }

    static func expectClean(_ result: Result, lossless: Bool) {
        #expect(result.job_violations.isEmpty, "\(result.job_violations.prefix(20))")
        for entry in result.entries {
            #expect(entry.violations.isEmpty, "\(entry.name): \(entry.violations.prefix(20))")
            switch entry.pixels {
            case "equal", "equal fragments", "equal bytes", "no pixel data": break
            case "decodes" where !lossless: break
            default: Issue.record("\(entry.name): pixels \(entry.pixels ?? "nil")")
            }
        }
    }
}
