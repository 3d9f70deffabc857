import DICOM
import Foundation
import TestSupport
import Testing

/// Runs Tests/python/transcode_check.py: pydicom + pylibjpeg-openjpeg and GDCM (`gdcmconv --raw`)
/// decode our outputs, compare them with the originals, and report the attributes pydicom reads.
enum IndependentDecoders {
    struct Entry: Encodable {
        var name: String
        var original: String
        var output: String
        var gdcmconv: String?
    }

    struct Metrics: Decodable {
        var max_abs_error: Int?
        var rmse: Double?
        var psnr: Double?
        var error: String?
        var photometric_interpretation: String?
    }

    struct SourceImage: Decodable {
        var `class`: String
        var instance: String
        var purpose: [[String]]
    }

    struct Attributes: Decodable {
        var transfer_syntax: String
        var media_storage_sop_instance_uid: String
        var sop_instance_uid: String?
        var photometric_interpretation: String?
        var planar_configuration: String?
        var lossy_image_compression: String?
        var lossy_image_compression_ratio: StringOrList?
        var lossy_image_compression_method: StringOrList?
        var image_type: StringOrList?
        var derivation_description: String?
        var source_images: [SourceImage]
        var derivation_codes: [[String]]
        var pixel_data_vr: String
        var pixel_data_undefined_length: Bool
    }

    struct Encapsulation: Decodable {
        var basic_offsets: [Int]
        var fragment_lengths: [Int]
        var fragments_start_with_soc: Bool
        var fragments_end_with_eoc: Bool
    }

    struct Result: Decodable {
        var name: String
        var failure: String?
        var attributes: Attributes?
        var encapsulation: Encapsulation?
        var pydicom: Metrics?
        var gdcm: Metrics?
    }

    /// A DICOM value pydicom returns as one string or a list of strings.
    enum StringOrList: Decodable, Equatable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .one(text)
            } else {
                self = .many(try container.decode([String].self))
            }
        }

        var values: [String] {
            switch self {
            case .one(let text): [text]
            case .many(let list): list
            }
        }
    }

    /// The python of the test venv and gdcmconv (the test declares `.needs(.python, .gdcmconv)`).
    static func tools() throws -> (python: String, gdcmconv: String) {
        let python = try TestEnvironment.require(
            TestEnvironment.python,
            "test venv python (pydicom, pylibjpeg-openjpeg)"
        )
        let gdcmconv = try TestEnvironment.require(
            TestEnvironment.tool("/usr/bin/gdcmconv"),
            "gdcmconv (Debian libgdcm-tools)"
        )
        return (python, gdcmconv)
    }

    /// Checks every entry; results come back in the same order, keyed by name.
    static func check(_ entries: [Entry], python: String, in directory: URL) throws -> [String: Result] {
        let manifest = directory.appendingPathComponent("manifest-\(UUID().uuidString).json")
        try JSONEncoder().encode(entries).write(to: manifest)
        let script = TestEnvironment.testsFolder("python").appendingPathComponent("transcode_check.py").path
        let run = try runProcess(python, [script, manifest.path])
        try #require(run.status == 0, "transcode_check.py failed: \(run.stderr)")
        let results = try JSONDecoder().decode([Result].self, from: Data(run.stdout.utf8))
        #expect(results.count == entries.count)
        return Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// dicom3tools' dciodvfy: the errors it reports for a file, normalized so that the input's and the
/// output's can be compared (values that legitimately differ, such as UIDs, are blanked).
enum DICOMValidator {
    static func tool() throws -> String {
        try TestEnvironment.require(TestEnvironment.tool("/usr/bin/dciodvfy"), "dciodvfy (Debian dicom3tools)")
    }

    /// The `Error` and `Warning` lines dciodvfy prints for `path`.
    static func messages(_ tool: String, _ path: String) throws -> (errors: Set<String>, warnings: Set<String>) {
        let run = try runProcess(tool, [path])
        let lines = (run.stdout + "\n" + run.stderr).split(separator: "\n").map { normalize(String($0)) }
        return (
            Set(lines.filter { $0.hasPrefix("Error") }),
            Set(lines.filter { $0.hasPrefix("Warning") })
        )
    }

    /// The verdict on an input, to compare outputs with. When dciodvfy cannot read the input at all
    /// (it does not support Deflated Explicit VR Little Endian, for one), the verdict on the same
    /// data set rewritten uncompressed by our writer stands in for it.
    static func baseline(
        _ tool: String,
        original path: String,
        in directory: URL
    ) throws -> (errors: Set<String>, warnings: Set<String>) {
        let verdict = try messages(tool, path)
        guard verdict.errors.contains(where: { $0.contains("Dicom dataset read failed") }) else { return verdict }
        let rewritten = directory.appendingPathComponent("baseline-\(UUID().uuidString).dcm").path
        try DICOMFile(contentsOf: path).write(toPath: rewritten)
        return try messages(tool, rewritten)
    }

    /// Blanks digits in angle brackets (`<1.2.3>` → `<#>`), the one part of a message that names
    /// a value rather than a rule.
    static func normalize(_ line: String) -> String {
        line.replacingOccurrences(of: #"<[0-9.]+>"#, with: "<#>", options: .regularExpression)
    }
}
