import Foundation
import TestSupport
import Testing

@testable import Transcoder

@Suite struct GDCMConvBackendTests {
    @Test func argumentsUseTheShortRateForm() {
        #expect(GDCMConvBackend.arguments(input: "a", output: "b", mode: .lossless) == ["--j2k", "a", "b"])
        #expect(
            GDCMConvBackend.arguments(input: "a", output: "b", mode: .lossy(rate: 75))
                == ["--j2k", "--lossy", "--irreversible", "-r", "75", "a", "b"]
        )
        #expect(GDCMConvBackend.arguments(input: "a", output: "b", mode: .lossy(rate: 7.5))[4] == "7.5")
    }

    @Test func rateIsPassedThroughBecauseGDCMCodesBitsAllocated() {
        #expect(GDCMConvBackend.gdcmRate(target: 100, bitsAllocated: 16, bitsStored: 12) == 100)
        #expect(GDCMConvBackend.gdcmRate(target: 100, bitsAllocated: 16, bitsStored: 16) == 100)
        #expect(GDCMConvBackend.gdcmRate(target: 100, bitsAllocated: 8, bitsStored: 8) == 100)
    }

    @Test func childProcessReportsStatusStderrAndUsage() throws {
        let ok = try ChildProcess.run("/bin/sh", ["-c", "echo oops >&2; exit 3"], timeout: 30)
        #expect(ok.status == 3)
        #expect(ok.stderr == "oops\n")
        #expect(!ok.timedOut)
        #expect(ok.maxResidentBytes > 0)
        let killed = try ChildProcess.run("/bin/sleep", ["30"], timeout: 0.2)
        #expect(killed.timedOut)
        #expect(killed.status == 128 + SIGKILL)
        #expect(throws: ChildProcess.SpawnError.self) { try ChildProcess.run("/nonexistent/tool", [], timeout: 1) }
    }

    @Test(.needs(.pydicomTestFiles, .gdcmconv)) func convertsCTSmallAndFailsClearlyOnGarbage() throws {
        let files = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "pydicom test files")
        let backend = try #require(GDCMConvBackend(), "gdcmconv is installed by scripts/test.sh")
        try withTemporaryDirectory { dir in
            let output = dir.appendingPathComponent("out.dcm").path
            let run = try backend.transcode(
                input: files.appendingPathComponent("CT_small.dcm").path,
                output: output,
                mode: .lossy(rate: 10)
            )
            #expect(run.userSeconds + run.systemSeconds > 0)
            let written = try Data(contentsOf: URL(fileURLWithPath: output))
            // Part 10 with the lossy JPEG 2000 transfer syntax in its meta group.
            #expect(written.count > 132)
            #expect(String(decoding: written[128..<132], as: UTF8.self) == "DICM")
            #expect(written.range(of: Data("1.2.840.10008.1.2.4.91".utf8)) != nil)

            let garbage = dir.appendingPathComponent("garbage.dcm")
            try Data(repeating: 0x41, count: 300).write(to: garbage)
            #expect(throws: GDCMConvBackend.Failure.self) {
                try backend.transcode(
                    input: garbage.path,
                    output: dir.appendingPathComponent("g.dcm").path,
                    mode: .lossless
                )
            }
        }
    }
}
