import Foundation
import HTJ2K
import JPEG2000
import Logging
import TestSupport
import Testing

private func layout(
    _ rows: Int,
    _ columns: Int,
    allocated: Int,
    stored: Int,
    signed: Bool,
    samples: Int = 1,
    planar: JPEG2000SampleLayout.PlanarConfiguration = .interleaved
) -> JPEG2000SampleLayout {
    JPEG2000SampleLayout(
        rows: rows,
        columns: columns,
        samplesPerPixel: samples,
        bitsAllocated: allocated,
        bitsStored: stored,
        isSigned: signed,
        planarConfiguration: planar
    )
}

struct HTJ2KCase: CustomTestStringConvertible, Sendable {
    var name: String
    var layout: JPEG2000SampleLayout
    var garbageHighBits = false
    var testDescription: String { name }
}

private let htj2kCases: [HTJ2KCase] = [
    HTJ2KCase(name: "unsigned 8", layout: layout(32, 24, allocated: 8, stored: 8, signed: false)),
    HTJ2KCase(name: "signed 8", layout: layout(32, 24, allocated: 8, stored: 8, signed: true)),
    HTJ2KCase(name: "unsigned 1 in 8", layout: layout(16, 16, allocated: 8, stored: 1, signed: false)),
    HTJ2KCase(name: "signed 6 in 8", layout: layout(20, 18, allocated: 8, stored: 6, signed: true)),
    HTJ2KCase(name: "unsigned 12 in 16", layout: layout(40, 30, allocated: 16, stored: 12, signed: false)),
    HTJ2KCase(name: "signed 12 in 16", layout: layout(40, 30, allocated: 16, stored: 12, signed: true)),
    HTJ2KCase(name: "signed 13 in 16", layout: layout(40, 30, allocated: 16, stored: 13, signed: true)),
    HTJ2KCase(name: "signed 14 in 16", layout: layout(40, 30, allocated: 16, stored: 14, signed: true)),
    HTJ2KCase(name: "unsigned 16", layout: layout(40, 30, allocated: 16, stored: 16, signed: false)),
    HTJ2KCase(name: "signed 16", layout: layout(40, 30, allocated: 16, stored: 16, signed: true)),
    HTJ2KCase(name: "RGB 8", layout: layout(33, 17, allocated: 8, stored: 8, signed: false, samples: 3)),
    HTJ2KCase(
        name: "RGB 8 planar",
        layout: layout(33, 17, allocated: 8, stored: 8, signed: false, samples: 3, planar: .planar)
    ),
    HTJ2KCase(name: "RGB 16", layout: layout(20, 22, allocated: 16, stored: 16, signed: false, samples: 3)),
    HTJ2KCase(name: "tiny 1x1 signed 12", layout: layout(1, 1, allocated: 16, stored: 12, signed: true)),
    HTJ2KCase(name: "tiny 1xN unsigned 16", layout: layout(1, 300, allocated: 16, stored: 16, signed: false)),
    HTJ2KCase(name: "tiny Nx1 signed 16", layout: layout(257, 1, allocated: 16, stored: 16, signed: true)),
    HTJ2KCase(name: "tiny 7x5 unsigned 8", layout: layout(7, 5, allocated: 8, stored: 8, signed: false)),
    HTJ2KCase(
        name: "garbage above signed 12",
        layout: layout(24, 20, allocated: 16, stored: 12, signed: true),
        garbageHighBits: true
    ),
    HTJ2KCase(
        name: "garbage above unsigned 10",
        layout: layout(24, 20, allocated: 16, stored: 10, signed: false),
        garbageHighBits: true
    ),
]

/// The OpenJPH codec: lossless is bit-exact through three decoders (OpenJPH, the OpenJPEG library
/// we link, pylibjpeg-openjpeg), signed data keeps its depth and sign, lossy decodes agree, the rate
/// search lands within ±5%, and OpenJPH failures come back as typed errors with its messages.
@Suite struct HTJ2KCodecTests {
    @Test(.needs(.python), arguments: htj2kCases)
    func losslessIsExactThroughEveryDecoder(_ testCase: HTJ2KCase) throws {
        let frame = makeTestFrame(testCase.layout, seed: 7, garbageHighBits: testCase.garbageHighBits)
        let options = JPEG2000EncodingOptions(mode: .lossless, colorTransform: testCase.layout.samplesPerPixel == 3)
        let encoded = try HTJ2KEncoder.encode(
            frame.bytes,
            layout: testCase.layout,
            options: options,
            logger: quietLogger
        )
        #expect(encoded.quantizationStep == nil && encoded.frame.passes == 1)
        let codestream = encoded.frame.codestream
        let siz = try #require(parseSIZ(codestream))
        #expect(siz.width == testCase.layout.columns && siz.height == testCase.layout.rows)
        #expect(siz.precisions.allSatisfy { $0 == testCase.layout.bitsStored }, "precision \(siz.precisions)")
        #expect(siz.signed.allSatisfy { $0 == testCase.layout.isSigned })
        #expect(hasHTCapability(codestream), "CAP marker with Part 15 capabilities")

        let ours = try HTJ2KDecoder.decode(codestream, logger: quietLogger)
        #expect(ours.samples == frame.values, "OpenJPH round trip")
        let openJPEG = try JPEG2000Decoder.decode(codestream, logger: quietLogger)
        #expect(openJPEG.samples == frame.values, "OpenJPEG decode")
        #expect(openJPEG.precision == testCase.layout.bitsStored && openJPEG.isSigned == testCase.layout.isSigned)
        do {
            let python = try checkWithPylibjpeg(
                codestream,
                expected: frame.values,
                bitsStored: testCase.layout.bitsStored
            )
            #expect(python.max_abs_error == 0, "pylibjpeg max error \(python.max_abs_error)")
            #expect(python.precision == testCase.layout.bitsStored && python.is_signed == testCase.layout.isSigned)
        }
    }

    @Test(.needs(.python), arguments: htj2kCases.filter { $0.layout.pixelCount >= 600 })
    func lossyDecodersAgree(_ testCase: HTJ2KCase) throws {
        let frame = makeTestFrame(testCase.layout, seed: 11)
        let options = JPEG2000EncodingOptions(mode: .lossy(targetRatio: 8), colorTransform: true)
        let encoded = try HTJ2KEncoder.encode(
            frame.bytes,
            layout: testCase.layout,
            options: options,
            logger: quietLogger
        )
        let codestream = encoded.frame.codestream
        let ours = try JPEG2000QualityMetrics.compare(
            original: frame.bytes,
            layout: testCase.layout,
            decoded: HTJ2KDecoder.decode(codestream, logger: quietLogger)
        )
        let openJPEG = try JPEG2000QualityMetrics.compare(
            original: frame.bytes,
            layout: testCase.layout,
            decoded: JPEG2000Decoder.decode(codestream, logger: quietLogger)
        )
        #expect(!ours.isExact)
        #expect(abs(ours.psnr - openJPEG.psnr) <= 0.1, "OpenJPH \(ours.psnr) dB, OpenJPEG \(openJPEG.psnr) dB")
        do {
            let python = try checkWithPylibjpeg(
                codestream,
                expected: frame.values,
                bitsStored: testCase.layout.bitsStored
            )
            let psnr = try #require(python.psnr, "pylibjpeg measured no PSNR")
            #expect(abs(psnr - ours.psnr) <= 0.1, "pylibjpeg \(psnr) dB, ours \(ours.psnr) dB")
        }
        let decoded = try HTJ2KDecoder.decode(codestream, logger: quietLogger)
        let bits = testCase.layout.bitsStored
        let low = testCase.layout.isSigned ? -(1 << (bits - 1)) : 0
        let high = testCase.layout.isSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1
        #expect(decoded.samples.allSatisfy { Int($0) >= low && Int($0) <= high }, "clamped to the SIZ range")
    }

    @Test func rateSearchHitsEveryTargetWithinFivePercent() throws {
        let frames = try phantomFrames() + (realCTFrames() ?? [])
        for target in [10.0, 20, 50, 100, 200, 500] {
            var previousStep: Double?
            for frame in frames where frame.layout.pixelCount >= 512 * 512 {
                let options = JPEG2000EncodingOptions(mode: .lossy(targetRatio: target))
                let encoded = try HTJ2KEncoder.encode(
                    frame.bytes,
                    layout: frame.layout,
                    options: options,
                    startStep: previousStep,
                    logger: quietLogger
                )
                #expect(
                    abs(encoded.frame.ratio / target - 1) <= 0.05,
                    "\(frame.name) at \(target): \(encoded.frame.ratio) after \(encoded.frame.passes) encodes"
                )
                #expect((1...HTJ2KEncoder.maximumEncodes).contains(encoded.frame.passes))
                previousStep = encoded.quantizationStep
            }
        }
    }

    @Test func warmStartNeedsNoMoreEncodesThanThePrior() throws {
        let phantom = try phantomFrames()
        var cold = 0
        var warm = 0
        for target in [20.0, 100, 400] {
            let options = JPEG2000EncodingOptions(mode: .lossy(targetRatio: target))
            var step: Double?
            for frame in phantom {
                let first = try HTJ2KEncoder.encode(
                    frame.bytes,
                    layout: frame.layout,
                    options: options,
                    logger: quietLogger
                )
                cold += first.frame.passes
                // The same slice again from where it ended: what a neighbouring slice starts from.
                let again = try HTJ2KEncoder.encode(
                    frame.bytes,
                    layout: frame.layout,
                    options: options,
                    startStep: step ?? first.quantizationStep,
                    logger: quietLogger
                )
                warm += again.frame.passes
                step = first.quantizationStep
            }
        }
        #expect(warm <= cold, "warm \(warm) encodes, cold \(cold)")
    }

    @Test func brokenCodestreamsAreTypedErrorsWithOpenJPHMessages() throws {
        let frame = makeTestFrame(layout(64, 64, allocated: 16, stored: 12, signed: true), seed: 3)
        let codestream = try HTJ2KEncoder.encode(
            frame.bytes,
            layout: frame.layout,
            options: JPEG2000EncodingOptions(mode: .lossless),
            logger: quietLogger
        ).frame.codestream
        let garbage: [UInt8] = [0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x05, 1, 2, 3]
        let error = try #require(throws: JPEG2000Error.self) { try HTJ2KDecoder.decode(garbage, logger: quietLogger) }
        #expect(error == .decodingFailed)
        #expect(error.openJPEGMessages.contains { $0.contains("ojph error") }, "OpenJPH's message: \(error)")
        #expect(throws: JPEG2000Error.decodingFailed) { try HTJ2KDecoder.decode([], logger: quietLogger) }
        #expect(throws: JPEG2000Error.imageTooLarge) {
            try HTJ2KDecoder.decode(codestream, maximumSampleCount: 100, logger: quietLogger)
        }
        #expect(throws: JPEG2000Error.sampleCountMismatch) {
            try HTJ2KEncoder.encode(
                frame.bytes.dropLast(2),
                layout: frame.layout,
                options: JPEG2000EncodingOptions(mode: .lossless),
                logger: quietLogger
            )
        }
        #expect(throws: JPEG2000Error.invalidOptions) {
            try HTJ2KEncoder.encode(
                frame.bytes,
                layout: frame.layout,
                options: JPEG2000EncodingOptions(mode: .lossy(targetRatio: 0.5)),
                logger: quietLogger
            )
        }
    }

    @Test func concurrentEncodesMatchSerialOnes() throws {
        let frames = try phantomFrames()
        let options = JPEG2000EncodingOptions(mode: .lossy(targetRatio: 50))
        let serial = try frames.map {
            try HTJ2KEncoder.encode($0.bytes, layout: $0.layout, options: options, logger: quietLogger).frame.codestream
        }
        let results = Results(count: frames.count * 8)
        DispatchQueue.concurrentPerform(iterations: frames.count * 8) { index in
            let frame = frames[index % frames.count]
            results.set(
                index,
                try? HTJ2KEncoder.encode(frame.bytes, layout: frame.layout, options: options, logger: quietLogger).frame
                    .codestream
            )
        }
        for index in 0..<(frames.count * 8) {
            #expect(results.get(index) == serial[index % frames.count], "encode \(index)")
        }
    }

    /// Code-block bypass: the COD style says so, lossless stays exact, lossy decodes in pylibjpeg.
    @Test(.needs(.python)) func fastPart1UsesBypassAndStaysCorrect() throws {
        let frames = try phantomFrames()
        for frame in frames {
            let lossless = try JPEG2000Encoder.encode(
                frame.bytes,
                layout: frame.layout,
                options: JPEG2000EncodingOptions(mode: .lossless, speed: .fast),
                logger: quietLogger
            )
            #expect(codeBlockStyle(lossless.codestream) == 0x01, "bypass flag")
            #expect(try JPEG2000Decoder.decode(lossless.codestream, logger: quietLogger).samples == frame.values)
            let lossy = try JPEG2000Encoder.encode(
                frame.bytes,
                layout: frame.layout,
                options: JPEG2000EncodingOptions(mode: .lossy(targetRatio: 100), speed: .fast),
                logger: quietLogger
            )
            #expect(codeBlockStyle(lossy.codestream) == 0x01)
            #expect(abs(lossy.ratio / 100 - 1) <= 0.10, "fast ratio \(lossy.ratio)")
            let standard = try JPEG2000Encoder.encode(
                frame.bytes,
                layout: frame.layout,
                options: JPEG2000EncodingOptions(mode: .lossy(targetRatio: 100)),
                logger: quietLogger
            )
            #expect(codeBlockStyle(standard.codestream) == 0x00)
            do {
                let python = try checkWithPylibjpeg(
                    lossless.codestream,
                    expected: frame.values,
                    bitsStored: frame.layout.bitsStored
                )
                #expect(python.max_abs_error == 0)
            }
        }
    }

    @Test func stepSearchConvergesOnACurvedMonotoneFunction() {
        // Falling and curved like log(bytes) against log(step); the target 13 is at x ≈ −2.39.
        func y(_ x: Double) -> Double { 12 - 0.3 * x - 0.05 * x * x * (x < 0 ? -1 : 1) }
        var search = StepSearch(range: -14...1.5, priorSlope: -0.6)
        var x = -6.0
        var evaluations = 0
        while evaluations < 20 {
            evaluations += 1
            let residual = y(x) - 13
            if abs(residual) < 0.01 { break }
            guard let next = search.record(x: x, residual: residual) else { break }
            x = next
        }
        #expect(abs(y(x) - 13) < 0.01, "ended at \(x) after \(evaluations)")
        #expect(evaluations <= 8)
    }
}

/// SPcod's code-block style byte of the COD segment (0x01 = selective arithmetic coding bypass).
func codeBlockStyle(_ codestream: [UInt8]) -> UInt8? {
    var position = 2
    while position + 4 <= codestream.count {
        let marker = Int(codestream[position]) << 8 | Int(codestream[position + 1])
        let length = Int(codestream[position + 2]) << 8 | Int(codestream[position + 3])
        if marker == 0xFF52 { return position + 12 < codestream.count ? codestream[position + 12] : nil }
        if marker == 0xFF90 { return nil }
        position += 2 + length
    }
    return nil
}

/// Whether the main header has a CAP marker (FF50) announcing Part 15 (Pcap bit 15 of 32 set).
func hasHTCapability(_ codestream: [UInt8]) -> Bool {
    var position = 2
    while position + 8 <= codestream.count {
        let marker = Int(codestream[position]) << 8 | Int(codestream[position + 1])
        let length = Int(codestream[position + 2]) << 8 | Int(codestream[position + 3])
        if marker == 0xFF50 {
            let pcap =
                UInt32(codestream[position + 4]) << 24 | UInt32(codestream[position + 5]) << 16
                | UInt32(codestream[position + 6]) << 8 | UInt32(codestream[position + 7])
            return pcap & 0x0002_0000 != 0
        }
        if marker == 0xFF90 { return false }
        position += 2 + length
    }
    return false
}

/// Codestreams from concurrent work, one slot each.
final class Results: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var slots: [[UInt8]?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: [UInt8]?) { lock.withLock { slots[index] = value } }
    func get(_ index: Int) -> [UInt8]? { lock.withLock { slots[index] } }
}
