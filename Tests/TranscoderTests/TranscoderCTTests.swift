import DICOM
import Foundation
import Logging
import TestSupport
import Testing

@testable import Transcoder

/// Realistic 512×512 CT: the achieved ratio of every frame lands within ±10% of the target for
/// rates 10 to 500, quality falls as the rate rises, and independent decoders and dciodvfy agree.
@Suite struct TranscoderCTTests {
    @Test func ratioPerFrameIsWithinTenPercentOfTheTarget() throws {
        let input = try PhantomCT.file(slices: [40, 200, 360], of: 400)
        var previousPSNR = Double.infinity
        for target in [10.0, 50, 100, 200, 500] {
            let transcoder = Transcoder(
                options: TranscoderOptions(mode: .lossy(ratio: target), qualityCheck: true),
                logger: Logger(label: "test")
            )
            guard case .transcoded(let file) = try transcoder.transcode(input) else {
                Issue.record("rate \(target): not transcoded")
                continue
            }
            try OutputRules.check(input: input, output: file, lossless: false, "CT rate \(target)")
            guard case .encapsulated(let pixels) = try DICOMFile(bytes: file.bytes).dataSet.pixelData else { continue }
            for (index, fragment) in pixels.fragments.enumerated() {
                let ratio = Double(512 * 512 * 2) / Double(fragment.count)
                #expect(abs(ratio / target - 1) <= 0.10, "rate \(target), frame \(index): achieved \(ratio)")
            }
            #expect(abs(file.ratio / target - 1) <= 0.10, "rate \(target): file ratio \(file.ratio)")
            let quality = try #require(file.quality)
            #expect(quality.psnr < previousPSNR, "PSNR should fall as the rate rises: \(quality.psnr) at \(target)")
            previousPSNR = quality.psnr
        }
    }

    @Test(.needs(.python, .gdcmconv, .dciodvfy)) func singleCTSliceValidatesAndDecodesIndependently() throws {
        let input = try PhantomCT.file(slices: [150], of: 300)
        let tools = try IndependentDecoders.tools()
        let validator = try DICOMValidator.tool()
        try withTemporaryDirectory { directory in
            let original = directory.appendingPathComponent("ct.dcm").path
            try Data(input).write(to: URL(fileURLWithPath: original))
            let before = try DICOMValidator.baseline(validator, original: original, in: directory)
            var entries: [IndependentDecoders.Entry] = []
            var files: [String: (TranscodedFile, Bool)] = [:]
            for (label, mode) in TranscoderLayoutTests.modes {
                let transcoder = Transcoder(
                    options: TranscoderOptions(mode: mode, qualityCheck: true),
                    logger: Logger(label: "test")
                )
                guard case .transcoded(let file) = try transcoder.transcode(input) else { continue }
                let path = directory.appendingPathComponent("\(label).dcm").path
                try Data(file.bytes).write(to: URL(fileURLWithPath: path))
                entries.append(.init(name: label, original: original, output: path, gdcmconv: tools.gdcmconv))
                files[label] = (file, mode == .lossless)
                let after = try DICOMValidator.messages(validator, path)
                #expect(
                    after.errors.subtracting(before.errors).isEmpty,
                    "\(label): \(after.errors.subtracting(before.errors))"
                )
                #expect(
                    after.warnings.subtracting(before.warnings).isEmpty,
                    "\(label): \(after.warnings.subtracting(before.warnings))"
                )
            }
            #expect(entries.count == 3)
            let results = try IndependentDecoders.check(entries, python: tools.python, in: directory)
            for (label, (file, lossless)) in files {
                IndependentDecoderExpectations.check(
                    try #require(results[label]),
                    ours: file,
                    lossless: lossless,
                    "CT \(label)"
                )
            }
        }
    }
}
