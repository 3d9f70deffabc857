import Foundation

/// Every figure of one `bench` run, and the table and targets printed from them.
struct BenchReport: Encodable {
    var study: String
    var files = 0
    var images = 0
    var bytes = 0
    var rate: Double
    var threads: Int
    var gdcmParallel: Int
    var repeats: Int
    var openjpegVersion: String
    var cores: Int
    var encoderAlone: BenchTiming?
    var ours: BenchTiming?
    var oursQuality: StudyQuality?
    var gdcmconv: BenchTiming?
    var gdcmconvQuality: StudyQuality?
    /// The bench's own resident memory when it spawned gdcmconv: a floor under gdcmconv's peak,
    /// since the kernel counts it into each child's `ru_maxrss`.
    var benchResidentAtSpawn: Int?
    /// The study through `Transcoder` in this process with each codec and mode (see ``InProcessRun``).
    var inProcess: [InProcessRun] = []
    var openjphVersion = ""
    var targets: [Target] { evaluateTargets() }

    mutating func describe(_ study: BenchStudy) {
        files = study.files.count
        images = study.imageCount
        bytes = study.totalBytes
    }

    /// A goal from the JPEG 2000 issue, checked against this run's figures.
    struct Target: Encodable {
        var goal: String
        var measured: String
        var met: Bool
    }

    private enum CodingKeys: String, CodingKey {
        case study, files, images, bytes, rate, threads, gdcmParallel, repeats, openjpegVersion, cores
        case encoderAlone, ours, oursQuality, gdcmconv, gdcmconvQuality, benchResidentAtSpawn, targets
        case inProcess, openjphVersion
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(study, forKey: .study)
        try c.encode(files, forKey: .files)
        try c.encode(images, forKey: .images)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(rate, forKey: .rate)
        try c.encode(threads, forKey: .threads)
        try c.encode(gdcmParallel, forKey: .gdcmParallel)
        try c.encode(repeats, forKey: .repeats)
        try c.encode(openjpegVersion, forKey: .openjpegVersion)
        try c.encode(cores, forKey: .cores)
        try c.encodeIfPresent(encoderAlone, forKey: .encoderAlone)
        try c.encodeIfPresent(ours, forKey: .ours)
        try c.encodeIfPresent(oursQuality, forKey: .oursQuality)
        try c.encodeIfPresent(gdcmconv, forKey: .gdcmconv)
        try c.encodeIfPresent(gdcmconvQuality, forKey: .gdcmconvQuality)
        try c.encodeIfPresent(benchResidentAtSpawn, forKey: .benchResidentAtSpawn)
        try c.encode(targets, forKey: .targets)
        try c.encode(inProcess, forKey: .inProcess)
        try c.encode(openjphVersion, forKey: .openjphVersion)
    }

    private func evaluateTargets() -> [Target] {
        var targets: [Target] = []
        guard let ours else { return targets }
        if let gdcmconv {
            let limit = 0.75 * gdcmconv.wallSeconds
            targets.append(
                Target(
                    goal: "job wall time ≤ 0.75 × gdcmconv's",
                    measured: String(format: "%.2f s ≤ %.2f s", ours.wallSeconds, limit),
                    met: ours.wallSeconds <= limit
                )
            )
        }
        if let encoderAlone {
            let limit = 1.15 * encoderAlone.wallSeconds / Double(threads)
            targets.append(
                Target(
                    goal: "job wall time ≤ 1.15 × encoder alone ÷ \(threads) threads",
                    measured: String(format: "%.2f s ≤ %.2f s", ours.wallSeconds, limit),
                    met: ours.wallSeconds <= limit
                )
            )
        }
        if let peak = ours.peakResidentBytes {
            targets.append(
                Target(
                    goal: "job peak RSS ≤ 150 MB",
                    measured: String(format: "%.1f MB", Double(peak) / 1_048_576),
                    met: peak <= 150 * 1_048_576
                )
            )
        }
        if let mine = oursQuality, let theirs = gdcmconvQuality {
            if let a = mine.psnr, let b = theirs.psnr {
                targets.append(
                    Target(
                        goal: "PSNR ≥ gdcmconv's − 0.3 dB at the same ratio",
                        measured: String(
                            format: "%.2f dB vs %.2f dB (ratios %.1f vs %.1f)",
                            a,
                            b,
                            mine.pixelRatio,
                            theirs.pixelRatio
                        ),
                        met: a >= b - 0.3
                    )
                )
            } else {
                let exact = mine.maxAbsError == 0
                targets.append(
                    Target(goal: "lossless output is exact", measured: "max error \(mine.maxAbsError)", met: exact)
                )
            }
        }
        let openjpeg = inProcess.first { $0.name == "OpenJPEG" }
        if let ht = inProcess.first(where: { $0.name == "HTJ2K" }) {
            if let openjpeg {
                let speedup = openjpeg.timing.wallSeconds / ht.timing.wallSeconds
                targets.append(
                    Target(
                        goal: "HTJ2K ≥ 4× faster than OpenJPEG (in process, same threads)",
                        measured: String(format: "%.1f×", speedup),
                        met: speedup >= 4
                    )
                )
            }
            let jobSpeedup = ours.wallSeconds / ht.timing.wallSeconds
            targets.append(
                Target(
                    goal: "HTJ2K ≥ 4× faster than our OpenJPEG job",
                    measured: String(format: "%.1f×", jobSpeedup),
                    met: jobSpeedup >= 4
                )
            )
            if let gdcmconv {
                let speedup = gdcmconv.wallSeconds / ht.timing.wallSeconds
                targets.append(
                    Target(
                        goal: "HTJ2K ≥ 8× faster than gdcmconv",
                        measured: String(format: "%.1f×", speedup),
                        met: speedup >= 8
                    )
                )
            }
        }
        return targets
    }

    /// The human-readable report.
    func table() -> String {
        var lines: [String] = []
        lines.append(
            "study \(study): \(files) files, \(images) images, \(String(format: "%.1f", Double(bytes) / 1_048_576)) MB; "
                + "rate \(rate), \(threads) threads, OpenJPEG \(openjpegVersion), \(cores) cores, best of \(repeats)"
        )
        lines.append("")
        let header = [
            "contender", "wall s", "CPU s", "peak RSS MB", "output MB", "pixel ratio", "file ratio", "PSNR dB",
            "PSNR min", "max err",
        ]
        var rows: [[String]] = [header]
        func mb(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "–" }
        func row(_ name: String, _ t: BenchTiming?, _ q: StudyQuality?) -> [String] {
            [
                name, t.map { String(format: "%.2f", $0.wallSeconds) } ?? "–",
                t.map { String(format: "%.2f", $0.cpuSeconds) } ?? "–",
                mb(t?.peakResidentBytes), mb(q?.outputBytes), q.map { String(format: "%.1f", $0.pixelRatio) } ?? "–",
                q.map { String(format: "%.1f", $0.fileRatio) } ?? "–",
                q.map { $0.psnr.map { String(format: "%.2f", $0) } ?? "exact" } ?? "–",
                q.map { $0.psnrMin.map { String(format: "%.2f", $0) } ?? "exact" } ?? "–",
                q.map { String($0.maxAbsError) } ?? "–",
            ]
        }
        if let encoderAlone {
            rows.append(row("OpenJPEG encoder alone, serial", encoderAlone, nil))
            var ideal = encoderAlone
            ideal.wallSeconds /= Double(threads)
            rows.append(row("  ÷ \(threads) threads (ideal)", ideal, nil))
        }
        rows.append(row("dicom-j2k run, \(threads) threads", ours, oursQuality))
        if gdcmconv != nil { rows.append(row("gdcmconv, \(gdcmParallel) at a time", gdcmconv, gdcmconvQuality)) }
        for run in inProcess {
            rows.append(row("in process, \(threads) threads: \(run.name)", run.timing, run.quality))
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (index, row) in rows.enumerated() {
            let cells = row.enumerated().map { column, cell in
                column == 0
                    ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }
            lines.append(cells.joined(separator: "  "))
            if index == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        if gdcmconv != nil, let floor = benchResidentAtSpawn {
            lines.append(
                "\ngdcmconv's peak RSS is its largest child's ru_maxrss, which includes the bench's own "
                    + "\(mb(floor)) MB at spawn time (vfork + exec accounting); ours is the job's own VmHWM."
            )
        }
        if !inProcess.isEmpty {
            lines.append(
                "\nin-process rows (OpenJPH \(openjphVersion)): encodes per frame mean / max; per-file ratio min–max; "
                    + "quality mode: files meeting the target / stored lossless"
            )
            for run in inProcess {
                var text =
                    "  \(run.name): "
                    + String(
                        format: "%.2f / %d encodes; ratio %.1f–%.1f",
                        run.encodesMean,
                        run.encodesMax,
                        run.fileRatioMin,
                        run.fileRatioMax
                    )
                if let met = run.targetsMet, let lossless = run.storedLossless {
                    text += "; target met \(met)/\(run.quality?.files ?? 0), stored lossless \(lossless)"
                }
                if !run.failures.isEmpty { text += "; \(run.failures.count) FAILED: \(run.failures[0])" }
                lines.append(text)
            }
        }
        let problems =
            (oursQuality?.problems ?? []) + (gdcmconvQuality?.problems ?? [])
            + inProcess.flatMap { $0.quality?.problems ?? [] }
        if !problems.isEmpty { lines.append("\nproblems:\n  " + problems.prefix(10).joined(separator: "\n  ")) }
        lines.append("\ntargets (JPEG 2000 issue; figures of this run, not a test):")
        for target in targets {
            lines.append("  [\(target.met ? "met" : "MISSED")] \(target.goal): \(target.measured)")
        }
        return lines.joined(separator: "\n")
    }
}
