import DICOM
import JPEG2000
import Logging

/// One DICOM file in, one JPEG 2000 DICOM file out (docs/contracts.md, "DICOM output"): in process
/// with OpenJPEG, or HTJ2K with OpenJPH (`options.codec`: .201 lossless / .203 lossy, see docs/transcoding.md).
///
/// The output is Explicit VR Little Endian with encapsulated Pixel Data: a Basic Offset Table and
/// one even-length fragment per frame holding a raw J2K codestream, transfer syntax .90 (lossless)
/// or .91 (lossy). Lossy output is a new, derived image (see ``OutputAttributes``); lossless output
/// keeps the SOP Instance UID, since only the encoding changed (PS3.3 §C.7.6.1.1.5 asks for a new
/// UID when an image is lossy compressed, and PS3.5 treats a lossless transfer syntax change as the
/// same instance).
///
/// Pixel data is not copied on the way in: frames are slices of the input buffer handed straight
/// to the encoder, and the codestreams are written once into the output.
public struct Transcoder: Sendable {
    public var options: TranscoderOptions
    let logger: Logger

    /// Warm starts for the rate and quality searches, shared by copies of this transcoder.
    let hints: SearchHints

    /// - Parameter hints: pass one instance to every transcoder of a job so that all its threads
    ///   warm-start from the series' previous slices.
    public init(options: TranscoderOptions, logger: Logger, hints: SearchHints = SearchHints()) {
        self.options = options
        self.logger = logger
        self.hints = hints
    }

    /// Transcodes one file. Blocking and CPU-bound; callable from several threads at once.
    ///
    /// - Parameter input: the file's bytes (Part 10, or a bare data set).
    /// - Returns: ``TranscodeOutcome/transcoded(_:)``, or ``TranscodeOutcome/notTranscodable(reason:)``
    ///   for input the caller should copy unchanged: not DICOM, already compressed, no pixel data,
    ///   or a layout we do not encode (the reason names it).
    /// - Throws: ``TranscoderError`` when the file should have been transcoded but could not be:
    ///   it does not parse, its Pixel Data is shorter than its attributes say, encoding or the quality
    ///   check failed, or the options are invalid.
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
        let encoded = try encodeFrames(image)
        let codestreams = encoded.codestreams
        let lossless = encoded.lossless
        let quality = encoded.quality
        let codestreamBytes = codestreams.reduce(0) { $0 + $1.count }
        let ratio = Double(image.pixelBytes) / Double(max(1, codestreamBytes))

        let bytes = try Self.assemble(
            file,
            image: image,
            codestreams: codestreams,
            lossless: lossless,
            options: options
        )
        logger.trace(
            "transcoded",
            metadata: [
                "transcoder.frames": "\(image.frameCount)", "transcoder.ratio": "\(ratio)",
                "transcoder.layout": "\(image.layout)",
            ]
        )
        var transcoded = TranscodedFile(
            bytes: bytes,
            frames: image.frameCount,
            pixelBytes: image.pixelBytes,
            codestreamBytes: codestreamBytes,
            quality: quality
        )
        transcoded.codec = options.codec
        transcoded.encodesPerFrame = encoded.encodesPerFrame
        transcoded.qualityTarget = encoded.qualityTarget
        return .transcoded(transcoded)
    }

    /// Decodes `codestream` with our decoder and compares it with the frame it came from (the
    /// decoder undoes the colour transform, so RGB input compares with RGB).
    static func measure(
        _ codestream: [UInt8],
        against frame: ArraySlice<UInt8>,
        image: NativeImage,
        frame index: Int,
        _ logger: Logger
    ) throws(TranscoderError) -> JPEG2000QualityMetrics {
        do {
            let decoded = try JPEG2000Decoder.decode(codestream, logger: logger)
            return try JPEG2000QualityMetrics.compare(original: frame, layout: image.layout, decoded: decoded)
        } catch {
            throw .qualityCheckFailed("frame \(index + 1) of \(image.frameCount)", error)
        }
    }
}

extension Transcoder {
    /// For a file ``transcode(_:)`` did not compress (``TranscodeOutcome/notTranscodable(reason:)``
    /// or a thrown error) when ``TranscoderOptions/deidentifier`` is set: the input de-identified
    /// without touching its pixel data, to ship instead of the unchanged input (see
    /// `Deidentifier.deidentifiedFile`). Without a de-identifier, the input as it is.
    /// - Throws: ``TranscoderError/deidentificationFailed`` when the input is not DICOM or does not
    ///   parse: an anonymizing job must then leave the file out and report it.
    public func deidentifiedCopy(_ input: [UInt8]) throws(TranscoderError) -> [UInt8] {
        try Self.deidentifiedCopy(input, options: options)
    }

    static func deidentifiedCopy(_ input: [UInt8], options: TranscoderOptions) throws(TranscoderError) -> [UInt8] {
        guard let deidentifier = options.deidentifier else { return input }
        do {
            return try deidentifier.deidentifiedFile(input)
        } catch {
            throw .deidentificationFailed("the file cannot be de-identified", error)
        }
    }

    /// The output file for `codestreams`, one per frame of `image`: the input's data set with
    /// encapsulated Pixel Data and our output attributes (docs/contracts.md, "DICOM output"),
    /// de-identified when the options say so, whoever encoded the frames (OpenJPEG, OpenJPH or
    /// gdcmconv).
    static func assemble(
        _ input: DICOMFile,
        image: NativeImage,
        codestreams: [[UInt8]],
        lossless: Bool,
        options: TranscoderOptions
    ) throws(TranscoderError) -> [UInt8] {
        var file = input
        let codestreamBytes = codestreams.reduce(0) { $0 + $1.count }
        let ratio = Double(image.pixelBytes) / Double(max(1, codestreamBytes))
        do {
            file.dataSet.setPixelData(.encapsulated(try EncapsulatedPixelData(frames: codestreams)))
        } catch {
            throw .writeFailed("the encapsulated pixel data does not fit 32-bit offsets", error)
        }
        OutputAttributes.setPixelDescription(&file.dataSet, color: image.color, lossless: lossless)
        if let deidentifier = options.deidentifier {
            do {
                try deidentifier.deidentify(&file)
            } catch {
                throw .deidentificationFailed("de-identifying the output", error)
            }
        }
        switch (options.codec, lossless) {
        case (.jpeg2000, true): file.transferSyntax = .jpeg2000Lossless
        case (.htj2k, true): file.transferSyntax = .htj2kLossless
        case (.jpeg2000, false): file.transferSyntax = .jpeg2000
        case (.htj2k, false): file.transferSyntax = .htj2k  // .203; never .202 (no TLM by resolution)
        }
        if !lossless {
            let method = options.codec == .htj2k ? OutputAttributes.htj2kLossyMethod : OutputAttributes.lossyMethod
            OutputAttributes.markLossy(
                &file.dataSet,
                ratio: ratio,
                newSOPInstanceUID: lossyInstanceUID(file.dataSet, options: options),
                method: method
            )
        }
        do {
            return try file.encoded()
        } catch {
            throw .writeFailed("encoding the output data set", error)
        }
    }

    /// The lossy output's new SOP Instance UID: with a de-identifier, derived from the (already
    /// replaced) SOP Instance UID through the job's remapper, so it is consistent within the job
    /// like every other replaced UID; otherwise a fresh one.
    static func lossyInstanceUID(_ dataSet: DataSet, options: TranscoderOptions) -> String {
        guard let deidentifier = options.deidentifier, let instance = dataSet.string(.sopInstanceUID),
            !instance.isEmpty
        else { return UID.generate() }
        return deidentifier.uidRemapper.derived(from: instance, purpose: "lossy JPEG 2000")
    }

    /// The encoder options for `image`: the mode, and the colour transform for RGB only.
    func encodingOptions(for image: NativeImage) -> JPEG2000EncodingOptions {
        JPEG2000EncodingOptions(
            mode: {
                switch options.mode {
                case .lossless: .lossless
                case .lossy(let ratio): .lossy(targetRatio: ratio)
                // The quality search sets its own step or rate on every encode.
                case .targetPSNR, .maxError: .lossy(targetRatio: 10)
                }
            }(),
            colorTransform: image.color == .rgb,
            codecThreads: options.codecThreads,
            speed: options.speed
        )
    }

    /// What ``transcode(_:)`` would hand to the encoder for `input`: its frames (slices of `input`),
    /// their layout and the encoder options; `nil` when the file would not be transcoded. For the
    /// benchmark, which times the encoder alone on exactly the job's work.
    package func encoderInputs(
        _ input: [UInt8]
    ) throws(TranscoderError) -> (
        frames: [ArraySlice<UInt8>], layout: JPEG2000SampleLayout, options: JPEG2000EncodingOptions
    )? {
        guard let file = try NativeImage.parse(input, options: options.readOptions),
            case .image(let image) = try NativeImage.check(file, maxFrames: options.maxFrames)
        else {
            return nil
        }
        return (Array(image.frames), image.layout, encodingOptions(for: image))
    }
}
