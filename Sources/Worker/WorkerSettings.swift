import Foundation

/// The worker's own settings (the job's configuration lives in CompressionJob), read once from the
/// environment at start.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `WORKER_VISIBILITY_TIMEOUT_SECONDS` | visibility a received message gets; the heartbeat renews it every half of it | 60 |
/// | `WORKER_SHUTDOWN_GRACE_SECONDS` | after SIGTERM/SIGINT, how long the current job may still run before it is cancelled | 20 |
/// | `WORKER_RETRY_DELAY_SECONDS` | after a retryable failure, how long the message stays hidden before redelivery | 10 |
/// | `WORKER_DEADLINE_MARGIN_SECONDS` | Lambda: a running job is cancelled this long before the deadline | 5 |
/// | `WORKER_MIN_JOB_SECONDS` | Lambda: a record starts only if this much time (or the longest record so far, if longer) plus the margin is left | 10 |
package struct WorkerSettings: Sendable, Equatable {
    package var visibilityTimeoutSeconds = 60
    package var shutdownGraceSeconds = 20
    package var retryDelaySeconds = 10
    package var deadlineMarginSeconds = 5
    package var minimumJobSeconds = 10

    package init() {}

    /// Reads the keys above; missing ones keep their defaults.
    /// - Throws: ``WorkerError/Code/configuration`` naming the variable whose value is not a whole
    ///   number in its range.
    package init(environment: [String: String]) throws(WorkerError) {
        func seconds(_ key: String, _ range: ClosedRange<Int>, default value: Int) throws(WorkerError) -> Int {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                return value
            }
            guard let number = Int(text), range.contains(number) else {
                throw WorkerError(
                    .configuration,
                    "\(key)=\(text) is not a whole number of seconds from \(range.lowerBound) to \(range.upperBound)"
                )
            }
            return number
        }
        // SQS allows visibility up to 12 h; 2 s is the least a heartbeat at half of it can keep up with.
        visibilityTimeoutSeconds = try seconds("WORKER_VISIBILITY_TIMEOUT_SECONDS", 2...43_200, default: 60)
        shutdownGraceSeconds = try seconds("WORKER_SHUTDOWN_GRACE_SECONDS", 0...3_600, default: 20)
        retryDelaySeconds = try seconds("WORKER_RETRY_DELAY_SECONDS", 0...43_200, default: 10)
        deadlineMarginSeconds = try seconds("WORKER_DEADLINE_MARGIN_SECONDS", 0...900, default: 5)
        minimumJobSeconds = try seconds("WORKER_MIN_JOB_SECONDS", 0...900, default: 10)
    }
}
