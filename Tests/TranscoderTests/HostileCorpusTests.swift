import Foundation
import TestSupport
import Testing

@testable import Transcoder

/// The hostile-image corpus (Tests/Fixtures/hostile, made by Tests/python/make_hostile.py) through
/// `dicom-j2k run`, the built executable: the job completes, every input is in the ZIP and in the
/// result with the status and reason expected.json gives, and nothing crashes. Each file is also
/// run alone, and its wall time and peak memory (the kernel's account of the child) are printed,
/// for the benchmark note; they are not asserted.
@Suite struct HostileCorpusTests {
    struct Expectation: Decodable {
        var description: String
        var status: String
        var reason: String
    }

    static let folder = TestEnvironment.testsFolder("Fixtures/hostile")

    static func expectations() throws -> [String: Expectation] {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([String: Expectation].self, from: data)
    }

    @Test func corpusIsComplete() throws {
        let expected = try Self.expectations()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter {
            $0.hasSuffix(".dcm")
        }
        #expect(Set(files) == Set(expected.keys))
        #expect(expected.count >= 30)
        let bytes = try files.map {
            try FileManager.default.attributesOfItem(atPath: Self.path($0))[.size] as? Int ?? 0
        }
        #expect(bytes.reduce(0, +) < 2 << 20, "the committed corpus stays under 2 MB")
    }

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// GNU time reports the peak memory of the job alone; `wait4`'s figure for a child spawned
    /// from this (large) test process would count the test process's pages too.
    static let gnuTime = "/usr/bin/time"

    /// Copies `names` into a fresh source folder and runs the job over it, under GNU time.
    /// - Returns: the process, the result JSON, the ZIP's path, and the job's peak memory in bytes.
    static func runJob(
        _ tool: String,
        _ names: [String],
        in directory: URL
    ) throws -> (process: ChildProcessResult, result: [String: Any]?, zip: String, peakBytes: Int?) {
        let source = directory.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.copyItem(atPath: path(name), toPath: source.appendingPathComponent(name).path)
        }
        let zip = directory.appendingPathComponent("out.zip").path
        let resultPath = directory.appendingPathComponent("result.json").path
        let stats = directory.appendingPathComponent("time.txt").path
        let process = try ChildProcess.run(
            gnuTime,
            ["-f", "%M", "-o", stats, tool, "run", "--source", source.path, "--target", zip, "--result", resultPath],
            timeout: 120
        )
        let result = (try? Data(contentsOf: URL(fileURLWithPath: resultPath))).flatMap {
            try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
        }
        let peakKiB = (try? String(contentsOfFile: stats, encoding: .utf8))?
            .split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return (process, result, zip, peakKiB.map { $0 * 1024 })
    }

    /// Checks one job's result entry against expected.json.
    static func check(_ entry: [String: Any], _ expected: Expectation, _ name: String) {
        #expect(entry["status"] as? String == expected.status, "\(name): \(entry)")
        let reason = entry["error"] as? String ?? ""
        if expected.reason.isEmpty {
            #expect(entry["error"] == nil, "\(name): \(reason)")
        } else {
            #expect(reason.contains(expected.reason), "\(name): \(reason) should contain \(expected.reason)")
        }
        #expect(reason.count < 1024, "\(name): the reason is short")
        #expect(!reason.unicodeScalars.contains { $0.value < 0x20 }, "\(name): control characters in \(reason)")
    }

    @Test(.needs(.dicomJ2KExecutable, .tool(gnuTime, package: "time")))
    func everyFileIsReportedAndArchived() throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let expected = try Self.expectations()
        let names = expected.keys.sorted()
        try withTemporaryDirectory { directory in
            let (process, result, zip, _) = try Self.runJob(tool, names, in: directory)
            #expect(process.status == 0 && !process.timedOut, "\(process.stderr)")
            let job = try #require(result, "no result JSON: \(process.stderr)")
            #expect(job["status"] as? String == "completed")
            let files = try #require(job["files"] as? [[String: Any]])
            #expect(files.compactMap { $0["key"] as? String } == names)
            for entry in files {
                guard let name = entry["key"] as? String, let expectation = expected[name] else { continue }
                Self.check(entry, expectation, name)
            }
            // Every input is in the archive; the ones not compressed byte for byte.
            let listing = try runProcess("/usr/bin/unzip", ["-Z1", zip])
            #expect(listing.stdout.split(separator: "\n").map(String.init) == names)
            let extracted = directory.appendingPathComponent("x")
            let unzip = try runProcess("/usr/bin/unzip", ["-q", zip, "-d", extracted.path])
            #expect(unzip.status == 0, "\(unzip.stderr)")
            for (name, expectation) in expected where expectation.status != "compressed" {
                let archived = try Data(contentsOf: extracted.appendingPathComponent(name))
                #expect(archived == (try Data(contentsOf: URL(fileURLWithPath: Self.path(name)))), "\(name)")
            }
        }
    }

    @Test(.needs(.dicomJ2KExecutable, .tool(gnuTime, package: "time")))
    func eachFileAloneWithItsTimeAndPeakMemory() throws {
        let tool = try TestEnvironment.dicomJ2KExecutable()
        let expected = try Self.expectations()
        var lines: [String] = []
        for (name, expectation) in expected.sorted(by: { $0.key < $1.key }) {
            try withTemporaryDirectory { directory in
                let (process, result, _, peak) = try Self.runJob(tool, [name], in: directory)
                #expect(process.status == 0 && !process.timedOut, "\(name): \(process.stderr)")
                #expect(peak != nil, "\(name): GNU time reported no peak memory")
                let files = result?["files"] as? [[String: Any]] ?? []
                #expect(files.count == 1, "\(name)")
                if let entry = files.first { Self.check(entry, expectation, name) }
                lines.append(
                    String(
                        format: "hostile %@ %.2f s %.0f MB %@",
                        name,
                        process.wallSeconds,
                        Double(peak ?? 0) / 1_048_576,
                        expectation.status
                    )
                )
            }
        }
        // For the benchmark note: one line per file, the whole `run` process (start-up included).
        print(lines.joined(separator: "\n"))
    }
}
