import DICOM
import Foundation
import Logging
import TestSupport
import Testing

@testable import Transcoder

/// The gdcmconv backend with the transcoder's outcome type: same pre-check, figures measured from
/// gdcmconv's own output, the child's CPU time and memory reported.
@Suite struct GDCMTranscoderTests {
    static let logger = Logger(label: "test")

    static func transcoder(_ mode: TranscoderOptions.Mode) throws -> GDCMTranscoder {
        let backend = try TestEnvironment.require(GDCMConvBackend(), "gdcmconv (Debian libgdcm-tools)")
        let transcoder = GDCMTranscoder(
            options: TranscoderOptions(mode: mode, qualityCheck: true),
            logger: logger,
            backend: backend
        )
        return try #require(transcoder)
    }

    @Test(.needs(.python, .gdcmconv)) func lossyCTAndLosslessMultiFrameDecodeIndependently() throws {
        let tools = try IndependentDecoders.tools()
        let lossy = try Self.transcoder(.lossy(ratio: 20))
        let lossless = try Self.transcoder(.lossless)
        let ct = try PhantomCT.file(slices: [120], of: 300)
        let frames = try SyntheticImage(name: "mf", rows: 40, columns: 32, frames: 3, bitsStored: 12, isSigned: true)
            .file()
        let rgb = try SyntheticImage(
            name: "rgb",
            rows: 32,
            columns: 48,
            samplesPerPixel: 3,
            bitsAllocated: 8,
            bitsStored: 8,
            photometric: "RGB"
        ).file()
        try withTemporaryDirectory { directory in
            var entries: [IndependentDecoders.Entry] = []
            var files: [String: (TranscodedFile, Bool)] = [:]
            for (name, input, transcoder, isLossless) in [
                ("ct-r20", ct, lossy, false), ("mf-lossless", frames, lossless, true),
                ("rgb-lossless", rgb, lossless, true),
            ] {
                guard case .transcoded(let file) = try transcoder.transcode(input) else {
                    Issue.record("\(name): not transcoded")
                    continue
                }
                let usage = try #require(file.externalUsage, "\(name): the child's usage")
                #expect(
                    usage.userSeconds + usage.systemSeconds > 0 && usage.maxResidentBytes > 1 << 20
                        && usage.wallSeconds > 0
                )
                let output = try DICOMFile(bytes: file.bytes)
                #expect(output.transferSyntax == (isLossless ? .jpeg2000Lossless : .jpeg2000))
                guard case .encapsulated(let pixels) = output.dataSet.pixelData else { continue }
                let padded = pixels.fragments.reduce(0) { $0 + $1.count }
                #expect(file.codestreamBytes <= padded && file.codestreamBytes >= padded - file.frames)
                #expect(file.ratio == Double(file.pixelBytes) / Double(file.codestreamBytes))
                let quality = try #require(file.quality)
                if isLossless {
                    #expect(quality.isExact, "\(name): gdcmconv lossless max error \(quality.maxAbsError)")
                }
                let path = directory.appendingPathComponent("\(name).dcm").path
                let original = directory.appendingPathComponent("\(name)-in.dcm").path
                try Data(file.bytes).write(to: URL(fileURLWithPath: path))
                try Data(input).write(to: URL(fileURLWithPath: original))
                entries.append(.init(name: name, original: original, output: path, gdcmconv: tools.gdcmconv))
                files[name] = (file, isLossless)
                // Monochrome output carries the in-process transcoder's attributes (gdcmconv's
                // codestreams keep their own precision, Bits Allocated: a known GDCM 3.0 trait).
                if name != "rgb-lossless" {
                    let inputSet = try DICOMFile(bytes: input).dataSet
                    let set = output.dataSet
                    #expect(
                        set.string(.lossyImageCompression)
                            == (isLossless ? inputSet.string(.lossyImageCompression) : "01"),
                        "\(name)"
                    )
                    if !isLossless {
                        #expect(set.strings(.lossyImageCompressionMethod)?.last == "ISO_15444_1", "\(name)")
                        #expect(set.strings(.imageType)?.first == "DERIVED", "\(name)")
                        #expect(set.string(.sopInstanceUID) != inputSet.string(.sopInstanceUID), "\(name)")
                        #expect(output.fileMeta.string(.mediaStorageSOPInstanceUID) == set.string(.sopInstanceUID))
                    } else {
                        #expect(set.string(.sopInstanceUID) == inputSet.string(.sopInstanceUID), "\(name)")
                    }
                }
            }
            // gdcmRate must make gdcmconv aim at our definition of the ratio (stored bytes).
            if let ct = files["ct-r20"]?.0 {
                #expect(abs(ct.ratio / 20 - 1) < 0.1, "gdcmconv ratio \(ct.ratio) for 20")
            }
            let results = try IndependentDecoders.check(entries, python: tools.python, in: directory)
            for (name, (file, isLossless)) in files {
                let result = try #require(results[name])
                // Our decoder's figures for gdcmconv's codestreams match the independent decoders'.
                for metrics in [result.pydicom, result.gdcm] {
                    #expect(metrics?.error == nil, "\(name): \(metrics?.error ?? "")")
                    #expect(metrics?.max_abs_error == file.quality?.maxAbsError, "\(name)")
                    if let psnr = metrics?.psnr, let ours = file.quality?.psnr {
                        #expect(abs(psnr - ours) <= 0.1, "\(name)")
                    }
                    if isLossless { #expect(metrics?.max_abs_error == 0, "\(name)") }
                }
            }
        }
    }

    @Test func failuresOfTheChildAreTyped() throws {
        let input = try SyntheticImage(name: "f", rows: 16, columns: 16, bitsStored: 12).file()
        let options = TranscoderOptions(mode: .lossless)
        #expect(GDCMTranscoder(options: options, logger: Self.logger, backend: nil) == nil)

        let failing = try #require(GDCMConvBackend(executable: "/bin/false"))
        let error = #expect(throws: TranscoderError.externalToolFailed) {
            try GDCMTranscoder(options: options, logger: Self.logger, backend: failing)?.transcode(input)
        }
        #expect(error?.underlying?.contains("exited with status 1") == true, "\(String(describing: error))")

        // A tool that "succeeds" but leaves the file uncompressed (a fake: real gdcmconv does not do
        // this on demand) must not pass for a JPEG 2000 output.
        try withTemporaryDirectory { directory in
            let script = directory.appendingPathComponent("fake-gdcmconv").path
            try "#!/bin/sh\nfor last in \"$@\"; do :; done\neval in=\\${$(($# - 1))}\ncp \"$in\" \"$last\"\n"
                .write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            let copying = try #require(GDCMConvBackend(executable: script))
            let error = #expect(throws: TranscoderError.externalToolFailed) {
                try GDCMTranscoder(options: options, logger: Self.logger, backend: copying)?.transcode(input)
            }
            #expect(error?.context.contains("not encapsulated JPEG 2000") == true, "\(String(describing: error))")
        }
    }

    @Test func codestreamsLoseOnlyTheFragmentPadding() throws {
        let odd: [UInt8] = [0xFF, 0x4F, 0xFF, 0x51, 0x00, 0xFF, 0xD9]
        let even: [UInt8] = [0xFF, 0x4F, 0xFF, 0x51, 0xFF, 0xD9]
        var dataSet = DataSet()
        try dataSet.set(.numberOfFrames, int: 2, vr: .IS)
        dataSet.setPixelData(.encapsulated(try EncapsulatedPixelData(frames: [odd, even])))
        let bytes = try DICOMFile(dataSet: dataSet, transferSyntax: .jpeg2000).encoded()
        #expect(try GDCMTranscoder.codestreams(in: bytes, frames: 2) == [odd, even])
        #expect(throws: TranscoderError.externalToolFailed) { try GDCMTranscoder.codestreams(in: bytes, frames: 3) }
    }
}
