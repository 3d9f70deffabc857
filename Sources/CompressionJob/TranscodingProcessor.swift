import Logging
import Transcoder

/// One of the job's encoders as a ``FileProcessor``: the in-process OpenJPEG ``Transcoder``, or
/// the `gdcmconv` backend. Holds two instances, with and without the quality check, since the job
/// checks only some files.
package struct TranscodingProcessor: FileProcessor {
    private let transcode:
        @Sendable (_ input: [UInt8], _ checkQuality: Bool) throws(TranscoderError) -> TranscodeOutcome

    /// - Throws: ``JobOptionsError`` when `gdcmconv` is asked for but not installed.
    package init(options: JobOptions, logger: Logger) throws {
        let mode: TranscoderOptions.Mode = options.isLossless ? .lossless : .lossy(ratio: options.compressionRate)
        let plain = TranscoderOptions(mode: mode, qualityCheck: false)
        let checked = TranscoderOptions(mode: mode, qualityCheck: true)
        switch options.compressionLibrary {
        case .openjpeg:
            let (withoutCheck, withCheck) = (
                Transcoder(options: plain, logger: logger), Transcoder(options: checked, logger: logger)
            )
            transcode = { input, check throws(TranscoderError) in
                try (check ? withCheck : withoutCheck).transcode(input)
            }
        case .gdcmconv:
            guard let withoutCheck = GDCMTranscoder(options: plain, logger: logger),
                let withCheck = GDCMTranscoder(options: checked, logger: logger)
            else {
                throw JobOptionsError(field: "compressionLibrary", message: "gdcmconv is not installed on this worker")
            }
            transcode = { input, check throws(TranscoderError) in
                try (check ? withCheck : withoutCheck).transcode(input)
            }
        }
    }

    package func process(_ input: [UInt8], checkQuality: Bool) -> FileResult {
        do {
            switch try transcode(input, checkQuality) {
            case .transcoded(let file):
                return .compressed(
                    CompressedFile(
                        output: file.bytes,
                        pixelBytes: file.pixelBytes,
                        codestreamBytes: file.codestreamBytes,
                        quality: file.quality.map {
                            FileQuality(psnr: $0.psnr, rmse: $0.rmse, maxAbsError: $0.maxAbsError)
                        }
                    )
                )
            case .notTranscodable(let reason):
                return .copied(reason: reason)
            }
        } catch {
            return .failed(error: error.description)
        }
    }
}

/// An option of a job that cannot be honoured, naming the field.
package struct JobOptionsError: Error, CustomStringConvertible {
    package var field: String
    package var message: String

    package var description: String { "\(field): \(message)" }
}
