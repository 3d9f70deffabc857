import CompressionJob
import Foundation
import Transcoder

/// The dashboard at `GET /`: one server-rendered HTML5 page with inline CSS, no script and no
/// external assets, that reloads itself. Sections: the queue, the recent jobs (failed ones with
/// their error), the comparison per library, codec and rate. Every value taken from a result
/// document is escaped (``HTML/escape(_:)``); links are only ones the API made.
package enum DashboardPage {
    package static func render(_ model: DashboardModel) -> String {
        var page = ""
        page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        if let refresh = refreshInterval(model.refreshSeconds) {
            page += "<meta http-equiv=\"refresh\" content=\"\(refresh)\">\n"
        }
        page += "<title>\(HTML.escape(title(model)))</title>\n"
        page += "<style>\n\(DashboardStyle.css)</style>\n</head>\n<body>\n"
        page += header(model)
        page += "<main>\n"
        page += queueSection(model)
        page += jobsSection(model)
        page += comparisonSection(model)
        page += "</main>\n"
        page += "<footer>Result documents and the queue are read on every load; times are UTC. "
        page += "JSON: <a href=\"/compress-dicom/results\">/compress-dicom/results</a>, "
        page += "<a href=\"/compress-dicom/benchmark\">/compress-dicom/benchmark</a>, "
        page += "<a href=\"/queue\">/queue</a>.</footer>\n"
        page += "</body>\n</html>\n"
        return page
    }

    /// The reload interval, bounded to 1 s … 1 h; `nil` (no reload) for 0 or less.
    static func refreshInterval(_ seconds: Int) -> Int? {
        seconds > 0 ? min(seconds, 3_600) : nil
    }

    /// `dicom-j2k · 3 queued · 1 failed`: the browser tab tells the state without looking.
    private static func title(_ model: DashboardModel) -> String {
        var parts = ["dicom-j2k"]
        if model.queue == nil { parts.append("queue not reachable") }
        let counts = statusCounts(model.jobs)
        for status in [JobResult.Status.queued, .processing, .failed] where counts[status, default: 0] > 0 {
            parts.append("\(counts[status, default: 0]) \(status.rawValue)")
        }
        return parts.joined(separator: " · ")
    }

    private static func statusCounts(_ jobs: [JobResult]) -> [JobResult.Status: Int] {
        jobs.reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }

    private static func header(_ model: DashboardModel) -> String {
        let stamp = DashboardFormat.timestamp(model.generatedAt)
        var text = "<header>\n<h1>dicom-j2k · compression dashboard</h1>\n<p class=\"meta\">Generated "
        text += "<time datetime=\"\(DashboardFormat.iso8601(model.generatedAt))\">\(stamp)</time>"
        if let refresh = refreshInterval(model.refreshSeconds) {
            text += " · refreshes every \(DashboardFormat.duration(Double(refresh)))"
        } else {
            text += " · reload the page to update"
        }
        text += "</p>\n</header>\n"
        return text
    }

    // MARK: - Queue

    private static func queueSection(_ model: DashboardModel) -> String {
        var text = "<section id=\"queue\" aria-labelledby=\"queue-title\">\n<h2 id=\"queue-title\">Queue</h2>\n"
        guard let queue = model.queue else {
            text += "<p class=\"alert\" role=\"alert\"><strong>Queue not reachable.</strong> "
            text += "The queue's depth could not be read (QUEUE_URL unset, SQS unavailable or access denied); "
            text += "the jobs below come from the result documents and may be behind.</p>\n</section>\n"
            return text
        }
        let tiles: [(String, String, String)] = [
            ("Waiting", "\(queue.depth)", "messages visible in the queue"),
            ("In flight", "\(queue.inFlight)", "messages a worker has taken and not finished"),
            (
                "Oldest queued",
                queue.oldestQueuedAge.map(DashboardFormat.duration) ?? "none queued",
                "age of the oldest task whose result is still queued"
            ),
            (
                "Estimated wait",
                queue.estimatedWait.map(DashboardFormat.duration) ?? "unknown",
                "for a job sent now, one worker, at the recent mean job time"
            ),
            (
                "Mean job time",
                queue.meanProcessingTime.map(DashboardFormat.duration) ?? "no completed jobs",
                "mean processing time of the recent completed jobs"
            ),
        ]
        text += "<dl class=\"tiles\">\n"
        for (label, value, help) in tiles {
            text += "<div title=\"\(HTML.escape(help))\"><dt>\(HTML.escape(label))</dt>"
            text += "<dd>\(HTML.escape(value))</dd></div>\n"
        }
        text += "</dl>\n"
        if queue.depth > 0, queue.inFlight == 0 {
            text += "<p class=\"warn\" role=\"status\">Messages are waiting and none is in flight: "
            text += "is a worker running?</p>\n"
        }
        if queue.estimatedWait == nil, queue.depth > 0 {
            text += "<p class=\"note\">No completed job yet to estimate the wait from.</p>\n"
        }
        text += "</section>\n"
        return text
    }

    // MARK: - Jobs

    /// Column titles and the class of their cells.
    private static let jobColumns: [(title: String, cell: String)] = [
        ("Status", "col-status"), ("Task", "col-task"), ("Source", "col-source"),
        ("Asked for", "col-encoding"), ("Files", "col-files"), ("Size", "col-size"),
        ("Ratio", "col-ratio"), ("Time", "col-time"), ("PSNR min", "col-psnr"), ("Updated", "col-updated"),
        ("Links", "col-links"),
    ]

    private static func jobsSection(_ model: DashboardModel) -> String {
        var text = "<section id=\"jobs\" aria-labelledby=\"jobs-title\">\n<h2 id=\"jobs-title\">Recent jobs"
        if !model.jobs.isEmpty {
            let counts = statusCounts(model.jobs)
            let summary = [JobResult.Status.queued, .processing, .completed, .failed]
                .filter { counts[$0, default: 0] > 0 }
                .map { "\(counts[$0, default: 0]) \($0.rawValue)" }
                .joined(separator: ", ")
            text += " <span class=\"count\">(\(model.jobs.count) newest: \(summary))</span>"
        }
        text += "</h2>\n"
        guard !model.jobs.isEmpty else {
            text += "<p class=\"empty\">No jobs yet. Send one with <code>POST /compress-dicom</code> "
            text += "or <code>dicom-j2k enqueue</code>.</p>\n</section>\n"
            return text
        }
        text += "<div class=\"scroll\"><table class=\"jobs\">\n<thead><tr>"
        for column in jobColumns { text += "<th scope=\"col\">\(column.title)</th>" }
        text += "</tr></thead>\n<tbody>\n"
        for job in model.jobs { text += jobRows(job, model) }
        text += "</tbody>\n</table></div>\n</section>\n"
        return text
    }

    private static func jobRows(_ job: JobResult, _ model: DashboardModel) -> String {
        let stats = job.compressionStats
        let status = job.status.rawValue
        var cells: [String] = []
        cells.append("<span class=\"status status-\(status)\">\(status)</span>")
        cells.append("<code class=\"task\">\(HTML.escape(job.taskId))</code>")
        cells.append("<span class=\"uri\">\(HTML.escape(job.s3SourceUri))</span>")
        let library = job.options.compressionLibrary.rawValue + " / " + job.options.transferSyntax.rawValue
        let speed = job.options.encoderSpeed == .fast ? " (fast)" : ""
        let anonymized = job.options.anonymize ? " <span class=\"tag\">anonymized</span>" : ""
        cells.append(
            HTML.escape(DashboardFormat.target(job.options)) + "<br><span class=\"library\">"
                + HTML.escape(library + speed) + "</span>" + anonymized
        )
        cells.append(filesCell(stats))
        if let stats {
            cells.append(
                "\(DashboardFormat.bytes(stats.originalSize)) →<br>\(DashboardFormat.bytes(stats.compressedSize))"
            )
        } else {
            cells.append(DashboardFormat.missing)
        }
        cells.append(DashboardFormat.ratio(stats?.compressionRatio))
        cells.append(DashboardFormat.duration(stats?.processingTime))
        cells.append(psnrCell(job))
        cells.append(updatedCell(job, now: model.generatedAt))
        cells.append(linksCell(job, model))

        var text = "<tr class=\"job job-\(status)\">"
        for (column, cell) in zip(jobColumns, cells) { text += "<td class=\"\(column.cell)\">\(cell)</td>" }
        text += "</tr>\n"
        if job.status == .failed {
            text += "<tr class=\"error-row\"><td colspan=\"\(jobColumns.count)\">\(errorText(job.error))</td></tr>\n"
        }
        return text
    }

    private static func filesCell(_ stats: CompressionStats?) -> String {
        guard let stats else { return DashboardFormat.missing }
        var text = "\(stats.compressedFiles) compressed"
        if stats.copiedFiles > 0 { text += "<br>\(stats.copiedFiles) copied" }
        if stats.skippedFiles > 0 { text += "<br>\(stats.skippedFiles) skipped" }
        if stats.failedFiles > 0 {
            text += "<br><strong class=\"bad\">\(stats.failedFiles) failed</strong>"
        } else {
            text += "<br>0 failed"
        }
        return text
    }

    private static func psnrCell(_ job: JobResult) -> String {
        guard let quality = job.quality else { return DashboardFormat.missing }
        guard let psnr = quality.psnrMin else {
            return quality.filesChecked > 0 ? "exact" : DashboardFormat.missing
        }
        return DashboardFormat.decibels(psnr)
    }

    private static func updatedCell(_ job: JobResult, now: Date) -> String {
        let date = job.completedAt ?? job.startedAt ?? job.createdAt ?? job.timestamp
        let stamp = DashboardFormat.timestamp(date)
        return "<time datetime=\"\(DashboardFormat.iso8601(date))\" title=\"\(stamp)\">"
            + "\(DashboardFormat.age(of: date, now: now))</time>"
    }

    private static func linksCell(_ job: JobResult, _ model: DashboardModel) -> String {
        var links: [String] = []
        if let json = HTML.link(model.resultLocation(job.taskId), "result JSON") { links.append(json) }
        if job.status == .completed,
            let zip = HTML.link(model.downloadLink(job), "download", title: job.s3CompressedPath)
        {
            links.append(zip)
        }
        return links.isEmpty ? DashboardFormat.missing : links.joined(separator: "<br>")
    }

    private static func errorText(_ error: JobError?) -> String {
        guard let error else { return "<strong>Failed</strong> without an error recorded in the result." }
        var text = "<strong>\(HTML.escape(error.code.rawValue))</strong>"
        if let field = error.field { text += " (field <code>\(HTML.escape(field))</code>)" }
        text += ": " + HTML.escape(error.message)
        if error.code.isRetryable { text += " <span class=\"note\">(retried while the message is redelivered)</span>" }
        return text
    }

    // MARK: - Comparison

    private static func comparisonSection(_ model: DashboardModel) -> String {
        var text = "<section id=\"comparison\" aria-labelledby=\"comparison-title\">\n"
        text += "<h2 id=\"comparison-title\">Comparison by library, codec and rate</h2>\n"
        guard !model.comparison.isEmpty else {
            text += "<p class=\"empty\">No completed jobs to compare yet.</p>\n</section>\n"
            return text
        }
        let columns = [
            "Library", "Codec", "Rate", "Jobs", "Mean time", "Mean ratio", "Mean CPU peak", "Mean memory peak",
            "Mean PSNR min",
        ]
        text += "<div class=\"scroll\"><table class=\"comparison\">\n<thead><tr>"
        for column in columns { text += "<th scope=\"col\">\(column)</th>" }
        text += "</tr></thead>\n<tbody>\n"
        for row in model.comparison {
            let cells = [
                HTML.escape(row.library), HTML.escape(row.codec),
                row.rate == 1 ? "lossless" : HTML.escape(DashboardFormat.number(row.rate)), "\(row.count)",
                DashboardFormat.duration(row.meanProcessingTime), DashboardFormat.ratio(row.meanCompressionRatio),
                DashboardFormat.percent(row.meanCPUPeak), DashboardFormat.megabytes(row.meanMemoryPeakMB),
                row.meanPSNRMin.map(DashboardFormat.decibels) ?? "exact or unchecked",
            ]
            text += "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>\n"
        }
        text += "</tbody>\n</table></div>\n</section>\n"
        return text
    }
}
