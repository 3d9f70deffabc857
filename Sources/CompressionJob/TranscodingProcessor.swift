import DICOM
import JPEG2000
import Logging
import Synchronization
import Transcoder

/// The job's ``FileTranscoder`` (chosen by ``TranscoderLibrary``) as a ``FileProcessor``: the job's
/// options and limits mapped onto ``TranscoderOptions`` in this one place. Holds two instances, with
/// and without the quality check, since the job checks only some files; both share the job's
/// de-identifier (so replaced UIDs agree across files), rate-search hints and cancellation flag.
package struct TranscodingProcessor: FileProcessor {
    /// What a file may cost (docs/contracts.md, "Configuration").
    package struct Limits: Sendable {
        /// `MAX_FRAMES_PER_FILE`: files with more frames are copied with a reason.
        package var maxFrames = TranscoderOptions.defaultMaxFrames
        /// A Deflated data set may inflate to at most this (sized like `MAX_FILE_BYTES`).
        package var maxInflatedBytes = TranscoderOptions.defaultMaxInflatedBytes

        package init(
            maxFrames: Int = TranscoderOptions.defaultMaxFrames,
            maxInflatedBytes: Int = TranscoderOptions.defaultMaxInflatedBytes
        ) {
            self.maxFrames = maxFrames
            self.maxInflatedBytes = maxInflatedBytes
        }
    }

    private let plain: any FileTranscoder
    private let checked: any FileTranscoder
    /// Set when the job is cancelled: the transcoder runs on pool threads, outside the job's task,
    /// and asks this between frames and while parsing.
    private let cancellation: CancellationFlag
    private let anonymize: Bool

    /// - Throws: ``JobError/Code/notAvailable`` when the library is not installed on this worker.
    package init(options: JobOptions, limits: Limits = Limits(), logger: Logger) throws(JobError) {
        let cancellation = CancellationFlag()
        var transcoding = TranscoderOptions(mode: options.transcoderMode)
        transcoding.codec = options.transferSyntax == .htj2k ? .htj2k : .jpeg2000
        transcoding.speed = options.encoderSpeed == .fast ? .fast : .standard
        transcoding.maxFrames = limits.maxFrames
        transcoding.maxInflatedBytes = limits.maxInflatedBytes
        transcoding.isCancelled = { cancellation.isSet }
        // One de-identifier per job: its key makes every replaced UID consistent across the study.
        transcoding.deidentifier = options.anonymize ? Deidentifier() : nil
        var withCheck = transcoding
        withCheck.qualityCheck = true
        let hints = SearchHints()
        let library = options.compressionLibrary
        guard let plain = library.makeTranscoder(options: transcoding, hints: hints, logger: logger),
            let checked = library.makeTranscoder(options: withCheck, hints: hints, logger: logger)
        else {
            throw JobError(
                .notAvailable,
                "\(library.rawValue) is not installed on this worker",
                field: "compressionLibrary"
            )
        }
        self.plain = plain
        self.checked = checked
        self.cancellation = cancellation
        self.anonymize = options.anonymize
    }

    package func process(_ input: [UInt8], checkQuality: Bool) -> FileResult {
        let transcoder = checkQuality ? checked : plain
        do {
            switch try transcoder.transcode(input) {
            case .transcoded(let file): return .compressed(file)
            case .notTranscodable(let reason):
                guard anonymize else { return .copied(reason: reason) }
                return shipDeidentified(input, transcoder) { .copied(reason: reason, shipped: $0) }
            }
        } catch {
            guard anonymize else { return .failed(error) }
            // Never the original in an anonymized ZIP: not when the output could not be
            // de-identified, and not for a file abandoned by cancellation.
            if error == .deidentificationFailed || error == .cancelled { return .withheld(error) }
            return shipDeidentified(input, transcoder) { .failed(error, shipped: $0) }
        }
    }

    /// An anonymizing job never ships an original: a file it does not compress goes into the ZIP as
    /// its de-identified copy, or is withheld (reported failed) when it cannot be de-identified.
    private func shipDeidentified(
        _ input: [UInt8],
        _ transcoder: any FileTranscoder,
        _ result: ([UInt8]) -> FileResult
    ) -> FileResult {
        do {
            return result(try transcoder.deidentifiedCopy(input))
        } catch {
            return .withheld(error)
        }
    }

    package func cancel() { cancellation.set() }
}

/// A flag the job's task sets and the transcoder's threads read.
private final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
