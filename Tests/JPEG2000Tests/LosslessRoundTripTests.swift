import JPEG2000
import TestSupport
import Testing

/// One lossless case: a layout, optionally with garbage above Bits Stored.
struct LosslessCase: CustomTestStringConvertible, Sendable {
    var name: String
    var layout: JPEG2000SampleLayout
    var garbageHighBits = false
    var colorTransform = true
    var testDescription: String { name }
}

private func gray(_ rows: Int, _ columns: Int, allocated: Int, stored: Int, signed: Bool) -> JPEG2000SampleLayout {
    JPEG2000SampleLayout(rows: rows, columns: columns, bitsAllocated: allocated, bitsStored: stored, isSigned: signed)
}

private func rgb(
    _ rows: Int,
    _ columns: Int,
    allocated: Int = 8,
    stored: Int = 8,
    planar: JPEG2000SampleLayout.PlanarConfiguration = .interleaved
) -> JPEG2000SampleLayout {
    JPEG2000SampleLayout(
        rows: rows,
        columns: columns,
        samplesPerPixel: 3,
        bitsAllocated: allocated,
        bitsStored: stored,
        isSigned: false,
        planarConfiguration: planar
    )
}

private let losslessCases: [LosslessCase] = [
    LosslessCase(name: "unsigned 8", layout: gray(32, 24, allocated: 8, stored: 8, signed: false)),
    LosslessCase(name: "signed 8", layout: gray(32, 24, allocated: 8, stored: 8, signed: true)),
    LosslessCase(name: "unsigned 12 in 16", layout: gray(40, 30, allocated: 16, stored: 12, signed: false)),
    LosslessCase(name: "signed 12 in 16", layout: gray(40, 30, allocated: 16, stored: 12, signed: true)),
    LosslessCase(name: "unsigned 16", layout: gray(40, 30, allocated: 16, stored: 16, signed: false)),
    LosslessCase(name: "signed 16", layout: gray(40, 30, allocated: 16, stored: 16, signed: true)),
    LosslessCase(name: "unsigned 8 in 16", layout: gray(21, 19, allocated: 16, stored: 8, signed: false)),
    LosslessCase(name: "RGB 8 interleaved", layout: rgb(33, 17)),
    LosslessCase(name: "RGB 8 planar", layout: rgb(33, 17, planar: .planar)),
    LosslessCase(name: "RGB 8 without MCT", layout: rgb(33, 17), colorTransform: false),
    LosslessCase(name: "RGB 16", layout: rgb(20, 22, allocated: 16, stored: 16)),
    LosslessCase(name: "RGB 2x2", layout: rgb(2, 2)),
    LosslessCase(name: "tiny 1x1 signed 12", layout: gray(1, 1, allocated: 16, stored: 12, signed: true)),
    LosslessCase(name: "tiny 1xN unsigned 16", layout: gray(1, 300, allocated: 16, stored: 16, signed: false)),
    LosslessCase(name: "tiny Nx1 signed 16", layout: gray(257, 1, allocated: 16, stored: 16, signed: true)),
    LosslessCase(name: "tiny 7x5 unsigned 8", layout: gray(7, 5, allocated: 8, stored: 8, signed: false)),
    LosslessCase(name: "tiny 16x16 signed 12", layout: gray(16, 16, allocated: 16, stored: 12, signed: true)),
    LosslessCase(
        name: "garbage above signed 12",
        layout: gray(24, 20, allocated: 16, stored: 12, signed: true),
        garbageHighBits: true
    ),
    LosslessCase(
        name: "garbage above unsigned 12",
        layout: gray(24, 20, allocated: 16, stored: 12, signed: false),
        garbageHighBits: true
    ),
    LosslessCase(
        name: "garbage above signed 5 in 8",
        layout: gray(9, 11, allocated: 8, stored: 5, signed: true),
        garbageHighBits: true
    ),
]

@Suite struct LosslessRoundTripTests {
    @Test(.needs(.python), arguments: losslessCases)
    func roundTripIsExactInBothDecoders(_ testCase: LosslessCase) throws {
        let frame = makeTestFrame(
            testCase.layout,
            seed: UInt64(testCase.name.utf8.count),
            garbageHighBits: testCase.garbageHighBits
        )
        let options = JPEG2000EncodingOptions(mode: .lossless, colorTransform: testCase.colorTransform)
        let encoded = try JPEG2000Encoder.encode(
            frame.bytes,
            layout: frame.layout,
            options: options,
            logger: quietLogger
        )

        let siz = try #require(parseSIZ(encoded.codestream), "codestream must start with SOC FF4F then SIZ")
        #expect(siz.width == testCase.layout.columns && siz.height == testCase.layout.rows)
        #expect(siz.precisions == Array(repeating: testCase.layout.bitsStored, count: testCase.layout.samplesPerPixel))
        #expect(siz.signed == Array(repeating: testCase.layout.isSigned, count: testCase.layout.samplesPerPixel))
        #expect(Array(encoded.codestream.suffix(2)) == [0xFF, 0xD9], "codestream must end with EOC")

        let decoded = try JPEG2000Decoder.decode(encoded.codestream, logger: quietLogger)
        #expect(decoded.precision == testCase.layout.bitsStored)
        #expect(decoded.isSigned == testCase.layout.isSigned)
        #expect(decoded.samples == frame.values)
        let metrics = try JPEG2000QualityMetrics.compare(original: frame.bytes, layout: frame.layout, decoded: decoded)
        #expect(metrics.isExact && metrics.psnr == .infinity)

        do {
            let python = try checkWithPylibjpeg(
                encoded.codestream,
                expected: frame.values,
                bitsStored: testCase.layout.bitsStored
            )
            #expect(python.max_abs_error == 0)
            #expect(python.precision == testCase.layout.bitsStored)
            #expect(python.is_signed == testCase.layout.isSigned)
            #expect(python.rows == testCase.layout.rows && python.columns == testCase.layout.columns)
            #expect(python.samples_per_pixel == testCase.layout.samplesPerPixel)
        }
    }

    @Test(.needs(.python), arguments: 1...16, [false, true])
    func everyBitsStoredRoundTrips(bitsStored: Int, signed: Bool) throws {
        let layout = gray(19, 23, allocated: bitsStored <= 8 ? 8 : 16, stored: bitsStored, signed: signed)
        let frame = makeTestFrame(layout, seed: UInt64(bitsStored), garbageHighBits: bitsStored % 3 == 0)
        let encoded = try JPEG2000Encoder.encode(
            frame.bytes,
            layout: layout,
            options: .init(mode: .lossless),
            logger: quietLogger
        )
        #expect(parseSIZ(encoded.codestream)?.precisions == [bitsStored])
        #expect(parseSIZ(encoded.codestream)?.signed == [signed])
        let decoded = try JPEG2000Decoder.decode(encoded.codestream, logger: quietLogger)
        #expect(decoded.samples == frame.values)
        do {
            let python = try checkWithPylibjpeg(encoded.codestream, expected: frame.values, bitsStored: bitsStored)
            #expect(python.max_abs_error == 0)
            #expect(python.precision == bitsStored && python.is_signed == signed)
        }
    }

    @Test func decodedFrameBytesMatchTheOriginalStorage() throws {
        for layout in [gray(5, 7, allocated: 16, stored: 12, signed: true), rgb(4, 6, planar: .planar), rgb(4, 6)] {
            let frame = makeTestFrame(layout, seed: 7)
            let encoded = try JPEG2000Encoder.encode(
                frame.bytes,
                layout: layout,
                options: .init(mode: .lossless),
                logger: quietLogger
            )
            let decoded = try JPEG2000Decoder.decode(encoded.codestream, logger: quietLogger)
            #expect(
                decoded.frameBytes(bitsAllocated: layout.bitsAllocated, planarConfiguration: layout.planarConfiguration)
                    == frame.bytes
            )
        }
    }

    @Test func encodingIsDeterministicAcrossThreads() async throws {
        let layout = gray(64, 80, allocated: 16, stored: 12, signed: true)
        let frames = (0..<8).map { makeTestFrame(layout, seed: UInt64($0)) }
        let options = JPEG2000EncodingOptions(mode: .lossy(targetRatio: 8))
        let serial = try frames.map {
            try JPEG2000Encoder.encode($0.bytes, layout: layout, options: options, logger: quietLogger).codestream
        }
        let parallel = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, frame) in frames.enumerated() {
                group.addTask {
                    (
                        index,
                        try JPEG2000Encoder.encode(frame.bytes, layout: layout, options: options, logger: quietLogger)
                            .codestream
                    )
                }
            }
            var results = [[UInt8]](repeating: [], count: frames.count)
            for try await (index, codestream) in group { results[index] = codestream }
            return results
        }
        #expect(parallel == serial)
    }
}
