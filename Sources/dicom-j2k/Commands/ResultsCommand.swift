import AWSClients
import ArgumentParser
import CompressionJob
import Foundation

/// `dicom-j2k results`: the comparison table over all completed results, per library, codec and rate.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Compare all completed jobs per library, codec and rate (count, time, ratio, CPU, memory, PSNR)."
    )

    @Flag(help: "Print the rows as JSON instead of a table.")
    var json = false

    @OptionGroup var common: JobCommandOptions

    func run() async throws {
        let configuration = try common.workerConfiguration()
        let prefix = try common.resultsPrefix(configuration)
        let results = try await common.withClients { s3, _, logger in
            try await S3ResultStore(s3: s3, prefix: prefix, logger: logger).loadAll()
        }
        let rows = JobQueries.comparison(results)
        if json { return try printJSON(rows) }
        print(Self.table(rows))
    }

    static func table(_ rows: [JobQueries.ComparisonRow]) -> String {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        var lines = [
            pad("library", 11) + pad("codec", 7) + pad("rate", 8) + pad("jobs", 6) + pad("mean time", 11)
                + pad("mean ratio", 12)
                + pad("CPU peak", 10) + pad("memory peak", 13) + "PSNR min"
        ]
        for row in rows {
            lines.append(
                pad(row.library, 11) + pad(row.codec, 7) + pad(OutputNaming.formatRate(row.rate), 8)
                    + pad(String(row.count), 6)
                    + pad(String(format: "%.1fs", row.meanProcessingTime), 11)
                    + pad(String(format: "%.1f:1", row.meanCompressionRatio), 12)
                    + pad(String(format: "%.0f%%", row.meanCPUPeak), 10)
                    + pad(String(format: "%.0fMB", row.meanMemoryPeakMB), 13)
                    + (row.meanPSNRMin.map { String(format: "%.1f dB", $0) } ?? "exact or unchecked")
            )
        }
        return lines.joined(separator: "\n")
    }
}
