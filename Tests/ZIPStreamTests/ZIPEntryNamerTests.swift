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
        ("C:\\Users\\scan\\IM1.dcm", "C:/Users/scan/IM1.dcm"),
        ("..\\..\\evil.dcm", "evil.dcm"),
        ("tab\there\u{7}bell", "tab_here_bell"),
        ("new\nline/x.dcm", "new_line/x.dcm"),
        ("Ünïcødé/日本.dcm", "Ünïcødé/日本.dcm"),
        ("...dots/..x", "...dots/..x"),
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
}
