import CompressionJob
import Foundation

// A placeholder until the dashboard (issue 9 item 2) lands in this folder and replaces this file;
// it keeps the interface `GET /` renders through.

/// What the dashboard shows.
package struct DashboardModel: Sendable {
    package var queue: QueueSnapshot?
    package var jobs: [JobResult]
    package var comparison: [JobQueries.ComparisonRow]
    package var resultLocation: @Sendable (String) -> String?
    package var downloadLink: @Sendable (JobResult) -> String?
    package var generatedAt: Date
    package var refreshSeconds: Int

    package init(
        queue: QueueSnapshot?,
        jobs: [JobResult],
        comparison: [JobQueries.ComparisonRow],
        resultLocation: @escaping @Sendable (String) -> String?,
        downloadLink: @escaping @Sendable (JobResult) -> String?,
        generatedAt: Date,
        refreshSeconds: Int
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

/// The dashboard's HTML.
package enum DashboardPage {
    package static func render(_ model: DashboardModel) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>dicom-j2k</title></head>
        <body><h1>dicom-j2k</h1><p>\(model.jobs.count) recent jobs</p></body></html>
        """
    }
}
