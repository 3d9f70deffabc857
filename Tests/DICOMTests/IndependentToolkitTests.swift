import Foundation
import TestSupport
import Testing

@testable import DICOM

/// Files we write are read by other toolkits too: GDCM (gdcmdump) and dicom3tools (dcdump), which
/// both report encoding errors (bad lengths, VRs, padding, meta) on stderr or in their status.
/// (nested_priv_SQ.dcm is left out: its reserved group 0001 sorts before the meta group, which
/// dcdump rejects in the original too.)
@Suite struct IndependentToolkitTests {
    static let samples = [
        "CT_small.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm", "rtstruct.dcm", "image_dfl.dcm",
        "UN_sequence.dcm", "JPEG2000.dcm", "MR_small_RLE.dcm", "priv_SQ.dcm", "rtplan.dcm", "waveform_ecg.dcm",
        "SC_rgb_small_odd.dcm", "examples_overlay.dcm",
    ]

    static func tool(_ name: String) throws -> String {
        let path = "/usr/bin/\(name)"
        return try TestEnvironment.require(FileManager.default.isExecutableFile(atPath: path) ? path : nil, name)
    }

    @Test(
        .needs(.pydicomTestFiles, .tool("gdcmdump", package: "libgdcm-tools"), .tool("dcdump", package: "dicom3tools")),
        arguments: samples
    )
    func gdcmAndDicom3toolsReadOurOutput(name: String) throws {
        let gdcmdump = try Self.tool("gdcmdump")
        let dcdump = try Self.tool("dcdump")
        let file = try PydicomFiles.read(name)
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("out.dcm").path
            try file.write(toPath: path)
            let gdcm = try runProcess(gdcmdump, [path])
            #expect(gdcm.status == 0, "gdcmdump \(name): \(gdcm.stderr)")
            #expect(!gdcm.stderr.lowercased().contains("error"), "gdcmdump \(name): \(gdcm.stderr)")
            #expect(gdcm.stdout.contains("(0002,0010) UI [\(file.outputTransferSyntax.uid)"), "gdcmdump \(name)")
            let d3 = try runProcess(dcdump, [path])
            #expect(d3.status == 0, "dcdump \(name): \(d3.stderr)")
            let complaints = d3.stderr.split(separator: "\n").filter { $0.contains("Error") }
            #expect(complaints.isEmpty, "dcdump \(name): \(complaints.joined(separator: "\n"))")
        }
    }
}
