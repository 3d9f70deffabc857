import Foundation

/// The ZIP naming rules (docs/contracts.md, "Output naming and overwrite").
public enum OutputNaming {
    /// The ZIP file name for a job: `outputFilename` when given (`.zip` appended if missing), else
    /// `{folder}-rate{compressionRate}-{YYYYMMDD-HHMMSS}.zip` with the job's start time in UTC.
    ///
    /// - Parameters:
    ///   - sourcePrefix: the key prefix of the source (`download/ct-study/`), or a local folder path.
    ///   - rate: the requested compression rate (`1` = lossless).
    ///   - start: the job's start time.
    ///   - outputFilename: the caller's name, already validated as a plain file name.
    public static func zipFileName(
        sourcePrefix: String,
        rate: Double,
        start: Date,
        outputFilename: String? = nil
    ) -> String {
        if let outputFilename {
            return outputFilename.lowercased().hasSuffix(".zip") ? outputFilename : outputFilename + ".zip"
        }
        return "\(folderLabel(sourcePrefix: sourcePrefix))-rate\(formatRate(rate))-\(timestamp(start)).zip"
    }

    /// The sanitized last path segment of the source prefix; `compressed` when nothing is left.
    /// A prefix that is only the source root segment `download` counts as empty.
    public static func folderLabel(sourcePrefix: String) -> String {
        let segments = sourcePrefix.split(separator: "/", omittingEmptySubsequences: true)
        guard let last = segments.last, !(segments.count == 1 && last == "download") else { return "compressed" }
        var label = ""
        for scalar in last.unicodeScalars {
            if scalar == "_" || CharacterSet.whitespaces.contains(scalar) {
                label.unicodeScalars.append("-")
            } else if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) || scalar == "-" {
                // ASCII only: the name travels in HTTP headers, ZIP entries and shell commands.
                label.unicodeScalars.append(scalar)
            }
            if label.unicodeScalars.count == 50 { break }
        }
        return label.isEmpty ? "compressed" : label
    }

    /// `100` for whole rates, `12.5` otherwise.
    public static func formatRate(_ rate: Double) -> String {
        if rate == rate.rounded(), abs(rate) < 1e15 { return String(Int64(rate)) }
        return String(rate)
    }

    /// `YYYYMMDD-HHMMSS` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "-" + pad(c.hour, 2) + pad(c.minute, 2)
            + pad(c.second, 2)
    }

    /// The `n`th alternative name when the first is taken: `name-1.zip`, `name-2.zip`, …
    public static func numbered(_ fileName: String, _ n: Int) -> String {
        guard n > 0 else { return fileName }
        if fileName.lowercased().hasSuffix(".zip") {
            return String(fileName.dropLast(4)) + "-\(n)" + String(fileName.suffix(4))
        }
        return fileName + "-\(n)"
    }
}

extension OutputNaming {
    /// The highest `-N` tried before a job gives up finding a free name.
    public static let maximumNumber = 1_000
}
