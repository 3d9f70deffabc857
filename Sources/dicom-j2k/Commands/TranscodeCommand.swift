import ArgumentParser
import Foundation
import JPEG2000
import Logging
import Transcoder

/// `dicom-j2k transcode IN OUT`: one file, as the local job does it. A file that is not for us
/// (not DICOM, already compressed, no pixel data, unsupported layout) is copied unchanged; a file
/// that fails is copied unchanged too, with the error on stderr and exit status 1.
struct TranscodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcode",
        abstract: "Compress one DICOM file to JPEG 2000 (or copy it unchanged when it cannot be).",
        discussion: """
            --rate R is uncompressed pixel bytes (as stored, Bits Allocated) per codestream byte; \
            --rate 1 means lossless, like --lossless. --psnr P or --max-error E replace the ratio with a \
            quality target: the smallest output whose every frame reaches it, checked by decoding each \
            frame (stored lossless when no lossy output below the lossless size does). --htj2k writes \
            High-Throughput JPEG 2000 (.203 lossy, .201 lossless) with OpenJPH; --fast uses code-block \
            bypass for JPEG 2000 Part 1. Prints one summary line, or a JSON object with --json.
            """
    )

    @Argument(help: "The DICOM file to read.")
    var input: String

    @Argument(help: "Where to write the output (replaced if it exists).")
    var output: String

    @Option(help: "Target ratio (≥ 1; 1 = lossless). Default 100.")
    var rate: Double?

    @Flag(help: "Lossless (reversible 5/3, transfer syntax .90).")
    var lossless = false

    @Option(
        name: .customLong("psnr"),
        help: "Quality target: at least this PSNR in every frame (dB, peak 2^BitsStored-1)."
    )
    var targetPSNR: Double?

    @Option(help: "Quality target: no sample of any frame off by more than this (stored units).")
    var maxError: Int?

    @Flag(help: "High-Throughput JPEG 2000 (Part 15, OpenJPH): .203 lossy, .201 lossless.")
    var htj2k = false

    @Flag(help: "JPEG 2000 Part 1 with code-block bypass (lazy coding): faster, slightly larger.")
    var fast = false

    @Option(help: "openjpeg (in process) or gdcmconv (external process).")
    var library: TranscoderLibrary = .openjpeg

    @Flag(inversion: .prefixedNo, help: "Decode the output again and report PSNR and maximum error.")
    var qualityCheck = true

    @Option(help: "OpenJPEG threads for each frame.")
    var threads = 1

    @Flag(help: "Print the result as a JSON object.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log OpenJPEG's messages and debug details to stderr.")
    var verbose = false

    func validate() throws {
        if let rate {
            guard rate.isFinite, rate >= 1 else { throw ValidationError("--rate must be a number >= 1") }
            if lossless && rate != 1 { throw ValidationError("--rate and --lossless exclude each other") }
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1…64") }
        let modes = [rate != nil || lossless, targetPSNR != nil, maxError != nil].filter { $0 }.count
        if modes > 1 { throw ValidationError("--rate/--lossless, --psnr and --max-error exclude each other") }
        if let targetPSNR, !(targetPSNR.isFinite && targetPSNR > 0 && targetPSNR <= 200) {
            throw ValidationError("--psnr must be a number of dB in (0, 200]")
        }
        if let maxError, !(0...65_535).contains(maxError) { throw ValidationError("--max-error must be 0…65535") }
        if htj2k && fast { throw ValidationError("--fast is for JPEG 2000 Part 1; HTJ2K is fast already") }
        if library == .gdcmconv && (htj2k || fast || targetPSNR != nil || maxError != nil) {
            throw ValidationError("--library gdcmconv writes JPEG 2000 Part 1 at a ratio only")
        }
    }

    func run() throws {
        var logger = Logger(label: "dicom-j2k")
        logger.logLevel = verbose ? .debug : .warning
        let ratio = lossless ? 1 : rate ?? 100
        let mode: TranscoderOptions.Mode =
            if let targetPSNR { .targetPSNR(targetPSNR) } else if let maxError {
                .maxError(maxError)
            } else if ratio == 1 {
                .lossless
            } else { .lossy(ratio: ratio) }
        var options = TranscoderOptions(mode: mode, qualityCheck: qualityCheck, codecThreads: threads)
        options.codec = htj2k ? .htj2k : .jpeg2000
        options.speed = fast ? .fast : .standard

        let inputBytes: [UInt8]
        do {
            inputBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))
        } catch {
            throw ValidationError("cannot read \(input): \(error.localizedDescription)")
        }
        let started = DispatchTime.now()
        guard let transcoder = library.makeTranscoder(options: options, logger: logger) else {
            throw ValidationError("\(library.rawValue) is not installed (Debian: apt-get install libgdcm-tools)")
        }
        let result = Result<TranscodeOutcome, TranscoderError> { () throws(TranscoderError) in
            try transcoder.transcode(inputBytes)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9

        var report = Report(input: input, output: output, inputBytes: inputBytes.count, seconds: seconds)
        let written: [UInt8]
        switch result {
        case .success(.transcoded(let file)):
            written = file.bytes
            report.status = "compressed"
            report.frames = file.frames
            report.pixelBytes = file.pixelBytes
            report.codestreamBytes = file.codestreamBytes
            report.ratio = file.ratio
            report.codec = file.codec.rawValue
            report.encodesPerFrame = file.encodesPerFrame.isEmpty ? nil : file.encodesPerFrame
            if let target = file.qualityTarget {
                report.qualityTarget = target.target
                report.targetMet = target.met
                report.storedLossless = target.storedLossless
                report.losslessReason = target.reason
            }
            if let quality = file.quality {
                report.psnr = quality.psnr.isFinite ? quality.psnr : nil
                report.rmse = quality.rmse
                report.maxAbsError = quality.maxAbsError
                report.exact = quality.isExact
            }
        case .success(.notTranscodable(let reason)):
            written = inputBytes
            report.status = "copied"
            report.reason = reason
        case .failure(let error):
            written = inputBytes
            report.status = "failed"
            report.error = "\(error)"
        }
        report.outputBytes = written.count
        do {
            try Data(written).write(to: URL(fileURLWithPath: output))
        } catch {
            throw ValidationError("cannot write \(output): \(error.localizedDescription)")
        }
        print(json ? report.json : report.line)
        if case .failure(let error) = result {
            FileHandle.standardError.write(Data("\(input): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// What happened, for the summary line or `--json`.
    struct Report: Encodable {
        var input: String
        var output: String
        var inputBytes: Int
        var seconds: Double
        var status = ""
        var outputBytes = 0
        var frames: Int?
        var pixelBytes: Int?
        var codestreamBytes: Int?
        var ratio: Double?
        /// `nil` (absent) when the output is bit-exact.
        var psnr: Double?
        var rmse: Double?
        var maxAbsError: Int?
        var exact: Bool?
        var reason: String?
        var error: String?
        var codec: String?
        var encodesPerFrame: [Int]?
        var qualityTarget: String?
        var targetMet: Bool?
        var storedLossless: Bool?
        var losslessReason: String?

        var json: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }

        var line: String {
            switch status {
            case "compressed":
                var text =
                    "compressed \(input) -> \(output): \(frames ?? 0) frame(s), \(pixelBytes ?? 0) pixel bytes in "
                    + "\(codestreamBytes ?? 0) codestream bytes, ratio \(String(format: "%.2f", ratio ?? 0)):1"
                if exact == true {
                    text += ", bit-exact"
                } else if let psnr, let maxAbsError {
                    text += ", PSNR \(String(format: "%.2f", psnr)) dB, max error \(maxAbsError)"
                }
                if let qualityTarget {
                    text += ", target \(qualityTarget) " + (targetMet == true ? "met" : "NOT met")
                    if storedLossless == true { text += " (stored lossless: \(losslessReason ?? ""))" }
                }
                return text + ", \(codec ?? "j2k"), \(String(format: "%.3f", seconds)) s"
            case "copied":
                return "copied \(input) -> \(output) unchanged: \(reason ?? "")"
            default:
                return "failed \(input) (copied unchanged to \(output)): \(error ?? "")"
            }
        }
    }
}
