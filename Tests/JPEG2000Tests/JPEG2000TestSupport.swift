import Foundation
import JPEG2000
import Logging
import TestSupport

let quietLogger = Logger(label: "JPEG2000Tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A frame built for a test: the bytes as a DICOM file would hold them, and the true sample values
/// (pixel by pixel, components interleaved) that any decoder must return for a lossless round trip.
struct TestFrame {
    var layout: JPEG2000SampleLayout
    var bytes: [UInt8]
    var values: [Int32]
}

/// Deterministic xorshift numbers for test data.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// A frame of `layout` whose samples cover the full stored range: a diagonal ramp (structure) plus
/// random values (texture), with the extremes of the range present. With `garbageHighBits`, the bits
/// above Bits Stored are random instead of zero / the sign extension, as with embedded overlays.
func makeTestFrame(_ layout: JPEG2000SampleLayout, seed: UInt64, garbageHighBits: Bool = false) -> TestFrame {
    var random = TestRandom(seed: seed)
    let bits = layout.bitsStored
    let low: Int64 = layout.isSigned ? -(1 << (bits - 1)) : 0
    let high: Int64 = layout.isSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1
    let span = high - low + 1
    let pixels = layout.rows * layout.columns
    var values = [Int32](repeating: 0, count: pixels * layout.samplesPerPixel)
    for pixel in 0..<pixels {
        let row = pixel / layout.columns
        let column = pixel % layout.columns
        for component in 0..<layout.samplesPerPixel {
            let ramp = Int64((row + column) * 37 + component * 11) % span
            let noise = Int64(random.next() % UInt64(max(1, span / 8)))
            var value = low + (ramp + noise) % span
            if pixel == 0 { value = low }
            if pixel == pixels - 1 { value = high }
            values[pixel * layout.samplesPerPixel + component] = Int32(value)
        }
    }
    let bytesPerSample = layout.bitsAllocated / 8
    var bytes = [UInt8](repeating: 0, count: layout.frameByteCount)
    let storedMask: UInt32 = (1 << UInt32(bits)) - 1
    let allocatedMask: UInt32 = layout.bitsAllocated == 8 ? 0xFF : 0xFFFF
    for index in values.indices {
        var raw = UInt32(bitPattern: values[index]) & allocatedMask  // two's complement, sign-extended
        if garbageHighBits {
            raw = (raw & storedMask) | (UInt32(truncatingIfNeeded: random.next()) & allocatedMask & ~storedMask)
        }
        let pixel = index / layout.samplesPerPixel
        let component = index % layout.samplesPerPixel
        let slot = layout.planarConfiguration == .planar ? component * pixels + pixel : index
        bytes[slot * bytesPerSample] = UInt8(truncatingIfNeeded: raw)
        if bytesPerSample == 2 { bytes[slot * 2 + 1] = UInt8(truncatingIfNeeded: raw >> 8) }
    }
    return TestFrame(layout: layout, bytes: bytes, values: values)
}

/// The SIZ marker segment of a codestream: image size and, per component, precision and sign.
struct SIZSegment {
    var width: Int
    var height: Int
    var precisions: [Int]
    var signed: [Bool]
}

/// Parses the SIZ segment that must follow SOC (`FF 4F FF 51`) at the start of a raw codestream.
func parseSIZ(_ codestream: [UInt8]) -> SIZSegment? {
    guard codestream.count > 42, codestream[0] == 0xFF, codestream[1] == 0x4F, codestream[2] == 0xFF,
        codestream[3] == 0x51
    else { return nil }
    func u16(_ at: Int) -> Int { Int(codestream[at]) << 8 | Int(codestream[at + 1]) }
    func u32(_ at: Int) -> Int { u16(at) << 16 | u16(at + 2) }
    // After the marker: Lsiz(2) Rsiz(2) Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz (4 each) Csiz(2).
    let components = u16(40)
    guard codestream.count >= 42 + 3 * components else { return nil }
    var precisions: [Int] = []
    var signed: [Bool] = []
    for index in 0..<components {
        let ssiz = codestream[42 + 3 * index]
        precisions.append(Int(ssiz & 0x7F) + 1)
        signed.append(ssiz & 0x80 != 0)
    }
    return SIZSegment(
        width: u32(8) - u32(16),
        height: u32(12) - u32(20),
        precisions: precisions,
        signed: signed
    )
}

/// What `Tests/python/j2k_check.py` reports after decoding with pylibjpeg-openjpeg.
struct PythonJ2KResult: Decodable {
    var rows: Int
    var columns: Int
    var samples_per_pixel: Int
    var precision: Int
    var is_signed: Bool
    var max_abs_error: Int
    var rmse: Double
    var psnr: Double?
}

/// Decodes `codestream` with pylibjpeg-openjpeg (an independent decoder) and compares it with
/// `expected` (the test declares `.needs(.python)`).
func checkWithPylibjpeg(_ codestream: [UInt8], expected: [Int32], bitsStored: Int) throws -> PythonJ2KResult {
    let python = try TestEnvironment.require(TestEnvironment.python, "DICOM_J2K_PYTHON")
    return try withTemporaryDirectory { folder in
        let codestreamURL = folder.appendingPathComponent("frame.j2k")
        let expectedURL = folder.appendingPathComponent("expected.i32")
        try Data(codestream).write(to: codestreamURL)
        var littleEndian = Data(capacity: expected.count * 4)
        for value in expected {
            withUnsafeBytes(of: value.littleEndian) { littleEndian.append(contentsOf: $0) }
        }
        try littleEndian.write(to: expectedURL)
        let script = TestEnvironment.testsFolder("python/j2k_check.py").path
        let result = try runProcess(python, [script, codestreamURL.path, expectedURL.path, String(bitsStored)])
        guard result.status == 0 else {
            throw PythonCheckFailure(script: "j2k_check.py", status: result.status, stderr: result.stderr)
        }
        return try JSONDecoder().decode(PythonJ2KResult.self, from: Data(result.stdout.utf8))
    }
}

struct PythonCheckFailure: Error, CustomStringConvertible {
    var script: String
    var status: Int32
    var stderr: String
    var description: String { "\(script) exited with \(status): \(stderr)" }
}

/// Raw pixels of a DICOM file's first frame, via pydicom (`Tests/python/dicom_pixels.py`).
struct DICOMFrame: Decodable {
    var rows: Int
    var columns: Int
    var samples_per_pixel: Int
    var bits_allocated: Int
    var bits_stored: Int
    var pixel_representation: Int
    var planar_configuration: Int
    var bytes: [UInt8] = []

    private enum CodingKeys: String, CodingKey {
        case rows, columns, samples_per_pixel, bits_allocated, bits_stored, pixel_representation
        case planar_configuration
    }

    var layout: JPEG2000SampleLayout {
        JPEG2000SampleLayout(
            rows: rows,
            columns: columns,
            samplesPerPixel: samples_per_pixel,
            bitsAllocated: bits_allocated,
            bitsStored: bits_stored,
            isSigned: pixel_representation == 1,
            planarConfiguration: planar_configuration == 1 ? .planar : .interleaved
        )
    }
}

/// Reads a pydicom test file's first frame (the test declares `.needs(.python, .pydicomTestFiles)`).
func loadPydicomFrame(_ name: String) throws -> DICOMFrame {
    let python = try TestEnvironment.require(TestEnvironment.python, "DICOM_J2K_PYTHON")
    let files = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "DICOM_J2K_PYDICOM_TEST_FILES")
    return try withTemporaryDirectory { folder in
        let output = folder.appendingPathComponent("frame.raw")
        let script = TestEnvironment.testsFolder("python/dicom_pixels.py").path
        let result = try runProcess(python, [script, files.appendingPathComponent(name).path, output.path])
        guard result.status == 0 else {
            throw PythonCheckFailure(script: "dicom_pixels.py", status: result.status, stderr: result.stderr)
        }
        var frame = try JSONDecoder().decode(DICOMFrame.self, from: Data(result.stdout.utf8))
        frame.bytes = [UInt8](try Data(contentsOf: output))
        return frame
    }
}

/// Signed 16-bit samples as little-endian bytes.
func littleEndianBytes(_ samples: [Int16]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: samples.count * 2)
    for (index, sample) in samples.enumerated() {
        let raw = UInt16(bitPattern: sample)
        bytes[2 * index] = UInt8(truncatingIfNeeded: raw)
        bytes[2 * index + 1] = UInt8(truncatingIfNeeded: raw >> 8)
    }
    return bytes
}
