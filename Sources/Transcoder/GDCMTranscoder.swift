import DICOM
import Foundation
import JPEG2000
import Logging

/// The same job as ``Transcoder``, done by `gdcmconv` in a child process per file: the earlier
/// prototype's method, kept for comparison runs (`compressionLibrary: gdcmconv`, `bench`).
///
/// It runs the same transcodability check as ``Transcoder`` first, so both copy the same files
/// unchanged. The output is whatever `gdcmconv` writes (its own lossy attributes included);
/// ratio and quality are measured the same way as ours: codestream bytes from the output's
/// fragments, quality by decoding those codestreams with our decoder.
public struct GDCMTranscoder: Sendable {
    public var options: TranscoderOptions
    public let backend: GDCMConvBackend
    private let logger: Logger

    /// `nil` when `backend` is `nil` (by default: when `gdcmconv` is not installed).
    public init?(options: TranscoderOptions, logger: Logger, backend: GDCMConvBackend? = GDCMConvBackend()) {
        guard let backend else { return nil }
        self.options = options
        self.backend = backend
        self.logger = logger
    }

    /// Transcodes one file with `gdcmconv`, in a private temporary directory removed afterwards.
    /// Blocking; callable from several threads at once (each call has its own directory and child).
    /// - Throws: as ``Transcoder/transcode(_:)``, plus ``TranscoderError/externalToolFailed`` when
    ///   `gdcmconv` fails or writes something other than encapsulated JPEG 2000, and
    ///   ``TranscoderError/ioFailed`` for the temporary files.
    public func transcode(_ input: [UInt8]) throws(TranscoderError) -> TranscodeOutcome {
        try options.validate()
        guard let file = try NativeImage.parse(input, options: options.readOptions) else {
            return .notTranscodable(reason: "not DICOM")
        }
        let image: NativeImage
        switch try NativeImage.check(file, maxFrames: options.maxFrames) {
        case .notTranscodable(let reason): return .notTranscodable(reason: reason)
        case .image(let checked): image = checked
        }
        let mode: GDCMConvBackend.Mode
        switch options.mode {
        case .lossless:
            mode = .lossless
        case .lossy(let ratio):
            mode = .lossy(
                rate: GDCMConvBackend.gdcmRate(
                    target: ratio,
                    bitsAllocated: image.layout.bitsAllocated,
                    bitsStored: image.layout.bitsStored
                )
            )
        case .targetPSNR, .maxError:
            throw .invalidOptions("gdcmconv has no quality target; use the in-process transcoder")
        }
        guard options.codec == .jpeg2000, options.speed == .standard else {
            throw .invalidOptions("gdcmconv writes JPEG 2000 Part 1 at standard speed only")
        }

        let (output, run) = try withPrivateDirectory { directory throws(TranscoderError) in
            let inputPath = directory + "/in.dcm"
            let outputPath = directory + "/out.dcm"
            // De-identified our way before gdcmconv sees it (pixel data untouched, so the frames
            // checked above still describe it): both backends give the same guarantees and, for
            // lossless, the same UIDs; gdcmconv never reads an identifier, and what it adds (a
            // fresh lossy SOP Instance UID, a Source Image Sequence pointing at the replaced UID,
            // derivation attributes) carries none.
            try Self.write(try Transcoder.deidentifiedCopy(input, options: options), to: inputPath)
            let run: GDCMConvBackend.Run
            do {
                run = try backend.transcode(input: inputPath, output: outputPath, mode: mode)
            } catch {
                throw .externalToolFailed("gdcmconv \(mode)", underlying: "\(error)")
            }
            return (try Self.read(outputPath), run)
        }

        let codestreams = try Self.codestreams(in: output, frames: image.frameCount)
        var quality = options.qualityCheck ? QualityAccumulator(bitsStored: image.layout.bitsStored) : nil
        if quality != nil {
            for (index, codestream) in codestreams.enumerated() {
                let metrics = try Transcoder.measure(
                    codestream,
                    against: image.frames[index],
                    image: image,
                    frame: index,
                    logger
                )
                quality?.add(
                    rmse: metrics.rmse,
                    maxAbsError: metrics.maxAbsoluteError,
                    sampleCount: metrics.sampleCount
                )
            }
        }
        // gdcmconv's codestreams in our output: the same attributes as the in-process transcoder
        // (Lossy Image Compression, Ratio and Method, Image Type DERIVED, UIDs), which gdcmconv
        // partly leaves out. Colour images keep gdcmconv's own file: its codestreams may carry a
        // colour transform that its Photometric Interpretation, not ours, describes.
        let bytes: [UInt8]
        if case .monochrome = image.color {
            bytes = try Transcoder.assemble(
                file,
                image: image,
                codestreams: codestreams,
                lossless: options.mode == .lossless,
                options: options
            )
        } else {
            bytes = output
        }
        return .transcoded(
            TranscodedFile(
                bytes: bytes,
                frames: image.frameCount,
                pixelBytes: image.pixelBytes,
                codestreamBytes: codestreams.reduce(0) { $0 + $1.count },
                quality: quality?.result,
                externalUsage: run
            )
        )
    }

    /// As ``Transcoder/deidentifiedCopy(_:)``: for a file not transcoded, the input de-identified
    /// (or unchanged without a de-identifier).
    public func deidentifiedCopy(_ input: [UInt8]) throws(TranscoderError) -> [UInt8] {
        try Transcoder.deidentifiedCopy(input, options: options)
    }

    /// Each frame's codestream in `gdcmconv`'s output: its fragments joined, without the zero byte
    /// that pads an odd-length codestream (after the EOC marker `FF D9`) to an even fragment.
    static func codestreams(in output: [UInt8], frames: Int) throws(TranscoderError) -> [[UInt8]] {
        let file: DICOMFile
        do {
            file = try DICOMFile(bytes: output)
        } catch {
            throw .externalToolFailed("gdcmconv's output does not parse", underlying: "\(error)")
        }
        let syntax = file.transferSyntax
        guard syntax == .jpeg2000 || syntax == .jpeg2000Lossless,
            case .encapsulated(let pixels) = file.dataSet.pixelData
        else {
            throw .externalToolFailed("gdcmconv wrote \(syntax), not encapsulated JPEG 2000")
        }
        let perFrame: [[ArraySlice<UInt8>]]
        do {
            perFrame = try pixels.frameFragments(
                frameCount: frames,
                extendedOffsets: file.dataSet.extendedOffsetTable?.offsets
            )
        } catch {
            throw .externalToolFailed("gdcmconv's fragments do not split into \(frames) frames", underlying: "\(error)")
        }
        return perFrame.map { fragments in
            var codestream = Array(fragments.joined())
            let count = codestream.count
            if count >= 3, codestream[count - 1] == 0, codestream[count - 3] == 0xFF, codestream[count - 2] == 0xD9 {
                codestream.removeLast()
            }
            return codestream
        }
    }

    /// Runs `body` in a fresh directory only this process's user can enter, removed afterwards.
    private func withPrivateDirectory<T>(_ body: (String) throws(TranscoderError) -> T) throws(TranscoderError) -> T {
        var template = Array((FileManager.default.temporaryDirectory.path + "/dicom-j2k-gdcm-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard created != nil else {
            throw .ioFailed("cannot create a temporary directory", underlying: String(cString: strerror(errno)))
        }
        let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try body(directory)
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(TranscoderError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw .ioFailed("cannot write \(path)", underlying: "\(error)")
        }
    }

    private static func read(_ path: String) throws(TranscoderError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .ioFailed("cannot read \(path)", underlying: "\(error)")
        }
    }
}
