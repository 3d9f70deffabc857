/// What processing one input produced. Whatever happens, the input ends up in the ZIP: transcoded,
/// or copied unchanged with the reason (DESIGN.md §5: nothing is silently dropped).
package enum FileResult: Sendable {
    /// Transcoded to JPEG 2000.
    case compressed(CompressedFile)
    /// Deliberately not transcoded (not DICOM, already compressed, no pixel data, unsupported
    /// layout); the input is copied unchanged.
    case copied(reason: String)
    /// Transcoding failed; the input is copied unchanged and the error reported.
    case failed(error: String)
}

/// A transcoded file and what it measured.
package struct CompressedFile: Sendable {
    /// The output Part 10 file.
    package var output: [UInt8]
    /// Uncompressed pixel bytes as stored (Bits Allocated).
    package var pixelBytes: Int
    /// Codestream bytes over all frames.
    package var codestreamBytes: Int
    /// Measured when the quality check decoded this file again.
    package var quality: FileQuality?

    package init(output: [UInt8], pixelBytes: Int, codestreamBytes: Int, quality: FileQuality? = nil) {
        self.output = output
        self.pixelBytes = pixelBytes
        self.codestreamBytes = codestreamBytes
        self.quality = quality
    }
}

/// Image quality of one decoded output against its input.
package struct FileQuality: Sendable, Equatable {
    /// dB; `+infinity` when the output decodes to exactly the input.
    package var psnr: Double
    package var rmse: Double
    package var maxAbsError: Int

    package init(psnr: Double, rmse: Double, maxAbsError: Int) {
        self.psnr = psnr
        self.rmse = rmse
        self.maxAbsError = maxAbsError
    }
}

/// Turns one input file into a ``FileResult``: the in-process OpenJPEG transcoder, or the
/// `gdcmconv` backend. Called on the job's worker threads; it blocks while it works.
package protocol FileProcessor: Sendable {
    func process(_ input: [UInt8], checkQuality: Bool) -> FileResult
}
