import Foundation
import Testing

@testable import Transcoder

/// The spawn the `gdcmconv` backend uses: children get stdin, stdout and stderr, nothing else.
@Suite struct ChildProcessTests {
    /// The pipes open in this process, by inode (`pipe:[123]`).
    static func openPipes(_ directory: String = "/proc/self/fd") -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(
            names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\($0)") }
                .filter { $0.hasPrefix("pipe:") }
        )
    }

    @Test func aConcurrentSiblingDoesNotInheritTheFirstChildsPipe() async throws {
        let before = Self.openPipes()
        // The first child holds its stderr pipe open in this process while it sleeps.
        let first = Task.detached { try ChildProcess.run("/bin/sleep", ["3"], timeout: 30) }
        var firstPipes: Set<String> = []
        for _ in 0..<200 where firstPipes.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            firstPipes = Self.openPipes().subtracting(before)
        }
        try #require(!firstPipes.isEmpty, "the first child's pipe never appeared")

        // The second child lists its own descriptors (to its stderr, which we capture; its stdout
        // is /dev/null).
        let second = try ChildProcess.run("/bin/sh", ["-c", "exec ls -l /proc/self/fd >&2"], timeout: 30)
        #expect(second.status == 0)
        let links = second.stderr.split(separator: "\n").compactMap { line -> (fd: Int, target: String)? in
            let parts = line.split(separator: " ")
            guard let arrow = parts.firstIndex(of: "->"), arrow > 0, arrow + 1 < parts.count,
                let fd = Int(parts[arrow - 1])
            else { return nil }
            return (fd, parts[(arrow + 1)...].joined(separator: " "))
        }
        #expect(links.contains { $0.fd == 2 && $0.target.hasPrefix("pipe:") })
        for link in links where link.fd > 2 {
            // Only the directory ls itself opened to read /proc/self/fd.
            #expect(link.target.hasPrefix("/proc/"), "fd \(link.fd) -> \(link.target) was inherited")
        }
        for pipe in firstPipes {
            #expect(!links.contains { $0.target == pipe }, "the first child's \(pipe) leaked into the second")
        }

        // The first child still ends normally and reports what it used.
        let firstResult = try await first.value
        #expect(firstResult.status == 0)
        #expect(firstResult.wallSeconds >= 2.5)
        #expect(firstResult.maxResidentBytes > 0)
    }

    @Test func reportsStatusStderrAndResourceUsage() throws {
        let result = try ChildProcess.run("/bin/sh", ["-c", "echo oops >&2; exit 3"], timeout: 30)
        #expect(result.status == 3)
        #expect(result.stderr == "oops\n")
        #expect(!result.timedOut)
        #expect(result.maxResidentBytes > 0)
    }
}
