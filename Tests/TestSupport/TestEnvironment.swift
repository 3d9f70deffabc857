import Foundation

/// Where the test suite finds its external inputs. `scripts/test.sh` exports these variables; when
/// a test runs without them (plain `swift test`), data-dependent tests are skipped (the `.needs(…)`
/// trait, TestNeeds.swift), except under `CI=true`, where missing data is a failure (see
/// ``TestEnvironment/isCI``).
public enum TestEnvironment {
    /// `CI=true` (or `1`): missing test data must fail the run instead of skipping.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    /// pydicom's `data/test_files` folder (`DICOM_J2K_PYDICOM_TEST_FILES`).
    public static var pydicomTestFiles: URL? { directory("DICOM_J2K_PYDICOM_TEST_FILES") }

    /// A Python interpreter with pydicom, pylibjpeg-openjpeg and numpy (`DICOM_J2K_PYTHON`).
    public static var python: String? { executable("DICOM_J2K_PYTHON") }

    /// The built `dicom-j2k` executable, which `swift build --build-tests` puts next to the test
    /// bundle. Throws when it is missing (declare ``TestNeed/dicomJ2KExecutable`` to skip outside CI).
    public static func dicomJ2KExecutable() throws -> String {
        try require(dicomJ2KExecutablePath, "the dicom-j2k executable (swift build --build-tests builds it)")
    }

    static var dicomJ2KExecutablePath: String? {
        let candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("dicom-j2k").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// The repository root, found from this file's location.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A folder under `Tests/` (for example `Tests/Fixtures/malformed`).
    public static func testsFolder(_ relativePath: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests").appendingPathComponent(relativePath)
    }

    static func directory(_ variable: String) -> URL? {
        guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        return URL(fileURLWithPath: path)
    }

    static func executable(_ variable: String) -> String? {
        guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty,
            FileManager.default.isExecutableFile(atPath: path)
        else { return nil }
        return path
    }
}

/// Thrown by tests that need data the environment does not provide (under `CI=true`, or when a
/// test forgot to declare the need with the `.needs(…)` trait).
public struct MissingTestDataError: Error, CustomStringConvertible {
    public let what: String
    public init(_ what: String) { self.what = what }
    public var description: String {
        "missing test data: \(what) (run the suite through scripts/test.sh, which provides it)"
    }
}

extension TestEnvironment {
    /// Returns `value`, or throws ``MissingTestDataError`` naming `what`. Tests skip on missing
    /// data with the `.needs(…)` trait, never by returning early (which would count as passed).
    public static func require<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw MissingTestDataError(what) }
        return value
    }
}
