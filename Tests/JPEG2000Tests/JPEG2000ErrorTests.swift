import Foundation
import InMemoryLogging
import JPEG2000
import Logging
import SampleStudy
import Testing

@Suite struct JPEG2000ErrorTests {
    private let validLayout = JPEG2000SampleLayout(
        rows: 8,
        columns: 8,
        bitsAllocated: 16,
        bitsStored: 12,
        isSigned: true
    )

    @Test(arguments: [
        JPEG2000SampleLayout(rows: 0, columns: 8, bitsAllocated: 16, bitsStored: 12, isSigned: true),
        JPEG2000SampleLayout(rows: 8, columns: 70_000, bitsAllocated: 16, bitsStored: 12, isSigned: true),
        JPEG2000SampleLayout(rows: 8, columns: 8, bitsAllocated: 12, bitsStored: 12, isSigned: true),
        JPEG2000SampleLayout(rows: 8, columns: 8, bitsAllocated: 32, bitsStored: 32, isSigned: true),
        JPEG2000SampleLayout(rows: 8, columns: 8, bitsAllocated: 16, bitsStored: 17, isSigned: true),
        JPEG2000SampleLayout(rows: 8, columns: 8, bitsAllocated: 8, bitsStored: 0, isSigned: false),
        JPEG2000SampleLayout(rows: 8, columns: 8, samplesPerPixel: 2, bitsAllocated: 8, bitsStored: 8, isSigned: false),
        JPEG2000SampleLayout(rows: 8, columns: 8, samplesPerPixel: 4, bitsAllocated: 8, bitsStored: 8, isSigned: false),
    ])
    func unsupportedLayoutsAreRejected(_ layout: JPEG2000SampleLayout) {
        let bytes = [UInt8](repeating: 0, count: max(0, min(layout.frameByteCount, 1 << 20)))
        #expect(throws: JPEG2000Error.invalidLayout) {
            try JPEG2000Encoder.encode(bytes, layout: layout, options: .init(mode: .lossless), logger: quietLogger)
        }
    }

    @Test func wrongByteCountIsRejected() {
        for count in [0, 127, 129, 1000] {
            #expect(throws: JPEG2000Error.sampleCountMismatch) {
                try JPEG2000Encoder.encode(
                    [UInt8](repeating: 0, count: count),
                    layout: validLayout,
                    options: .init(mode: .lossless),
                    logger: quietLogger
                )
            }
        }
    }

    @Test(arguments: [0.0, 0.99, -5, .nan, .infinity])
    func badTargetRatiosAreRejected(ratio: Double) {
        #expect(throws: JPEG2000Error.invalidOptions) {
            try JPEG2000Encoder.encode(
                [UInt8](repeating: 0, count: 128),
                layout: validLayout,
                options: .init(mode: .lossy(targetRatio: ratio)),
                logger: quietLogger
            )
        }
    }

    @Test func lowRatiosBelowThePrecisionStillEncode() throws {
        // 1.2:1 against 16 bits allocated is below 1:1 against the 12-bit precision: OpenJPEG then
        // keeps every pass of the 9/7 transform, which is near-lossless on CT.
        var layout = validLayout
        layout.rows = 64
        layout.columns = 64
        let bytes = littleEndianBytes(try CTPhantom().pixels(forSlice: 1, of: 3, rows: 64, columns: 64))
        let encoded = try JPEG2000Encoder.encode(
            bytes,
            layout: layout,
            options: .init(mode: .lossy(targetRatio: 1.2)),
            logger: quietLogger
        )
        #expect(encoded.ratio > 1.2)
        let decoded = try JPEG2000Decoder.decode(encoded.codestream, logger: quietLogger)
        let metrics = try JPEG2000QualityMetrics.compare(original: bytes, layout: layout, decoded: decoded)
        #expect(metrics.maxAbsoluteError <= 2)
    }

    @Test func garbageCodestreamsFailWithOpenJPEGMessagesInTheLogger() throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .trace
        let frame = makeTestFrame(validLayout, seed: 2)
        let valid = try JPEG2000Encoder.encode(
            frame.bytes,
            layout: validLayout,
            options: .init(mode: .lossless),
            logger: logger
        )
        var random = TestRandom(seed: 9)
        let garbage: [[UInt8]] = [
            [],
            [0xFF],
            [0xFF, 0x4F],
            (0..<200).map { _ in UInt8(truncatingIfNeeded: random.next()) },
            [0xFF, 0x4F, 0xFF, 0x51] + (0..<60).map { _ in UInt8(truncatingIfNeeded: random.next()) },
            Array(valid.codestream.prefix(30)),
        ]
        var sawMessages = false
        for bytes in garbage {
            do {
                _ = try JPEG2000Decoder.decode(bytes, logger: logger)
                Issue.record("decoding \(bytes.count) garbage bytes succeeded")
            } catch let error as JPEG2000Error {
                #expect(error == .decodingFailed || error == .unsupportedCodestream || error == .imageTooLarge)
                sawMessages = sawMessages || !error.openJPEGMessages.isEmpty
            }
        }
        #expect(sawMessages, "OpenJPEG's error messages must reach the thrown error")
        #expect(handler.entries.contains { $0.message.description == "openjpeg error" })
    }

    @Test func oversizedCodestreamsAreRefusedBeforeDecoding() throws {
        let frame = makeTestFrame(validLayout, seed: 3)
        let encoded = try JPEG2000Encoder.encode(
            frame.bytes,
            layout: validLayout,
            options: .init(mode: .lossless),
            logger: quietLogger
        )
        #expect(throws: JPEG2000Error.imageTooLarge) {
            try JPEG2000Decoder.decode(encoded.codestream, maximumSampleCount: 63, logger: quietLogger)
        }
    }

    @Test func qualityMetricsRejectMismatchedShapes() throws {
        let frame = makeTestFrame(validLayout, seed: 4)
        let encoded = try JPEG2000Encoder.encode(
            frame.bytes,
            layout: validLayout,
            options: .init(mode: .lossless),
            logger: quietLogger
        )
        let decoded = try JPEG2000Decoder.decode(encoded.codestream, logger: quietLogger)
        var other = validLayout
        other.rows = 4
        #expect(throws: JPEG2000Error.mismatchedImages) {
            try JPEG2000QualityMetrics.compare(original: frame.bytes.prefix(64), layout: other, decoded: decoded)
        }
    }

    @Test func qualityMetricsFollowTheirDefinitions() throws {
        // Original 0, 100, 200, 300 (unsigned 12 in 16); decoded off by 0, 1, -2, 3: MSE = 14/4.
        let layout = JPEG2000SampleLayout(rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12, isSigned: false)
        let original: [UInt8] = [0, 0, 100, 0, 200, 0, 44, 1]
        let decoded = JPEG2000DecodedImage(
            rows: 2,
            columns: 2,
            components: 1,
            precision: 12,
            isSigned: false,
            samples: [0, 101, 198, 303]
        )
        let metrics = try JPEG2000QualityMetrics.compare(original: original, layout: layout, decoded: decoded)
        #expect(metrics.maxAbsoluteError == 3)
        #expect(abs(metrics.rmse - (14.0 / 4).squareRoot()) < 1e-12)
        #expect(abs(metrics.psnr - 10 * log10(4095.0 * 4095.0 / 3.5)) < 1e-9)
    }

    @Test func theLinkedOpenJPEGReportsItsVersion() {
        #expect(JPEG2000Library.openJPEGVersion.hasPrefix("2."))
    }
}
