import Logging
import Transcoder

/// The job's ``FileTranscoder`` (chosen by ``TranscoderLibrary``) as a ``FileProcessor``. Holds two
/// instances, with and without the quality check, since the job checks only some files.
package struct TranscodingProcessor: FileProcessor {
    private let plain: any FileTranscoder
    private let checked: any FileTranscoder

    /// - Throws: ``JobError/Code/notAvailable`` when the library is not installed on this worker.
    package init(options: JobOptions, logger: Logger) throws(JobError) {
        let mode: TranscoderOptions.Mode = options.isLossless ? .lossless : .lossy(ratio: options.compressionRate)
        let library = options.compressionLibrary
        guard let plain = library.makeTranscoder(options: TranscoderOptions(mode: mode), logger: logger),
            let checked = library.makeTranscoder(
                options: TranscoderOptions(mode: mode, qualityCheck: true),
                logger: logger
            )
        else {
            throw JobError(
                .notAvailable,
                "\(library.rawValue) is not installed on this worker",
                field: "compressionLibrary"
            )
        }
        self.plain = plain
        self.checked = checked
    }

    package func process(_ input: [UInt8], checkQuality: Bool) -> FileResult {
        do {
            switch try (checkQuality ? checked : plain).transcode(input) {
            case .transcoded(let file): return .compressed(file)
            case .notTranscodable(let reason): return .copied(reason: reason)
            }
        } catch {
            return .failed(error)
        }
    }
}
