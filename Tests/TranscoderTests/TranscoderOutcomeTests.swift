import DICOM
import Foundation
import Logging
import TestSupport
import Testing

@testable import Transcoder

/// "Copy unchanged" reasons, typed failures, the lossy attribute rules in their corner cases, and
/// the transcoder's promises about memory and threads.
@Suite struct TranscoderOutcomeTests {
    static let logger = Logger(label: "test")
    static let base = SyntheticImage(name: "base", rows: 16, columns: 16, bitsStored: 12)

    static func transcode(
        _ input: [UInt8],
        _ mode: TranscoderOptions.Mode = .lossy(ratio: 10)
    ) throws(TranscoderError) -> TranscodeOutcome {
        try Transcoder(options: TranscoderOptions(mode: mode, qualityCheck: true), logger: logger).transcode(input)
    }

    static func transcoded(
        _ input: [UInt8],
        _ mode: TranscoderOptions.Mode = .lossy(ratio: 10)
    ) throws -> TranscodedFile {
        guard case .transcoded(let file) = try transcode(input, mode) else {
            throw MissingTestDataError("the input was not transcoded")
        }
        return file
    }

    struct Refused: CustomStringConvertible, Sendable {
        var description: String
        var reason: String
        var input: @Sendable () throws -> [UInt8]
    }

    static let refused: [Refused] = [
        Refused(description: "not DICOM", reason: "not DICOM") { [UInt8](repeating: 0x41, count: 300) },
        Refused(description: "empty file", reason: "not DICOM") { [] },
        Refused(description: "already compressed", reason: "already compressed: JPEG 2000") {
            try transcoded(base.file()).bytes
        },
        Refused(description: "already compressed lossless", reason: "already compressed: JPEG 2000 (Lossless Only)") {
            try transcoded(base.file(), .lossless).bytes
        },
        Refused(description: "no pixel data", reason: "no pixel data") { try base.file { $0.remove(.pixelData) } },
        Refused(description: "float pixel data", reason: "unsupported layout: float pixel data") {
            try base.file {
                $0.remove(.pixelData)
                $0.set(.floatPixelData, vr: .OF, bytes: [UInt8](repeating: 0, count: 16 * 16 * 4))
            }
        },
        Refused(description: "palette colour", reason: "unsupported layout: Photometric Interpretation PALETTE COLOR") {
            var palette = base
            palette.bitsAllocated = 8
            palette.bitsStored = 8
            palette.photometric = "PALETTE COLOR"
            return try palette.file()
        },
        Refused(description: "YBR_FULL_422", reason: "Photometric Interpretation YBR_FULL_422 with 3 samples per pixel")
        {
            try SyntheticImage(
                name: "422",
                rows: 4,
                columns: 4,
                samplesPerPixel: 3,
                bitsAllocated: 8,
                bitsStored: 8,
                photometric: "YBR_FULL_422"
            ).file()
        },
        Refused(
            description: "YBR_PARTIAL_420",
            reason: "Photometric Interpretation YBR_PARTIAL_420 with 3 samples per pixel"
        ) {
            try SyntheticImage(
                name: "420",
                rows: 4,
                columns: 4,
                samplesPerPixel: 3,
                bitsAllocated: 8,
                bitsStored: 8,
                photometric: "YBR_PARTIAL_420"
            ).file()
        },
        Refused(
            description: "monochrome with 3 samples",
            reason: "Photometric Interpretation MONOCHROME2 with 3 samples per pixel"
        ) {
            try SyntheticImage(name: "m3", rows: 4, columns: 4, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8)
                .file()
        },
        Refused(description: "4 samples", reason: "unsupported layout: 4 samples per pixel") {
            try base.file {
                try $0.set(.samplesPerPixel, int: 4)
                $0.set(.photometricInterpretation, string: "ARGB")
            }
        },
        Refused(description: "32 bits allocated", reason: "unsupported layout: Bits Allocated 32") {
            try base.file {
                try $0.set(.bitsAllocated, int: 32)
                try $0.set(.bitsStored, int: 32)
                try $0.set(.highBit, int: 31)
                $0.set(.pixelData, vr: .OW, bytes: [UInt8](repeating: 0, count: 16 * 16 * 4))
            }
        },
        Refused(description: "1 bit allocated", reason: "unsupported layout: Bits Allocated 1") {
            try base.file {
                try $0.set(.bitsAllocated, int: 1)
                try $0.set(.bitsStored, int: 1)
                try $0.set(.highBit, int: 0)
                $0.set(.pixelData, vr: .OB, bytes: [UInt8](repeating: 0, count: 32))
            }
        },
        Refused(
            description: "bits stored above allocated",
            reason: "unsupported layout: Bits Stored 12 with Bits Allocated 8"
        ) {
            try base.file {
                try $0.set(.bitsAllocated, int: 8)
                $0.set(.pixelData, vr: .OB, bytes: [UInt8](repeating: 0, count: 256))
            }
        },
        Refused(
            description: "high bit not bits stored - 1",
            reason: "unsupported layout: High Bit 15 with Bits Stored 12"
        ) {
            try base.file { try $0.set(.highBit, int: 15) }
        },
        Refused(description: "pixel representation 2", reason: "unsupported layout: Pixel Representation 2") {
            try base.file { try $0.set(.pixelRepresentation, int: 2) }
        },
        Refused(
            description: "no photometric interpretation",
            reason: "unsupported layout: no Photometric Interpretation"
        ) {
            try base.file { $0.remove(.photometricInterpretation) }
        },
        Refused(description: "no rows", reason: "unsupported layout: no Rows or Columns") {
            try base.file { $0.remove(.rows) }
        },
        Refused(description: "zero columns", reason: "unsupported layout: 16 rows, 0 columns") {
            try base.file { try $0.set(.columns, int: 0) }
        },
        Refused(description: "zero frames", reason: "unsupported layout: Number of Frames 0") {
            try base.file { try $0.set(.numberOfFrames, int: 0, vr: .IS) }
        },
        Refused(description: "planar configuration 2", reason: "unsupported layout: Planar Configuration 2") {
            try SyntheticImage(
                name: "rgb",
                rows: 4,
                columns: 4,
                samplesPerPixel: 3,
                bitsAllocated: 8,
                bitsStored: 8,
                photometric: "RGB"
            )
            .file { try $0.set(.planarConfiguration, int: 2) }
        },
        Refused(description: "embedded overlay", reason: "unsupported layout: overlay (6000,xxxx) embedded") {
            try base.file {
                try $0.set(Tag(0x6000, 0x0010), int: 16, vr: .US)
                try $0.set(Tag(0x6000, 0x0011), int: 16, vr: .US)
                try $0.set(Tag(0x6000, 0x0100), int: 16, vr: .US)
                try $0.set(Tag(0x6000, 0x0102), int: 15, vr: .US)
            }
        },
    ]

    @Test(.needs(.gdcmconv), arguments: refused)
    func inputsWeDoNotEncodeAreCopiedWithTheirReason(_ refused: Refused) throws {
        let input = try refused.input()
        guard case .notTranscodable(let reason) = try Self.transcode(input) else {
            Issue.record("\(refused) was transcoded")
            return
        }
        #expect(reason.contains(refused.reason), "\(reason)")
        // The gdcmconv backend runs the same check, so both copy the same files.
        let backend = try TestEnvironment.require(GDCMConvBackend(), "gdcmconv")
        if let gdcm = GDCMTranscoder(
            options: TranscoderOptions(mode: .lossy(ratio: 10)),
            logger: Self.logger,
            backend: backend
        ) {
            guard case .notTranscodable(let gdcmReason) = try gdcm.transcode(input) else {
                Issue.record("\(refused) was transcoded by gdcmconv")
                return
            }
            #expect(gdcmReason == reason)
        }
    }

    @Test func embeddedOverlayWithItsOwnDataIsTranscoded() throws {
        // Overlay Data present: the overlay does not live in the pixel words.
        let input = try Self.base.file {
            try $0.set(Tag(0x6000, 0x0100), int: 1, vr: .US)
            try $0.set(Tag(0x6000, 0x0102), int: 0, vr: .US)
            $0.set(Tag(0x6000, 0x3000), vr: .OW, bytes: [UInt8](repeating: 0, count: 32))
        }
        let file = try Self.transcoded(input)
        try OutputRules.check(input: input, output: file, lossless: false, "overlay with data")
    }

    @Test(.needs(.gdcmconv)) func truncatedPixelDataFails() throws {
        var short = Self.base
        short.pixelDataLengthDelta = -2
        #expect(throws: TranscoderError.truncatedPixelData) { try Self.transcode(short.file()) }
        var frames = Self.base
        frames.frames = 3
        let missingFrame = try frames.file { try $0.set(.numberOfFrames, int: 4, vr: .IS) }
        let error = #expect(throws: TranscoderError.truncatedPixelData) { try Self.transcode(missingFrame) }
        #expect(error?.context.contains("1536 bytes") == true, "\(String(describing: error))")
        #expect(error?.context.contains("4 frames") == true, "\(String(describing: error))")
        let absurdFrames = try Self.base.file { try $0.set(.numberOfFrames, int: Int(Int32.max), vr: .IS) }
        #expect(throws: TranscoderError.truncatedPixelData) { try Self.transcode(absurdFrames) }
        // The file ends inside the Pixel Data value.
        let full = try Self.base.file()
        #expect(throws: TranscoderError.truncatedPixelData) { try Self.transcode(Array(full.dropLast(100))) }
        // The gdcmconv backend refuses it the same way, before running anything.
        let backend = try TestEnvironment.require(GDCMConvBackend(), "gdcmconv")
        if let gdcm = GDCMTranscoder(
            options: TranscoderOptions(mode: .lossless),
            logger: Self.logger,
            backend: backend
        ) {
            #expect(throws: TranscoderError.truncatedPixelData) { try gdcm.transcode(Array(full.dropLast(100))) }
        }
    }

    @Test func malformedDICOMAndBadOptionsFail() throws {
        let full = try Self.base.file()
        // Cut inside the value of SOP Class UID, the data set's first element.
        let sopClass = try #require(try DICOMFile(bytes: full).dataSet[.sopClassUID]?.offset)
        let error = #expect(throws: TranscoderError.unreadableDICOM) {
            try Self.transcode(Array(full.prefix(sopClass + 10)))
        }
        #expect(error?.underlying?.contains("truncated") == true, "\(String(describing: error))")
        #expect(error?.shortDescription == "unreadableDICOM")
        for mode in [TranscoderOptions.Mode.lossy(ratio: 0.5), .lossy(ratio: .nan), .lossy(ratio: .infinity)] {
            #expect(throws: TranscoderError.invalidOptions) {
                try Transcoder(options: TranscoderOptions(mode: mode), logger: Self.logger).transcode(full)
            }
        }
        #expect(throws: TranscoderError.invalidOptions) {
            try Transcoder(options: TranscoderOptions(mode: .lossless, codecThreads: 0), logger: Self.logger).transcode(
                full
            )
        }
    }

    @Test func alreadyLossyInputGetsItsRatioAndMethodAppended() throws {
        let input = try Self.base.file {
            $0.set(.lossyImageCompression, string: "01")
            $0.set(.lossyImageCompressionRatio, strings: ["8.5"])
            $0.set(.lossyImageCompressionMethod, strings: ["ISO_10918_1"])
            $0.set(.derivationDescription, string: "JPEG baseline at the modality")
        }
        let file = try Self.transcoded(input)
        try OutputRules.check(input: input, output: file, lossless: false, "already lossy")
        let output = try DICOMFile(bytes: file.bytes).dataSet
        #expect(output.string(.lossyImageCompression) == "01")
        #expect(output.strings(.lossyImageCompressionRatio) == ["8.5", OutputAttributes.formatRatio(file.ratio)])
        #expect(output.strings(.lossyImageCompressionMethod) == ["ISO_10918_1", "ISO_15444_1"])
        let purpose = output.items(.sourceImageSequence)?.last?.items(.purposeOfReferenceCodeSequence)?.first
        #expect(purpose?.string(.codeValue) == "121330")
        #expect(purpose?.string(.codeMeaning) == "Lossy compressed predecessor")
        #expect(
            output.string(.derivationDescription)?.hasPrefix(
                "JPEG baseline at the modality; Lossy compression with JPEG 2000"
            ) == true
        )

        // Lossless keeps the lossy history as it was (never reset to 00) and the instance.
        let lossless = try Self.transcoded(input, .lossless)
        try OutputRules.check(input: input, output: lossless, lossless: true, "already lossy, lossless")
        let kept = try DICOMFile(bytes: lossless.bytes).dataSet
        #expect(kept.string(.lossyImageCompression) == "01")
        #expect(kept.strings(.lossyImageCompressionRatio) == ["8.5"])
        #expect(kept.string(.sopInstanceUID) == "2.25.1234567890")
    }

    @Test func previouslyLosslessRatioIsReplacedNotAppended() throws {
        // 00 with a stale ratio: the history starts with us.
        let input = try Self.base.file {
            $0.set(.lossyImageCompression, string: "00")
            $0.set(.lossyImageCompressionRatio, strings: ["1"])
        }
        let file = try Self.transcoded(input)
        let output = try DICOMFile(bytes: file.bytes).dataSet
        #expect(output.string(.lossyImageCompression) == "01")
        #expect(output.strings(.lossyImageCompressionRatio) == [OutputAttributes.formatRatio(file.ratio)])
        #expect(output.strings(.lossyImageCompressionMethod) == ["ISO_15444_1"])
        #expect(
            output.items(.sourceImageSequence)?.last?.items(.purposeOfReferenceCodeSequence)?.first?.string(.codeValue)
                == "121320"
        )
    }

    @Test func imageTypeIsCreatedOrCompleted() throws {
        for (before, after) in [
            ([String](), ["DERIVED", "SECONDARY"]), (["ORIGINAL"], ["DERIVED", "SECONDARY"]),
            (["ORIGINAL", "PRIMARY", "AXIAL"], ["DERIVED", "PRIMARY", "AXIAL"]),
            (["DERIVED", "SECONDARY"], ["DERIVED", "SECONDARY"]),
        ] {
            let input = try Self.base.file {
                if before.isEmpty { $0.remove(.imageType) } else { $0.set(.imageType, strings: before) }
            }
            let file = try Self.transcoded(input)
            try OutputRules.check(input: input, output: file, lossless: false, "Image Type \(before)")
            #expect(try DICOMFile(bytes: file.bytes).dataSet.strings(.imageType) == after)
        }
    }

    @Test func staleAttributesAreDroppedOnlyWhenLossy() throws {
        let input = try Self.base.file {
            try $0.set(.smallestImagePixelValue, int: 0, vr: .US)
            try $0.set(.largestImagePixelValue, int: 4095, vr: .US)
            $0.set(.extendedOffsetTable, vr: .OV, bytes: [UInt8](repeating: 0, count: 8))
            $0.set(.extendedOffsetTableLengths, vr: .OV, bytes: [UInt8](repeating: 0, count: 8))
        }
        let lossy = try DICOMFile(bytes: Self.transcoded(input).bytes).dataSet
        #expect(lossy[.smallestImagePixelValue] == nil && lossy[.largestImagePixelValue] == nil)
        #expect(lossy[.extendedOffsetTable] == nil && lossy[.extendedOffsetTableLengths] == nil)
        let lossless = try DICOMFile(bytes: Self.transcoded(input, .lossless).bytes).dataSet
        #expect(lossless.int(.smallestImagePixelValue) == 0 && lossless.int(.largestImagePixelValue) == 4095)
        #expect(lossless[.extendedOffsetTable] == nil && lossless[.extendedOffsetTableLengths] == nil)
    }

    @Test func framesAreSlicesOfTheInputNotCopies() throws {
        var image = Self.base
        image.frames = 3
        let input = try image.file()
        let file = try #require(try NativeImage.parse(input))
        guard case .image(let native) = try NativeImage.check(file) else {
            Issue.record("not an image")
            return
        }
        #expect(native.frames.count == 3)
        input.withUnsafeBytes { whole in
            guard let start = whole.baseAddress else { return }
            for frame in native.frames {
                frame.withUnsafeBytes { bytes in
                    guard let first = bytes.baseAddress else { return }
                    #expect(
                        first >= start && first + bytes.count <= start + whole.count,
                        "frame copied out of the input"
                    )
                }
            }
        }
    }

    @Test func concurrentCallsGiveIdenticalOutput() throws {
        var image = SyntheticImage(name: "mt", rows: 64, columns: 64, frames: 3, bitsStored: 12, isSigned: true)
        image.garbageHighBits = true
        let input = try image.file()
        let transcoder = Transcoder(
            options: TranscoderOptions(mode: .lossless, qualityCheck: true),
            logger: Self.logger
        )
        let results = ResultBox(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            results.set(index, Result { () throws(TranscoderError) in try transcoder.transcode(input) })
        }
        var first: [UInt8]?
        for result in results.values {
            guard case .success(.transcoded(let file)) = result else {
                Issue.record("concurrent transcode: \(String(describing: result))")
                continue
            }
            #expect(file.quality?.isExact == true)
            if let first { #expect(first == file.bytes) } else { first = file.bytes }
        }
    }

    @Test func qualityIsAggregatedFromSummedSquaredError() {
        var accumulator = QualityAccumulator(bitsStored: 12)
        accumulator.add(rmse: 2, maxAbsError: 5, sampleCount: 100)
        accumulator.add(rmse: 0, maxAbsError: 0, sampleCount: 300)
        let result = accumulator.result
        #expect(result.sampleCount == 400)
        #expect(result.maxAbsError == 5)
        #expect(abs(result.rmse - 1) < 1e-12)  // (4 × 100 + 0) / 400 = 1
        #expect(abs(result.psnr - 20 * log10(4095.0)) < 1e-9)
        var exact = QualityAccumulator(bitsStored: 8)
        exact.add(rmse: 0, maxAbsError: 0, sampleCount: 10)
        #expect(exact.result.isExact && exact.result.psnr == .infinity)
    }

    @Test func ratioIsAShortDecimalString() {
        #expect(OutputAttributes.formatRatio(10) == "10")
        #expect(OutputAttributes.formatRatio(99.874) == "99.87")
        #expect(OutputAttributes.formatRatio(0.176) == "0.18")
        #expect(OutputAttributes.formatRatio(100.5) == "100.5")
        #expect(OutputAttributes.formatRatio(123_456_789.987) == "123456789.99")
        #expect(OutputAttributes.formatRatio(1e15).utf8.count <= 16)
    }
}

/// Results written from `concurrentPerform`'s threads, each slot by one thread.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<TranscodeOutcome, TranscoderError>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<TranscodeOutcome, TranscoderError>) {
        lock.withLock { slots[index] = value }
    }
    var values: [Result<TranscodeOutcome, TranscoderError>?] { lock.withLock { slots } }
}
