import Foundation
import TestSupport
import Testing

@testable import CompressionJob

@Suite struct LocalFolderSourceTests {
    @Test func listsEveryRegularFileSortedByKey() async throws {
        try await withTemporaryDirectory { root in
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
            #expect(objects.allSatisfy { $0.problem == nil })
            #expect(try await source.read(objects[3]) == [1, 2, 3])
        }
    }

    /// Issue 8 item 5: every entry is an input or a named problem; links never lead outside.
    @Test func reportsBrokenLinksLinksOutsideAndUnreadableFolders() async throws {
        try await withTemporaryDirectory { folder in
            let fm = FileManager.default
            let root = folder.appendingPathComponent("study")
            try fm.createDirectory(at: root.appendingPathComponent("locked"), withIntermediateDirectories: true)
            try fm.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
            try Data([7]).write(to: root.appendingPathComponent("locked/secret.dcm"))
            try Data([1]).write(to: root.appendingPathComponent("sub/a.dcm"))
            try Data([5]).write(to: folder.appendingPathComponent("outside.dcm"))
            try fm.createSymbolicLink(
                atPath: root.appendingPathComponent("broken.dcm").path,
                withDestinationPath: "nope"
            )
            try fm.createSymbolicLink(
                atPath: root.appendingPathComponent("escape.dcm").path,
                withDestinationPath: "../outside.dcm"
            )
            try fm.createSymbolicLink(atPath: root.appendingPathComponent("dirlink").path, withDestinationPath: "sub")
            try fm.setAttributes([.posixPermissions: 0o000], ofItemAtPath: root.appendingPathComponent("locked").path)
            defer {
                try? fm.setAttributes(
                    [.posixPermissions: 0o755],
                    ofItemAtPath: root.appendingPathComponent("locked").path
                )
            }
            // As root every folder is readable; the unreadable-folder case then cannot be made.
            let canLock = (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent("locked").path)) == nil

            let objects = try await LocalFolderSource(root: root).list()
            let problems = Dictionary(uniqueKeysWithValues: objects.map { ($0.key, $0.problem?.code) })
            #expect(problems["broken.dcm"] == .some("brokenLink"))
            #expect(problems["escape.dcm"] == .some("linkOutsideSource"))
            #expect(problems["dirlink"] == .some("linkToFolder"))
            #expect(problems["sub/a.dcm"] == .some(nil))
            if canLock {
                #expect(problems["locked/"] == .some("unreadableFolder"))
            } else {
                #expect(problems["locked/secret.dcm"] == .some(nil))
            }
        }
    }

    @Test func missingFolderIsAClearError() async {
        let source = LocalFolderSource(root: URL(fileURLWithPath: "/nonexistent/study"))
        await #expect(throws: JobError.self) { try await source.list() }
    }
}
