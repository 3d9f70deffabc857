import Foundation
import TestSupport
import Testing
import ZIPStream

@Suite struct ZIPEntryNamerTests {
    @Test(arguments: [
        ("series/IM0001.dcm", "series/IM0001.dcm"),
        ("/absolute/path.dcm", "absolute/path.dcm"),
        ("//double//slash/", "double/slash"),
        ("../../etc/passwd", "etc/passwd"),
        ("a/../b/./c.dcm", "a/b/c.dcm"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("/", "unnamed"),
        ("C:\\Users\\scan\\IM1.dcm", "C_/Users/scan/IM1.dcm"),
        ("c:evil.dcm", "c_evil.dcm"),
        ("..\\..\\evil.dcm", "evil.dcm"),
        ("tab\there\u{7}bell", "tab_here_bell"),
        ("new\nline/x.dcm", "new_line/x.dcm"),
        ("c1\u{85}control", "c1_control"),
        ("Ünïcødé/日本.dcm", "Ünïcødé/日本.dcm"),
        ("...dots/..x", "...dots/..x"),
        ("what?/a*b<c>d|e\"f.dcm", "what_/a_b_c_d_e_f.dcm"),
        ("trailing./space /IM1.dcm.", "trailing_/space_/IM1.dcm_"),
        ("dots.../ .", "dots___/__"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("study/Com1.dcm", "study/_Com1.dcm"),
        ("LPT9.tar.gz", "_LPT9.tar.gz"),
        ("aux /x", "aux_/x"),
        ("CON .txt", "_CON .txt"),
        ("COM0.dcm", "_COM0.dcm"),
        ("CONSOLE.dcm", "CONSOLE.dcm"),
        ("Patient Name/IM 1.dcm", "Patient Name/IM 1.dcm"),
    ])
    func keysAreSanitized(key: String, expected: String) {
        #expect(ZIPEntryNamer.sanitize(key) == expected)
    }

    @Test func duplicatesGetNumberedSuffixes() {
        var namer = ZIPEntryNamer()
        let names = [
            "a.dcm", "a.dcm", "/a.dcm", "A.DCM", "a-1.dcm", "dir/b", "dir//b", "dir/b", ".hidden", ".hidden",
            "x.tar.gz", "x.tar.gz", "dir.v2/file", "dir.v2/file",
        ].map { namer.entryName(for: $0) }
        #expect(
            names == [
                "a.dcm", "a-1.dcm", "a-2.dcm", "A-3.DCM", "a-1-1.dcm", "dir/b", "dir/b-1", "dir/b-2", ".hidden",
                ".hidden-1", "x.tar.gz", "x.tar-1.gz", "dir.v2/file", "dir.v2/file-1",
            ]
        )
        #expect(Set(names.map { $0.lowercased() }).count == names.count)
    }

    /// Names that only sanitizing, case or normalization make equal, and files and folders of the
    /// same name, still get one entry each that no extractor merges.
    @Test func clashesAfterSanitizingCaseAndFoldersAreNumbered() {
        var namer = ZIPEntryNamer()
        let names = [
            "a:b.dcm", "a?b.dcm", "x.", "x_", "Caf\u{E9}.dcm", "cafe\u{301}.dcm", "s", "s/IM1.dcm", "S/IM2.dcm",
            "t/IM1.dcm", "T",
        ].map { namer.entryName(for: $0) }
        #expect(
            names == [
                "a_b.dcm", "a_b-1.dcm", "x_", "x_-1", "Caf\u{E9}.dcm", "cafe\u{301}-1.dcm", "s", "s-1/IM1.dcm",
                "S-1/IM2.dcm", "t/IM1.dcm", "T-1",
            ]
        )
    }

    /// What the namer makes of hostile keys, written to a ZIP and read back by Python's zipfile and
    /// extracted by Info-ZIP unzip: every entry there under its name, nothing outside the folder.
    @Test(.needs(.python, .unzip))
    func hostileNamesReadBackAndExtractInsideTheFolder() async throws {
        let keys = [
            "../../escape.dcm", "/abs/IM1.dcm", "C:\\Windows\\system.ini", "CON", "con.txt", "lpt1/x.dcm", "a.", "a",
            "q?*.dcm", "ctl\u{1}\u{7f}.dcm", "dir /file ", "Äbc/日本.dcm", "Äbc/日本.DCM", "f", "f/inner.dcm",
        ]
        var namer = ZIPEntryNamer()
        let names = keys.map { namer.entryName(for: $0) }
        for name in names {
            for segment in name.split(separator: "/") {
                #expect(segment.last != "." && segment.last != " ", "\(name)")
                #expect(!segment.contains { ":*?\"<>|\\".contains($0) }, "\(name)")
            }
        }
        #expect(Set(names.map { $0.lowercased() }).count == names.count)
        try await withTemporaryDirectory { folder in
            let url = folder.appendingPathComponent("hostile.zip")
            let writer = ZIPStreamWriter(sink: ZIPMemorySink())
            var expected: [ExpectedEntry] = []
            for (index, name) in names.enumerated() {
                let content = entryContent(index, length: 100 + index)
                try await writer.addEntry(named: name, data: content, modified: ZIPTimestamp(secondsSince1970: 0))
                expected.append(ExpectedEntry(name: name, content: content))
            }
            _ = try await writer.finish()
            try Data(writer.sink.bytes).write(to: url)

            let result = try checkWithPythonZipfile(url, expected: expected)
            #expect(result.mismatches == [])
            let out = folder.appendingPathComponent("out")
            let unzip = try runProcess(
                try TestEnvironment.require(TestEnvironment.unzip, "unzip"),
                ["-q", url.path, "-d", out.path]
            )
            #expect(unzip.status == 0, "\(unzip.stdout) \(unzip.stderr)")
            for (index, name) in names.enumerated() {
                let file = out.appendingPathComponent(name)
                #expect(try Data(contentsOf: file) == Data(entryContent(index, length: 100 + index)), "\(name)")
            }
            // Nothing landed beside the folder.
            let beside = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            #expect(beside == ["hostile.zip", "out"])
        }
    }
}
