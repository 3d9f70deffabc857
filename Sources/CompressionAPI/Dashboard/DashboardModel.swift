import CompressionJob
import Foundation

/// What the dashboard shows; the API's `GET /` handler fills it from the queue and the result store.
package struct DashboardModel: Sendable {
    /// `nil` when the queue could not be read (the page says so instead of showing zeros).
    package var queue: QueueSnapshot?
    /// Newest first, at most 50.
    package var jobs: [JobResult]
    package var comparison: [JobQueries.ComparisonRow]
    /// taskId → link to its result JSON (an API route); `nil` for no link.
    package var resultLocation: @Sendable (String) -> String?
    /// The `/download` link of a completed job; `nil` for no link.
    package var downloadLink: @Sendable (JobResult) -> String?
    package var generatedAt: Date
    /// The page reloads itself after this many seconds (`<meta http-equiv="refresh">`); 0 or less: never.
    package var refreshSeconds: Int

    package init(
        queue: QueueSnapshot?,
        jobs: [JobResult],
        comparison: [JobQueries.ComparisonRow],
        resultLocation: @escaping @Sendable (String) -> String? = { _ in nil },
        downloadLink: @escaping @Sendable (JobResult) -> String? = { _ in nil },
        generatedAt: Date,
        refreshSeconds: Int = 15
    ) {
        self.queue = queue
        self.jobs = jobs
        self.comparison = comparison
        self.resultLocation = resultLocation
        self.downloadLink = downloadLink
        self.generatedAt = generatedAt
        self.refreshSeconds = refreshSeconds
    }
}
