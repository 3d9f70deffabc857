import CompressionJob
import Foundation

/// Human units for the dashboard: `2 min 5 s`, `196.9 MB`, `70:1`, `48.2 dB`. Every number comes
/// from a result document or the queue, so non-finite and negative values print as a dash or zero
/// instead of trapping.
enum DashboardFormat {
    static let missing = "–"

    /// A duration in seconds: `0.4 s`, `12 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return missing }
        let value = max(0, seconds)
        if value < 10 { return String(format: "%.1f s", value) }
        if value < 60 { return String(format: "%.0f s", value) }
        // Whole seconds from here; clamp before converting so a huge value cannot trap.
        let total = Int(min(value, 1e12).rounded())
        let (days, hours, minutes, secs) = (total / 86_400, total % 86_400 / 3_600, total % 3_600 / 60, total % 60)
        if days > 0 { return "\(days) d \(hours) h" }
        if hours > 0 { return "\(hours) h \(minutes) min" }
        return "\(minutes) min \(secs) s"
    }

    /// How long ago `date` was, from `now`: `just now`, `45 s ago`, `3 min 20 s ago`.
    static func age(of date: Date?, now: Date) -> String {
        guard let date else { return missing }
        let seconds = now.timeIntervalSince(date)
        if seconds < 1 { return "just now" }
        return duration(seconds) + " ago"
    }

    /// Bytes as the result JSON's `display` shows them (binary units labelled KB, MB, GB).
    static func bytes(_ count: Int?) -> String {
        guard let count else { return missing }
        let text = DisplayFormat.bytes(max(0, count))  // `196.9MB`: put a space before the unit
        return text.dropLast(2) + " " + text.suffix(2)
    }

    /// `70:1`, `2.5:1`; a dash for no ratio.
    static func ratio(_ ratio: Double?) -> String {
        guard let ratio, ratio.isFinite, ratio > 0 else { return missing }
        return DisplayFormat.ratio(ratio)
    }

    /// A PSNR in dB with one decimal.
    static func decibels(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return String(format: "%.1f dB", value)
    }

    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return String(format: "%.0f %%", value)
    }

    static func megabytes(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return String(format: "%.0f MB", max(0, value))
    }

    /// What a job was asked for: `rate 100`, `lossless`, `PSNR ≥ 45 dB`, `max error ≤ 4`.
    static func target(_ options: JobOptions) -> String {
        if let psnr = options.targetPSNR { return "PSNR ≥ " + number(psnr) + " dB" }
        if let maxError = options.maxError { return maxError == 0 ? "lossless" : "max error ≤ \(maxError)" }
        if options.compressionRate == 1 { return "lossless" }
        return "rate " + number(options.compressionRate)
    }

    /// `100`, `12.5`: a whole number without decimals, otherwise up to three.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// `2026-12-02 03:14:07 UTC`.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d UTC",
            c.year ?? 0,
            c.month ?? 0,
            c.day ?? 0,
            c.hour ?? 0,
            c.minute ?? 0,
            c.second ?? 0
        )
    }

    /// ISO 8601 for `<time datetime>`.
    static func iso8601(_ date: Date) -> String { date.formatted(.iso8601) }
}
