import Foundation
import JPEG2000
import Logging
import SampleStudy
import TestSupport
import Testing

private let logger = Logger(label: "SampleStudyTests", factory: { _ in SwiftLogNoOpLogHandler() })

@Suite struct CTPhantomTests {
    @Test func slicesAreDeterministicPerSeedAndDifferAcrossSlices() throws {
        let phantom = CTPhantom()
        let first = try phantom.pixels(forSlice: 100, of: 399)
        #expect(first.count == 512 * 512)
        #expect(try CTPhantom().pixels(forSlice: 100, of: 399) == first)
        #expect(try CTPhantom(seed: 7).pixels(forSlice: 100, of: 399) != first)
        #expect(try phantom.pixels(forSlice: 101, of: 399) != first)
    }

    @Test func valuesLookLikeCT() throws {
        let phantom = CTPhantom()
        let chest = try phantom.pixels(forSlice: 80, of: 399)
        let abdomen = try phantom.pixels(forSlice: 230, of: 399)
        for slice in [chest, abdomen] {
            #expect(slice.allSatisfy { (CTPhantom.minimumValue...CTPhantom.maximumValue).contains($0) })
            #expect(fraction(slice) { $0 < -900 } > 0.3, "air around the body and outside the field of view")
            #expect(fraction(slice) { (-150)...(-60) ~= $0 } > 0.03, "fat")
            #expect(fraction(slice) { 20...90 ~= $0 } > 0.05, "soft tissue")
            #expect(fraction(slice) { $0 > 500 } > 0.002, "cortical bone")
        }
        #expect(fraction(chest) { (-900)...(-750) ~= $0 } > 0.05, "lung parenchyma in the chest")
        #expect(fraction(abdomen) { (-900)...(-750) ~= $0 } < 0.01, "no lungs in the abdomen")

        // Noise: the air in front of the body, inside the field of view (rows 40–70, columns 200–310).
        var patch: [Double] = []
        for row in 40..<70 { for column in 200..<310 { patch.append(Double(chest[row * 512 + column])) } }
        let mean = patch.reduce(0, +) / Double(patch.count)
        let sigma = (patch.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(patch.count)).squareRoot()
        print("phantom air patch: mean \(mean) HU, sigma \(sigma) HU")
        #expect(abs(mean + 1000) < 10)
        #expect((8...25).contains(sigma))
    }

    @Test func otherSizesAndBadArguments() throws {
        let phantom = CTPhantom()
        #expect(try phantom.pixels(forSlice: 0, of: 1, rows: 64, columns: 48).count == 64 * 48)
        #expect(try phantom.pixels(forSlice: 0, of: 1, rows: 1, columns: 1).count == 1)
        for (slice, count, rows) in [(0, 0, 512), (-1, 5, 512), (5, 5, 512), (0, 5, 0), (0, 5, 5000)] {
            #expect(throws: SampleStudyError.invalidArgument) {
                try phantom.pixels(forSlice: slice, of: count, rows: rows, columns: 512)
            }
        }
    }

    /// The phantom must compress like CT: at 100:1 the ratio lands on target and the PSNR sits in the
    /// range real CT reaches, printed next to pydicom's CT_small (real CT) for comparison.
    @Test(.needs(.python, .pydicomTestFiles)) func phantomCompressesLikeCT() throws {
        let layout = JPEG2000SampleLayout(rows: 512, columns: 512, bitsAllocated: 16, bitsStored: 12, isSigned: true)
        let phantom = CTPhantom()
        for slice in [60, 200, 340] {
            let bytes = littleEndian(try phantom.pixels(forSlice: slice, of: 399))
            let lossless = try JPEG2000Encoder.encode(
                bytes,
                layout: layout,
                options: .init(mode: .lossless),
                logger: logger
            )
            let lossy = try JPEG2000Encoder.encode(
                bytes,
                layout: layout,
                options: .init(mode: .lossy(targetRatio: 100)),
                logger: logger
            )
            let decoded = try JPEG2000Decoder.decode(lossy.codestream, logger: logger)
            let metrics = try JPEG2000QualityMetrics.compare(original: bytes, layout: layout, decoded: decoded)
            print(
                "phantom slice \(slice): lossless \(String(format: "%.2f", lossless.ratio)):1, "
                    + "100:1 achieved \(String(format: "%.2f", lossy.ratio)):1 PSNR \(String(format: "%.2f", metrics.psnr)) dB "
                    + "RMSE \(String(format: "%.1f", metrics.rmse)) max error \(metrics.maxAbsoluteError)"
            )
            #expect(abs(lossy.ratio / 100 - 1) <= 0.10)
        }
        do {
            let python = try TestEnvironment.require(TestEnvironment.python, "DICOM_J2K_PYTHON")
            let files = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "DICOM_J2K_PYDICOM_TEST_FILES")
            try withTemporaryDirectory { folder in
                let raw = folder.appendingPathComponent("ct.raw")
                let script = TestEnvironment.testsFolder("python/dicom_pixels.py").path
                let result = try runProcess(
                    python,
                    [script, files.appendingPathComponent("CT_small.dcm").path, raw.path]
                )
                #expect(result.status == 0, "\(result.stderr)")
                let bytes = [UInt8](try Data(contentsOf: raw))
                let real = JPEG2000SampleLayout(
                    rows: 128,
                    columns: 128,
                    bitsAllocated: 16,
                    bitsStored: 16,
                    isSigned: true
                )
                let lossless = try JPEG2000Encoder.encode(
                    bytes,
                    layout: real,
                    options: .init(mode: .lossless),
                    logger: logger
                )
                let lossy = try JPEG2000Encoder.encode(
                    bytes,
                    layout: real,
                    options: .init(mode: .lossy(targetRatio: 100)),
                    logger: logger
                )
                let decoded = try JPEG2000Decoder.decode(lossy.codestream, logger: logger)
                let metrics = try JPEG2000QualityMetrics.compare(original: bytes, layout: real, decoded: decoded)
                print(
                    "CT_small (real CT, 128x128, 16 bits stored): lossless \(String(format: "%.2f", lossless.ratio)):1, "
                        + "100:1 achieved \(String(format: "%.2f", lossy.ratio)):1 PSNR \(String(format: "%.2f", metrics.psnr)) dB "
                        + "(peak 65535) RMSE \(String(format: "%.1f", metrics.rmse)) max error \(metrics.maxAbsoluteError)"
                )
            }
        }
    }
}

private func fraction(_ values: [Int16], where predicate: (Int16) -> Bool) -> Double {
    Double(values.lazy.filter(predicate).count) / Double(values.count)
}

private func littleEndian(_ samples: [Int16]) -> [UInt8] {
    samples.flatMap { sample -> [UInt8] in
        let raw = UInt16(bitPattern: sample)
        return [UInt8(truncatingIfNeeded: raw), UInt8(truncatingIfNeeded: raw >> 8)]
    }
}
