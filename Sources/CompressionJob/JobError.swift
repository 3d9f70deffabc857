/// Why a job failed (or was refused): a stable code, the message, and the message field involved.
/// Thrown inside the job layer and written as the result's `error` object (docs/contracts.md).
///
/// Compare ``code`` against the static members: `error.code == .refused`.
public struct JobError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The kind of failure; stable and low-cardinality (the result's `error.code`, an EMF dimension).
    public struct Code: Hashable, Sendable, Codable, CustomStringConvertible {
        private enum Base: String, CaseIterable {
            case invalidMessage, refused, notAvailable, sourceUnavailable, outputFailed, resultsUnavailable
            case cancelled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The message is not valid JSON, has an unknown field, a wrong type or a value out of range.
        public static let invalidMessage = Code(.invalidMessage)
        /// The job is valid but not allowed here: a bucket outside `ALLOWED_BUCKETS`, or a limit
        /// (`MAX_FILES_PER_JOB`, `MAX_JOB_BYTES`, `MAX_FILE_BYTES`) exceeded by the listing.
        public static let refused = Code(.refused)
        /// An option this build cannot honour (`anonymize`, `htj2k`, quality targets, a missing `gdcmconv`).
        public static let notAvailable = Code(.notAvailable)
        /// The source could not be listed or an input could not be read.
        public static let sourceUnavailable = Code(.sourceUnavailable)
        /// The ZIP could not be written or committed.
        public static let outputFailed = Code(.outputFailed)
        /// The result JSON could not be read or written.
        public static let resultsUnavailable = Code(.resultsUnavailable)
        /// The job was stopped (shutdown, deadline) before it finished.
        public static let cancelled = Code(.cancelled)

        /// The code as written in the result JSON.
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }

        /// Whether a later attempt of the same message may succeed (the runtime then leaves the
        /// message for redelivery); the other codes are permanent and the message is rejected.
        public var isRetryable: Bool {
            switch base {
            case .sourceUnavailable, .outputFailed, .resultsUnavailable, .cancelled: true
            case .invalidMessage, .refused, .notAvailable: false
            }
        }

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let base = Base(rawValue: text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "unknown job error code \(text)")
                )
            }
            self.base = base
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(base.rawValue)
        }
    }

    public let code: Code
    /// What went wrong, in words (never a DICOM value; object keys only when the caller put them there).
    public let message: String
    /// The job message field involved, for ``Code/invalidMessage``, ``Code/notAvailable`` and some refusals.
    public let field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        "JobError.\(code): " + (field.map { "\($0): " } ?? "") + message
    }

    /// The job error for anything that ended a job: itself, a cancellation, or `fallback` with
    /// the error's text.
    static func wrapping(_ error: any Error, as fallback: Code) -> JobError {
        switch error {
        case let error as JobError: error
        case is CancellationError: JobError(.cancelled, "the job was cancelled before it finished")
        default: JobError(fallback, "\(error)")
        }
    }
}
