import Foundation
import TestSupport
import Testing

@testable import CompressionJob

@Suite struct LocalFolderSourceTests {
    @Test func listsEveryRegularFileSortedByKey() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lfs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("b/c"), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: root.appendingPathComponent("b/c/z.dcm"))
        try Data([1]).write(to: root.appendingPathComponent("a.dcm"))
        try Data().write(to: root.appendingPathComponent(".hidden"))
        try Data([9, 9]).write(to: root.appendingPathComponent("B.dcm"))
        try fm.createSymbolicLink(
            at: root.appendingPathComponent("link.dcm"),
            withDestinationURL: root.appendingPathComponent("a.dcm")
        )

        let source = LocalFolderSource(root: root)
        let objects = try await source.list()
        #expect(objects.map(\.key) == [".hidden", "B.dcm", "a.dcm", "b/c/z.dcm", "link.dcm"])
        #expect(objects.map(\.size) == [0, 2, 1, 3, 1])
        #expect(try await source.read(objects[3]) == [1, 2, 3])
    }

    @Test func missingFolderIsAClearError() async {
        let source = LocalFolderSource(root: URL(fileURLWithPath: "/nonexistent/study"))
        await #expect(throws: JobSourceError.self) { try await source.list() }
    }
}
