import AWSClients
import Foundation
import Transcoder

/// What `status`, `results` and `queue` compute from the stored results: queue positions, wait
/// estimates, and the comparison table per library and rate.
package enum JobQueries {
    /// Mean processing time of the most recent `recent` completed jobs; `nil` when there are none.
    package static func meanProcessingTime(_ results: [JobResult], recent: Int = 20) -> Double? {
        let times =
            results
            .filter { $0.status == .completed }
            .sorted { ($0.completedAt ?? $0.timestamp) > ($1.completedAt ?? $1.timestamp) }
            .prefix(recent)
            .compactMap { $0.compressionStats?.processingTime }
        return times.isEmpty ? nil : times.reduce(0, +) / Double(times.count)
    }

    /// A queued task's place: how many queued tasks were created before it (0 = next), and the
    /// estimated wait (those jobs and its own predecessors one after another, at the recent mean).
    package static func queuePosition(
        of task: JobResult,
        among results: [JobResult]
    ) -> (
        ahead: Int, estimatedWait: Double?
    ) {
        let created = task.createdAt ?? task.timestamp
        let ahead = results.filter {
            $0.status == .queued && $0.taskId != task.taskId && ($0.createdAt ?? $0.timestamp) < created
        }.count
        let running = results.contains { $0.status == .processing } ? 1 : 0
        return (ahead, meanProcessingTime(results).map { Double(ahead + running) * $0 })
    }

    /// One row of the comparison table.
    package struct ComparisonRow: Sendable, Equatable, Encodable {
        package var library: String
        /// `j2k` or `htj2k`.
        package var codec: String
        package var rate: Double
        package var count: Int
        package var meanProcessingTime: Double
        package var meanCompressionRatio: Double
        package var meanCPUPeak: Double
        package var meanMemoryPeakMB: Double
        /// Mean of the jobs' lowest PSNR; `nil` when every job was bit-exact or unchecked.
        package var meanPSNRMin: Double?
    }

    /// Completed jobs grouped by library and rate, sorted by library then rate.
    package static func comparison(_ results: [JobResult]) -> [ComparisonRow] {
        let completed = results.filter { $0.status == .completed && $0.compressionStats != nil }
        let groups = Dictionary(grouping: completed) {
            "\($0.options.compressionLibrary.rawValue)\u{0}\($0.options.transferSyntax.rawValue)\u{0}\($0.options.compressionRate)"
        }
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        return groups.values.compactMap { group -> ComparisonRow? in
            guard let first = group.first else { return nil }
            let stats = group.compactMap(\.compressionStats)
            let psnr = group.compactMap { $0.quality?.psnrMin }
            return ComparisonRow(
                library: first.options.compressionLibrary.rawValue,
                codec: first.options.transferSyntax.rawValue,
                rate: first.options.compressionRate,
                count: group.count,
                meanProcessingTime: mean(stats.map(\.processingTime)),
                meanCompressionRatio: mean(stats.map(\.compressionRatio)),
                meanCPUPeak: mean(stats.map(\.cpuPeak)),
                meanMemoryPeakMB: mean(stats.map { Double($0.memoryPeak) / (1024 * 1024) }),
                meanPSNRMin: psnr.isEmpty ? nil : mean(psnr)
            )
        }.sorted { ($0.library, $0.codec, $0.rate) < ($1.library, $1.codec, $1.rate) }
    }
}

extension JobResult {
    /// The `queued` document `enqueue` writes before sending the message.
    package static func queued(_ request: JobRequest, createdAt: Date, worker: WorkerInfo) -> JobResult {
        JobResult(
            context: JobContext(
                taskId: request.taskId,
                options: request.options,
                sourceURI: request.source.description,
                createdAt: createdAt,
                worker: worker
            ),
            status: .queued,
            timestamp: createdAt
        )
    }
}

/// A task's result as `status` and `GET /compress-dicom/{taskId}` show it: the document, plus the
/// queue estimate while it is queued.
package struct TaskStatus: Sendable, Encodable {
    package var result: JobResult
    /// Queued tasks created before this one.
    package var queuePosition: Int?
    /// Seconds, from the recent mean processing time.
    package var estimatedWait: Double?

    /// The status of `result`; `all` (every stored result) is read only for a queued task.
    package init(_ result: JobResult, all: () async throws(JobError) -> [JobResult]) async throws(JobError) {
        self.result = result
        guard result.status == .queued else { return }
        let position = JobQueries.queuePosition(of: result, among: try await all())
        queuePosition = position.ahead
        estimatedWait = position.estimatedWait
    }

    package func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        enum Keys: String, CodingKey { case queuePosition, estimatedWait }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(queuePosition, forKey: .queuePosition)
        try container.encodeIfPresent(estimatedWait, forKey: .estimatedWait)
    }
}
