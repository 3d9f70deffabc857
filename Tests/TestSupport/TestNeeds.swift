import Foundation
import Testing

/// Something a test needs from its environment: test data, a tool, the built executable.
///
/// Tests declare their needs with the ``Testing/Trait/needs(_:)`` trait: without CI, a test whose
/// needs are missing is skipped, and Swift Testing lists it as skipped with the reason; under
/// `CI=true` it runs anyway and fails on the first ``TestEnvironment/require(_:_:)`` of what is
/// missing. A test never returns early and counts as passed.
public struct TestNeed: Sendable, CustomStringConvertible {
    public let description: String
    private let check: @Sendable () -> Bool

    public init(_ description: String, available check: @escaping @Sendable () -> Bool) {
        self.description = description
        self.check = check
    }

    public var isAvailable: Bool { check() }

    /// `DICOM_J2K_PYTHON`: the test venv's Python with pydicom, pylibjpeg-openjpeg and numpy.
    public static let python = TestNeed("DICOM_J2K_PYTHON (the test venv's Python)") { TestEnvironment.python != nil }
    /// `DICOM_J2K_PYDICOM_TEST_FILES`: pydicom's test files.
    public static let pydicomTestFiles = TestNeed("DICOM_J2K_PYDICOM_TEST_FILES (pydicom's test files)") {
        TestEnvironment.pydicomTestFiles != nil
    }
    /// The built `dicom-j2k` executable next to the test bundle.
    public static let dicomJ2KExecutable = TestNeed("the dicom-j2k executable (swift build --build-tests)") {
        TestEnvironment.dicomJ2KExecutablePath != nil
    }
    /// Info-ZIP's unzip (Debian package unzip).
    public static let unzip = TestNeed("unzip (Debian package unzip)") { TestEnvironment.unzip != nil }

    /// GDCM's gdcmconv (Debian libgdcm-tools): independent decoder and comparison backend.
    public static let gdcmconv = tool("gdcmconv", package: "libgdcm-tools")
    /// dicom3tools' validator dciodvfy.
    public static let dciodvfy = tool("dciodvfy", package: "dicom3tools")

    /// An executable found on `PATH` (or at an absolute path).
    public static func tool(_ name: String, package: String) -> TestNeed {
        TestNeed("\(name) (Debian package \(package))") { TestEnvironment.tool(name) != nil }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when everything in `needs` is available, and always under `CI=true`
    /// (where what is missing makes the test fail). Otherwise Swift Testing reports it skipped.
    public static func needs(_ needs: TestNeed...) -> Self {
        let reason = "needs " + needs.map(\.description).joined(separator: ", ") + " (scripts/test.sh provides it)"
        return .enabled(Comment(rawValue: reason)) { TestEnvironment.isCI || needs.allSatisfy(\.isAvailable) }
    }
}

extension TestEnvironment {
    /// Info-ZIP's unzip, if installed.
    public static var unzip: String? { tool("unzip") }

    /// The first executable `name` on `PATH` (`name` itself if it is an absolute path).
    public static func tool(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
