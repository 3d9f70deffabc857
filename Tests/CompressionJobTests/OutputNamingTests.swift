import Foundation
import Testing

@testable import CompressionJob

@Suite struct OutputNamingTests {
    static let tenThirty = Date(timeIntervalSince1970: 1_737_369_000)  // 2025-01-20 10:30:00 UTC
    static let fourteenFifteen = Date(timeIntervalSince1970: 1_737_382_530)  // 2025-01-20 14:15:30 UTC

    /// The acceptance cases of docs/contracts.md (naming), with the prefix as it appears in the S3 URI.
    @Test(arguments: [
        ("download/JPEG2000/", 100.0, tenThirty, "JPEG2000-rate100-20250120-103000.zip"),
        ("download/ct-study/", 50.0, fourteenFifteen, "ct-study-rate50-20250120-141530.zip"),
        ("download/", 100.0, tenThirty, "compressed-rate100-20250120-103000.zip"),
        ("download/ct_study@v2.1/", 100.0, tenThirty, "ct-studyv21-rate100-20250120-103000.zip"),
        ("my-folder/", 50.0, tenThirty, "my-folder-rate50-20250120-103000.zip"),
    ])
    func designAcceptanceCases(prefix: String, rate: Double, start: Date, expected: String) {
        #expect(OutputNaming.zipFileName(sourcePrefix: prefix, rate: rate, start: start) == expected)
    }

    @Test func folderLabelRules() {
        #expect(OutputNaming.folderLabel(sourcePrefix: "") == "compressed")
        #expect(OutputNaming.folderLabel(sourcePrefix: "a/download/") == "download")
        #expect(OutputNaming.folderLabel(sourcePrefix: "x/@@@/") == "compressed")
        #expect(OutputNaming.folderLabel(sourcePrefix: "x/Chest CT\tnew/") == "Chest-CT-new")
        #expect(OutputNaming.folderLabel(sourcePrefix: "x/héllo/") == "hllo")
        #expect(OutputNaming.folderLabel(sourcePrefix: "/tmp/study") == "study")
        let long = String(repeating: "ab_", count: 40)
        let label = OutputNaming.folderLabel(sourcePrefix: "x/\(long)/")
        #expect(label.count == 50)
        #expect(label.hasPrefix("ab-ab-"))
    }

    @Test func givenFileNameGetsZipExtensionOnce() {
        let start = Self.tenThirty
        #expect(
            OutputNaming.zipFileName(sourcePrefix: "a/", rate: 10, start: start, outputFilename: "out") == "out.zip"
        )
        #expect(
            OutputNaming.zipFileName(sourcePrefix: "a/", rate: 10, start: start, outputFilename: "out.ZIP") == "out.ZIP"
        )
    }

    @Test func ratesAndNumbering() {
        #expect(OutputNaming.formatRate(1) == "1")
        #expect(OutputNaming.formatRate(12.5) == "12.5")
        #expect(OutputNaming.numbered("a-rate100.zip", 0) == "a-rate100.zip")
        #expect(OutputNaming.numbered("a-rate100.zip", 2) == "a-rate100-2.zip")
        #expect(OutputNaming.numbered("plain", 1) == "plain-1")
    }
}
