import DICOM
import Foundation
import Logging
import TestSupport
import Testing

@testable import Transcoder

/// Every file pydicom reads from its own test data: each native image we encode is transcoded
/// lossless and lossy (10:1, 100:1), checked against the output rules, decoded by pydicom +
/// pylibjpeg-openjpeg and by GDCM, and validated by dciodvfy against its verdict on the input;
/// every other file comes back as "copy unchanged" with the expected reason, or fails with the
/// expected typed error.
@Suite struct TranscoderCorpusTests {
    /// Native images we do not encode, and why (the reason must contain the text).
    static let unsupported: [String: String] = [
        "SC_ybr_full_422_uncompressed.dcm": "unsupported layout: Photometric Interpretation YBR_FULL_422",
        "examples_palette.dcm": "unsupported layout: Photometric Interpretation PALETTE COLOR",
        "badVR.dcm": "unsupported layout: Bits Allocated 32",
        "rtdose.dcm": "unsupported layout: Bits Allocated 32",
        "rtdose_1frame.dcm": "unsupported layout: Bits Allocated 32",
        "rtdose_expb.dcm": "unsupported layout: Bits Allocated 32",
        "rtdose_expb_1frame.dcm": "unsupported layout: Bits Allocated 32",
        "liver_1frame.dcm": "unsupported layout: Bits Allocated 1",
        "liver_expb_1frame.dcm": "unsupported layout: Bits Allocated 1",
        // Two bytes of Pixel Data and no image attributes at all.
        "meta_missing_tsyntax.dcm": "unsupported layout: no Rows or Columns",
        "nested_priv_SQ.dcm": "unsupported layout: no Rows or Columns",
    ]

    /// Files pydicom reads leniently that we refuse with a typed error.
    static let failing: [String: TranscoderError] = [
        "MR_truncated.dcm": .truncatedPixelData,
        "rtplan_truncated.dcm": .unreadableDICOM,
        "dicomdirtests/DICOMDIR-nooffset": .unreadableDICOM,
    ]

    @Test(.needs(.pydicomTestFiles, .python, .gdcmconv, .dciodvfy))
    func everyNativeImagePydicomReadsIsTranscodedAndDecodesIndependently() throws {
        let root = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "pydicom test files")
        let tools = try IndependentDecoders.tools()
        let validator = try DICOMValidator.tool()
        let listing = try runProcess(
            tools.python,
            [TestEnvironment.testsFolder("python").appendingPathComponent("list_readable.py").path, root.path]
        )
        try #require(listing.status == 0, "list_readable.py failed: \(listing.stderr)")
        let readable = try JSONDecoder().decode([String].self, from: Data(listing.stdout.utf8))
        #expect(readable.count > 150)

        try withTemporaryDirectory { directory in
            var entries: [IndependentDecoders.Entry] = []
            var produced: [String: (file: TranscodedFile, lossless: Bool, original: String, label: String)] = [:]
            var transcodedNames: Set<String> = []
            var unsupportedSeen: Set<String> = []
            var failingSeen: Set<String> = []
            for (index, name) in readable.enumerated() {
                let path = root.appendingPathComponent(name).path
                let input = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                for (label, mode) in TranscoderLayoutTests.modes {
                    let transcoder = Transcoder(
                        options: TranscoderOptions(mode: mode, qualityCheck: true),
                        logger: Logger(label: "test")
                    )
                    let outcome: TranscodeOutcome
                    do throws(TranscoderError) {
                        outcome = try transcoder.transcode(input)
                    } catch {
                        #expect(Self.failing[name] == error, "\(name) \(label): \(error)")
                        failingSeen.insert(name)
                        continue
                    }
                    switch outcome {
                    case .notTranscodable(let reason):
                        if let expected = Self.unsupported[name] {
                            #expect(reason.contains(expected), "\(name): \(reason)")
                            unsupportedSeen.insert(name)
                        } else {
                            try Self.expectPlainCopy(name: name, input: input, reason: reason)
                        }
                    case .transcoded(let file):
                        #expect(Self.unsupported[name] == nil && Self.failing[name] == nil, "\(name) was transcoded")
                        transcodedNames.insert(name)
                        try OutputRules.check(
                            input: input,
                            output: file,
                            lossless: mode == .lossless,
                            "\(name) \(label)"
                        )
                        if mode == .lossless { #expect(file.quality?.isExact == true, "\(name) lossless not exact") }
                        let output = directory.appendingPathComponent("\(index)-\(label).dcm").path
                        try Data(file.bytes).write(to: URL(fileURLWithPath: output))
                        let key = "\(name) \(label)"
                        entries.append(.init(name: key, original: path, output: output, gdcmconv: tools.gdcmconv))
                        produced[key] = (file, mode == .lossless, path, label)
                    }
                }
            }
            #expect(unsupportedSeen == Set(Self.unsupported.keys))
            #expect(failingSeen == Set(Self.failing.keys))
            // CT, MR, CR, RGB, planar, big endian, implicit VR, deflated, 8/12/16 bits, signed and unsigned.
            #expect(transcodedNames.count >= 40, "only \(transcodedNames.count) files transcoded")
            for name in [
                "CT_small.dcm", "MR_small_bigendian.dcm", "ExplVR_BigEnd.dcm", "image_dfl.dcm",
                "examples_rgb_color.dcm",
                "SC_rgb_small_odd.dcm", "examples_overlay.dcm", "MR_small_padded.dcm",
                "dicomdirtests/77654033/CR1/6154",
            ] {
                #expect(transcodedNames.contains(name), "\(name) should be transcoded")
            }

            let results = try IndependentDecoders.check(entries, python: tools.python, in: directory)
            var addedWarnings: [String: Set<String>] = [:]
            var inputVerdicts: [String: (errors: Set<String>, warnings: Set<String>)] = [:]
            for entry in entries {
                guard let output = produced[entry.name] else { continue }
                let result = try #require(results[entry.name])
                IndependentDecoderExpectations.check(result, ours: output.file, lossless: output.lossless, entry.name)

                let before =
                    try inputVerdicts[entry.original]
                    ?? DICOMValidator.baseline(validator, original: entry.original, in: directory)
                inputVerdicts[entry.original] = before
                let after = try DICOMValidator.messages(validator, entry.output)
                let added = after.errors.subtracting(before.errors)
                #expect(added.isEmpty, "\(entry.name): dciodvfy errors our output adds: \(added.sorted())")
                let warnings = after.warnings.subtracting(before.warnings)
                if !warnings.isEmpty { addedWarnings[entry.name] = warnings }
            }
            #expect(addedWarnings.isEmpty, "dciodvfy warnings our outputs add: \(addedWarnings)")
        }
    }

    /// A file that is not an image we encode must say why, and the why must be true.
    static func expectPlainCopy(name: String, input: [UInt8], reason: String) throws {
        let file = try DICOMFile(bytes: input)
        if file.transferSyntax.isEncapsulated {
            #expect(reason.hasPrefix("already compressed: "), "\(name): \(reason)")
            #expect(!reason.contains("1.2.840"), "\(name): the reason should name the transfer syntax: \(reason)")
        } else {
            #expect(file.dataSet[.pixelData] == nil, "\(name) has pixel data but: \(reason)")
            #expect(reason == "no pixel data", "\(name): \(reason)")
        }
    }
}
