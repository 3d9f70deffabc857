import Foundation
import TestSupport
import ZIPStream

/// One expected entry for `Tests/python/zip_check.py`: content as hex, or only a size.
struct ExpectedEntry: Encodable {
    var name: String
    var hex: String?
    var size: UInt64?

    init(name: String, content: [UInt8]) {
        self.name = name
        hex = content.map { String(format: "%02x", $0) }.joined()
    }

    init(name: String, size: UInt64) {
        self.name = name
        self.size = size
    }
}

/// What `zip_check.py` reports.
struct ZipCheckResult: Decodable {
    var entries: Int
    var mismatches: [String]
    var zip64_end_records: Bool
    var zip64_extra_entries: Int
    var max_header_offset: UInt64
    var flags: [Int]
    var first_date_time: [Int]?
}

struct ToolFailure: Error, CustomStringConvertible {
    var tool: String
    var status: Int32
    var output: String
    var description: String { "\(tool) exited with \(status): \(output)" }
}

/// Checks `archive` with Python's zipfile against `expected` (the test needs `.needs(.python)`).
func checkWithPythonZipfile(_ archive: URL, expected: [ExpectedEntry]) throws -> ZipCheckResult {
    let python = try TestEnvironment.require(TestEnvironment.python, "DICOM_J2K_PYTHON")
    let manifest = archive.deletingPathExtension().appendingPathExtension("manifest.json")
    try JSONEncoder().encode(expected).write(to: manifest)
    defer { try? FileManager.default.removeItem(at: manifest) }
    let script = TestEnvironment.testsFolder("python/zip_check.py").path
    let result = try runProcess(python, [script, archive.path, manifest.path])
    guard result.status == 0 else {
        throw ToolFailure(tool: "zip_check.py", status: result.status, output: result.stderr)
    }
    return try JSONDecoder().decode(ZipCheckResult.self, from: Data(result.stdout.utf8))
}

/// Runs Info-ZIP's `unzip -t` (tests the CRC of every entry, or of `entries` only; the test needs
/// `.needs(.unzip)`).
func testWithUnzip(_ archive: URL, entries: [String] = []) throws -> ProcessResult {
    let unzip = try TestEnvironment.require(TestEnvironment.unzip, "unzip (Debian package unzip)")
    return try runProcess(unzip, ["-t", "-q", archive.path] + entries)
}

/// A sink appending to a file, as a non-seekable stream would.
final class FileSink: ZIPStreamSink {
    private let handle: FileHandle

    init(_ url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ bytes: [UInt8]) throws {
        try handle.write(contentsOf: bytes)
    }

    func close() throws { try handle.close() }
}

/// A sink for archives of several GiB: chunks of zeros become holes of a sparse file instead of
/// written blocks, so the archive costs neither memory nor disk. The writer still only appends.
final class SparseFileSink: ZIPStreamSink {
    private let handle: FileHandle
    private var length: UInt64 = 0
    private var pendingHole = false

    init(_ url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ bytes: [UInt8]) throws {
        if bytes.count >= 4096, isAllZero(bytes) {
            length += UInt64(bytes.count)
            try handle.seek(toOffset: length)
            pendingHole = true
            return
        }
        try handle.write(contentsOf: bytes)
        length += UInt64(bytes.count)
        pendingHole = false
    }

    func close() throws {
        if pendingHole { try handle.truncate(atOffset: length) }
        try handle.close()
    }

    private func isAllZero(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            // memcmp-speed check: the first byte is zero and every byte equals the one before it.
            guard let base = buffer.baseAddress, buffer[0] == 0 else { return false }
            return memcmp(base, base + 1, buffer.count - 1) == 0
        }
    }
}

/// Bytes a test entry holds: deterministic and different for every index.
func entryContent(_ index: Int, length: Int) -> [UInt8] {
    (0..<length).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ (index &* 7) ^ ($0 >> 3)) }
}
