import Transcoder

/// What processing one input produced, as the transcoder's own values. Whatever happens, the input
/// ends up in the ZIP: transcoded, or copied unchanged with the reason (nothing is silently dropped).
package enum FileResult: Sendable {
    /// Transcoded to JPEG 2000.
    case compressed(TranscodedFile)
    /// Deliberately not transcoded (not DICOM, already compressed, no pixel data, unsupported
    /// layout); the input is copied unchanged, or `shipped` instead when given (its de-identified
    /// copy, in an anonymizing job).
    case copied(reason: String, shipped: [UInt8]? = nil)
    /// Transcoding failed; the input is copied unchanged (or `shipped`, as above) and the error
    /// (with its code) reported.
    case failed(TranscoderError, shipped: [UInt8]? = nil)
    /// An anonymizing job could not de-identify the file: nothing goes into the ZIP for it (an
    /// original must never ship), and it is reported failed with this error.
    case withheld(TranscoderError)
}

/// Turns one input file into a ``FileResult``. Called on the job's worker threads; it blocks while
/// it works. ``TranscodingProcessor`` is the real one; tests script their own.
package protocol FileProcessor: Sendable {
    func process(_ input: [UInt8], checkQuality: Bool) -> FileResult
    /// The job was cancelled: stop the files being worked on as soon as possible.
    func cancel()
}

extension FileProcessor {
    package func cancel() {}
}
