// libFuzzer entry point through the transcoder: parse, the pixel checks, and (for small images)
// the OpenJPEG encode and the quality check, with the production limits (TranscoderOptions'
// defaults). Compiled by scripts/fuzz.sh with Sources/DICOM, Sources/JPEG2000 and
// Sources/Transcoder as separate modules. Any crash, sanitizer report, hang or failed invariant is
// a finding; an error thrown is not.
import DICOM
import JPEG2000
import Logging
import Transcoder

private let quiet = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
private let lossless = Transcoder(options: TranscoderOptions(mode: .lossless), logger: quiet)
private let lossy = Transcoder(options: TranscoderOptions(mode: .lossy(ratio: 10), qualityCheck: true), logger: quiet)

/// Larger images are checked but not encoded, so the fuzzer spends its time on input handling,
/// not on OpenJPEG's wavelet of big frames.
private let maximumEncodedBytes = 64 << 10

@_cdecl("LLVMFuzzerTestOneInput")
public func transcoderFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let transcoder = size % 2 == 0 ? lossless : lossy
    do {
        guard let inputs = try transcoder.encoderInputs(bytes) else {
            // Copied: transcode must agree and return a reason.
            guard case .notTranscodable(let reason) = try transcoder.transcode(bytes) else {
                fatalError("encoderInputs refused a file that transcode transcoded")
            }
            check(reason)
            return 0
        }
        guard inputs.frames.count * inputs.layout.frameByteCount <= maximumEncodedBytes else { return 0 }
        switch try transcoder.transcode(bytes) {
        case .notTranscodable(let reason):
            fatalError("transcode copied a file encoderInputs accepted: \(reason)")
        case .transcoded(let output):
            // Invariant: our output reads back, with one fragment per frame.
            let file: DICOMFile
            do {
                file = try DICOMFile(bytes: output.bytes)
            } catch {
                fatalError("re-reading our own output failed: \(error)")
            }
            guard case .encapsulated(let pixels) = file.dataSet.pixelData, pixels.fragments.count == output.frames,
                output.frames == inputs.frames.count
            else { fatalError("the output does not hold one fragment per frame") }
            if let quality = output.quality, transcoder.options.mode == .lossless, !quality.isExact {
                fatalError("lossless output is not exact")
            }
        }
    } catch {
        check(error.description)
    }
    return 0
}

/// Reasons and errors quote file values only cut short and escaped.
private func check(_ text: String) {
    guard text.unicodeScalars.allSatisfy({ $0.value != 0 && $0.value != 0x1B }) else {
        fatalError("a reason carries a control character: \(text.debugDescription)")
    }
}
