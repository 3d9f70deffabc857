import CompressionJob
import Foundation
import Testing

@testable import CompressionAPI

/// The dashboard's HTML, rendered from result documents built here.
@Suite struct DashboardPageTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30 00:53:20 UTC
    static let worker = WorkerInfo(version: "0.1.0", openjpegVersion: "2.5.0", mode: .poll, host: "h", attempt: 1)

    static func job(
        _ taskId: String,
        _ status: JobResult.Status,
        source: String = "s3://studies/download/ct-study/",
        minutesAgo: Double = 5,
        options: JobOptions = JobOptions()
    ) -> JobResult {
        var result = JobResult(
            taskId: taskId,
            status: status,
            timestamp: now.addingTimeInterval(-minutesAgo * 60),
            s3SourceUri: source,
            options: options,
            worker: worker
        )
        result.createdAt = result.timestamp
        return result
    }

    static func completed(_ taskId: String, failedFiles: Int = 0, psnrMin: Double? = 48.25) -> JobResult {
        var result = job(taskId, .completed, minutesAgo: 2)
        result.startedAt = now.addingTimeInterval(-180)
        result.completedAt = now.addingTimeInterval(-120)
        result.s3CompressedPath = "s3://studies/compressed/ct-study-rate100-20261130-013020.zip"
        result.compressionStats = CompressionStats(
            originalSize: 206_438_400,  // 196.9 MB
            compressedSize: 2_949_120,  // 2.8 MB
            pixelDataRatio: 99.6,
            processingTime: 61.5,
            downloadTime: 10,
            compressionTime: 50,
            uploadTime: 3,
            queueWaitTime: 4,
            processedFiles: 394,
            compressedFiles: 394 - failedFiles,
            copiedFiles: 0,
            skippedFiles: 0,
            failedFiles: failedFiles,
            cpuPeak: 190,
            cpuTimeUser: 100,
            cpuTimeSystem: 3,
            memoryPeak: 150 << 20,
            system: SystemStats(cpuBaseline: 5, cpuPeak: 99, memoryBaseline: 1 << 30, memoryPeak: 2 << 30)
        )
        result.quality = QualitySummary(
            filesChecked: 3,
            psnrMin: psnrMin,
            psnrMean: psnrMin.map { $0 + 1 },
            rmseMax: 2.1,
            maxAbsError: 9
        )
        return result
    }

    static func failed(_ taskId: String, _ error: JobError, source: String = "s3://studies/download/bad/") -> JobResult
    {
        var result = job(taskId, .failed, source: source, minutesAgo: 1)
        result.success = false
        result.completedAt = now.addingTimeInterval(-60)
        result.error = error
        return result
    }

    static func model(
        queue: QueueSnapshot? = QueueSnapshot(
            depth: 3,
            inFlight: 1,
            oldestQueuedAge: 200,
            meanProcessingTime: 61.5,
            estimatedWait: 7_500
        ),
        jobs: [JobResult],
        refreshSeconds: Int = 15
    ) -> DashboardModel {
        DashboardModel(
            queue: queue,
            jobs: jobs,
            comparison: JobQueries.comparison(jobs),
            resultLocation: { "/compress-dicom/\($0)" },
            downloadLink: { job in
                job.s3CompressedPath.map {
                    "/download?s3Uri=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                }
            },
            generatedAt: now,
            refreshSeconds: refreshSeconds
        )
    }

    @Test func showsEveryJobWithItsStatusFiguresAndLinks() throws {
        let jobs = [
            Self.job("task-queued", .queued, minutesAgo: 0.5),
            Self.job("task-processing", .processing, minutesAgo: 3),
            Self.completed("task-done"),
            Self.failed("task-failed", JobError(.refused, "3 files exceed MAX_FILE_BYTES (268435456)")),
        ]
        let page = DashboardPage.render(Self.model(jobs: jobs))
        let text = visibleText(page)

        for id in ["task-queued", "task-processing", "task-done", "task-failed"] { #expect(text.contains(id)) }
        for status in ["queued", "processing", "completed", "failed"] {
            #expect(page.contains("<span class=\"status status-\(status)\">\(status)</span>"))
        }
        #expect(text.contains("(4 newest: 1 queued, 1 processing, 1 completed, 1 failed)"))
        // The completed job's figures, in human units.
        #expect(text.contains("196.9 MB → 2.8 MB"))
        #expect(text.contains("70:1"))
        #expect(text.contains("394 compressed 0 failed"))
        #expect(text.contains("48.2 dB") || text.contains("48.3 dB"))
        #expect(text.contains("1 min 2 s"))  // 61.5 s rounds to 62 s
        #expect(text.contains("openjpeg / j2k"))
        #expect(text.contains("rate 100"))
        #expect(text.contains("2.0 min") == false)
        #expect(text.contains("2 min 0 s ago"))
        // Links: a result JSON for every job, a download only for the completed one.
        #expect(page.contains("<a href=\"/compress-dicom/task-done\">result JSON</a>"))
        #expect(page.contains("<a href=\"/compress-dicom/task-queued\">result JSON</a>"))
        #expect(page.components(separatedBy: ">download</a>").count == 2)
        #expect(page.contains("href=\"/download?s3Uri=s3%3A%2F%2Fstudies%2Fcompressed%2F"))
        // The failed job's error, with its code.
        #expect(text.contains("refused: 3 files exceed MAX_FILE_BYTES (268435456)"))
        // The tab title tells the state.
        #expect(page.contains("<title>dicom-j2k · 1 queued · 1 processing · 1 failed</title>"))
        try checkBalanced(page)
    }

    @Test func queuePanelInHumanUnits() {
        let page = DashboardPage.render(Self.model(jobs: [Self.completed("a")]))
        let text = visibleText(page)
        #expect(text.contains("Waiting 3"))
        #expect(text.contains("In flight 1"))
        #expect(text.contains("Oldest queued 3 min 20 s"))
        #expect(text.contains("Estimated wait 2 h 5 min"))
        #expect(text.contains("Mean job time 1 min 2 s"))
        #expect(!text.contains("is a worker running?"))
    }

    @Test func warnsWhenMessagesWaitWithNoneInFlight() {
        let queue = QueueSnapshot(
            depth: 2,
            inFlight: 0,
            oldestQueuedAge: 4_000,
            meanProcessingTime: nil,
            estimatedWait: nil
        )
        let text = visibleText(DashboardPage.render(Self.model(queue: queue, jobs: [])))
        #expect(text.contains("Messages are waiting and none is in flight: is a worker running?"))
        #expect(text.contains("Estimated wait unknown"))
        #expect(text.contains("Mean job time no completed jobs"))
        #expect(text.contains("Oldest queued 1 h 6 min"))
    }

    @Test func emptyStatesAreExplicit() throws {
        let page = DashboardPage.render(Self.model(queue: nil, jobs: []))
        let text = visibleText(page)
        #expect(text.contains("Queue not reachable."))
        #expect(text.contains("No jobs yet."))
        #expect(text.contains("No completed jobs to compare yet."))
        #expect(!page.contains("<table"))
        #expect(page.contains("<title>dicom-j2k · queue not reachable</title>"))
        try checkBalanced(page)
    }

    @Test func hostileStringsAreEscaped() throws {
        let script = "<script>alert(1)</script>"
        let jobs = [
            Self.job("x\"><img src=x onerror=alert(1)>", .queued, source: "s3://b/\(script)/'\"&/"),
            Self.failed(
                "t<b>",
                JobError(.invalidMessage, "</td></tr></table>\(script)&amp;\u{0}\u{1B}", field: "f'\"<i>"),
                source: "s3://b/</span><iframe src=//evil>/"
            ),
        ]
        var model = Self.model(jobs: jobs)
        model.resultLocation = { "/compress-dicom/\($0)\"onmouseover=\"alert(1)" }
        let page = DashboardPage.render(model)

        for raw in ["<script", "<img", "<iframe", "<b>", "<i>", "</table></table>", "\u{0}", "\u{1B}"] {
            #expect(!page.contains(raw), "raw \(raw.debugDescription) reached the page")
        }
        #expect(!page.contains("\"onmouseover=\""))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(page.contains("s3://b/&lt;script&gt;alert(1)&lt;/script&gt;/&#39;&quot;&amp;/"))
        #expect(page.contains("(field <code>f&#39;&quot;&lt;i&gt;</code>)"))
        #expect(page.contains("&amp;amp;"))
        #expect(page.contains("href=\"/compress-dicom/t&lt;b&gt;&quot;onmouseover=&quot;alert(1)\""))
        try checkBalanced(page)
    }

    @Test func linksOnlyToThisServerOrHTTP() {
        var model = Self.model(jobs: [Self.completed("done")])
        for target in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example/x", "/\\evil"]
        {
            model.resultLocation = { _ in target }
            model.downloadLink = { _ in target }
            let page = DashboardPage.render(model)
            #expect(!page.contains(">result JSON</a>"), "\(target)")
            #expect(!page.contains(">download</a>"), "\(target)")
        }
        model.downloadLink = { _ in "https://bucket.s3.amazonaws.com/x.zip?X-Amz-Signature=1&a=2" }
        #expect(
            DashboardPage.render(model).contains(
                "<a href=\"https://bucket.s3.amazonaws.com/x.zip?X-Amz-Signature=1&amp;a=2\""
            )
        )
    }

    @Test func failedFilesAndBitExactQualityStandOut() {
        let page = DashboardPage.render(Self.model(jobs: [Self.completed("partial", failedFiles: 2, psnrMin: nil)]))
        #expect(page.contains("392 compressed<br><strong class=\"bad\">2 failed</strong>"))
        #expect(visibleText(page).contains("exact"))
    }

    @Test func failedJobWithoutErrorSaysSo() {
        var result = Self.job("odd", .failed)
        result.success = false
        let text = visibleText(DashboardPage.render(Self.model(jobs: [result])))
        #expect(text.contains("Failed without an error recorded in the result."))
    }

    @Test func comparisonTable() {
        var lossless = Self.completed("lossless", psnrMin: nil)
        lossless.options.compressionRate = 1
        var htj2k = Self.completed("ht")
        htj2k.options.transferSyntax = .htj2k
        let page = DashboardPage.render(Self.model(jobs: [Self.completed("a"), Self.completed("b"), lossless, htj2k]))
        let text = visibleText(page)
        #expect(text.contains("openjpeg j2k lossless 1 1 min 2 s 70:1 190 % 150 MB exact or unchecked"))
        #expect(text.contains("openjpeg j2k 100 2 1 min 2 s 70:1 190 % 150 MB 48."))
        #expect(text.contains("openjpeg htj2k 100 1"))
    }

    @Test func askedForShowsQualityTargetsAndOptions() {
        let psnr = Self.job("p", .queued, options: JobOptions(targetPSNR: 45))
        let maxError = Self.job("m", .queued, options: JobOptions(maxError: 4))
        let fast = Self.job(
            "f",
            .queued,
            options: JobOptions(compressionRate: 12.5, anonymize: true, encoderSpeed: .fast)
        )
        let text = visibleText(DashboardPage.render(Self.model(jobs: [psnr, maxError, fast])))
        #expect(text.contains("PSNR ≥ 45 dB"))
        #expect(text.contains("max error ≤ 4"))
        #expect(text.contains("rate 12.5"))
        #expect(text.contains("rate 12.5 openjpeg / j2k (fast) anonymized"))
    }

    @Test func refreshIsBounded() {
        let jobs = [Self.completed("a")]
        #expect(
            DashboardPage.render(Self.model(jobs: jobs, refreshSeconds: 15)).contains(
                "http-equiv=\"refresh\" content=\"15\""
            )
        )
        #expect(DashboardPage.render(Self.model(jobs: jobs, refreshSeconds: 1_000_000)).contains("content=\"3600\""))
        let never = DashboardPage.render(Self.model(jobs: jobs, refreshSeconds: 0))
        #expect(!never.contains("http-equiv=\"refresh\""))
        #expect(visibleText(never).contains("reload the page to update"))
        #expect(DashboardPage.render(Self.model(jobs: jobs)).contains("2026-11-30 00:53:20 UTC"))
    }

    @Test func numbersFromDocumentsNeverTrap() {
        var result = Self.completed("weird")
        result.compressionStats?.processingTime = .nan
        result.compressionStats?.compressionRatio = .infinity
        result.compressionStats?.originalSize = -5
        result.quality?.psnrMin = -.infinity
        result.options.compressionRate = .greatestFiniteMagnitude
        result.completedAt = Self.now.addingTimeInterval(3_600)  // a clock ahead of ours
        let queue = QueueSnapshot(
            depth: -1,
            inFlight: .max,
            oldestQueuedAge: .infinity,
            meanProcessingTime: -3,
            estimatedWait: 1e300
        )
        let page = DashboardPage.render(Self.model(queue: queue, jobs: [result]))
        #expect(page.contains("</html>"))
        #expect(visibleText(page).contains("just now"))
        #expect(DashboardFormat.duration(.nan) == "–")
        #expect(DashboardFormat.duration(-3) == "0.0 s")
        #expect(DashboardFormat.duration(1e300) == "11574074 d 1 h")
        #expect(DashboardFormat.bytes(-5) == "0.0 KB")
    }

    @Test(arguments: [
        (0.04, "0.0 s"), (9.96, "10.0 s"), (12.4, "12 s"), (59.4, "59 s"), (60, "1 min 0 s"), (3_599, "59 min 59 s"),
        (3_600, "1 h 0 min"), (86_399, "23 h 59 min"), (90_000, "1 d 1 h"),
    ])
    func durations(seconds: Double, expected: String) {
        #expect(DashboardFormat.duration(seconds) == expected)
    }

    @Test func escapeHandlesEveryMetacharacter() {
        #expect(HTML.escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(HTML.escape("tab\tline\nok") == "tab\tline\nok")
        #expect(HTML.escape("\u{0}\u{7F}\u{85}é") == "\u{FFFD}\u{FFFD}\u{FFFD}é")
    }
}

/// The page's text as a reader sees it: tags dropped, entities decoded, whitespace collapsed.
func visibleText(_ html: String) -> String {
    var text = html
    if let start = text.range(of: "<style>"), let end = text.range(of: "</style>") {
        text.removeSubrange(start.lowerBound..<end.upperBound)
    }
    text = text.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
    for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
        text = text.replacingOccurrences(of: entity, with: character)
    }
    return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        .replacingOccurrences(of: " )", with: ")").replacingOccurrences(of: "( ", with: "(")
        .replacingOccurrences(of: " :", with: ":").replacingOccurrences(of: " ,", with: ",")
        .replacingOccurrences(of: " .", with: ".")
}

/// Every non-void element that opens also closes, in order: an injected tag would break this.
func checkBalanced(_ html: String) throws {
    let void: Set<String> = ["meta", "br", "img", "input", "link", "hr", "wbr"]
    var stack: [String] = []
    let body = html.replacingOccurrences(of: "<!DOCTYPE html>", with: "")
    let regex = try Regex(#"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>"#)
    for match in body.matches(of: regex) {
        let closing = match.output[1].substring == "/"
        guard let name = match.output[2].substring.map({ String($0).lowercased() }), !void.contains(name) else {
            continue
        }
        if closing {
            let open = stack.popLast()
            #expect(open == name, "</\(name)> closes <\(open ?? "nothing")>")
            if open != name { return }
        } else {
            stack.append(name)
        }
    }
    #expect(stack.isEmpty, "unclosed: \(stack)")
}
