import Transcoder

/// What processing one input produced, as the transcoder's own values. Whatever happens, the input
/// ends up in the ZIP: transcoded, or copied unchanged with the reason (nothing is silently dropped).
package enum FileResult: Sendable {
    /// Transcoded to JPEG 2000.
    case compressed(TranscodedFile)
    /// Deliberately not transcoded (not DICOM, already compressed, no pixel data, unsupported
    /// layout); the input is copied unchanged.
    case copied(reason: String)
    /// Transcoding failed; the input is copied unchanged and the error (with its code) reported.
    case failed(TranscoderError)
}

/// Turns one input file into a ``FileResult``. Called on the job's worker threads; it blocks while
/// it works. ``TranscodingProcessor`` is the real one; tests script their own.
package protocol FileProcessor: Sendable {
    func process(_ input: [UInt8], checkQuality: Bool) -> FileResult
}
