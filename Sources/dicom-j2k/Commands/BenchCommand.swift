import ArgumentParser
import CompressionJob
import Foundation
import HTJ2K
import JPEG2000
import Logging
import ResourceMonitor
import SampleStudy
import Transcoder

/// `dicom-j2k bench`: our local job against the prototype's method (`gdcmconv` per file, bounded
/// to N processes) and against the OpenJPEG encoder alone, on one study in one run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time our job against gdcmconv (one process per file) and the encoder alone, on one study.",
        discussion: """
            Contenders, each on the same files: the OpenJPEG encoder alone (every frame encoded once, \
            serially, with the job's own settings; its time divided by the thread count is what the \
            job cannot beat), `dicom-j2k run` as a separate process (wall time, CPU, peak memory from \
            the kernel), and `gdcmconv --j2k --lossy --irreversible -r R` per file with N in parallel. \
            Every output is decoded again with our decoder to report the achieved ratio (stored \
            pixel bytes ÷ codestream bytes) and PSNR. Prints a table; --json writes every figure.
            """
    )

    @Option(help: "The study folder (default: a generated sample study of --slices slices).")
    var study: String?

    @Option(help: "Slices of the generated sample study.")
    var slices = 399

    @Option(help: "Target ratio (1 = lossless).")
    var rate: Double = 100

    @Option(help: "Worker threads of our job (default: the number of cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "gdcmconv processes at a time (default: the thread count).")
    var gdcmParallel: Int?

    @Option(help: "Runs of each contender; the fastest counts.")
    var `repeat` = 1

    @Option(
        name: .customLong("psnr"),
        help: "PSNR target (dB) of the quality-mode row (default: the OpenJPEG row's lowest file PSNR)."
    )
    var targetPSNR: Double?

    @Flag(help: "Leave out the in-process rows (OpenJPEG, fast Part 1, HTJ2K, quality target).")
    var noInProcess = false

    @Flag(help: "Leave gdcmconv out.")
    var noGdcmconv = false

    @Flag(help: "Only the encoder alone (no job, gdcmconv or in-process rows): the limit row of benchmarks/run.sh.")
    var encoderOnly = false

    @Option(help: "Write all figures as JSON to this file.")
    var json: String?

    func validate() throws {
        guard rate.isFinite, rate >= 1 else { throw ValidationError("--rate must be ≥ 1") }
        guard (1...256).contains(threads), (1...64).contains(`repeat`) else {
            throw ValidationError("--threads must be 1…256 and --repeat 1…64")
        }
    }

    func run() async throws {
        let logger = Logger(label: "dicom-j2k.bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dicom-j2k-bench-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        let folder: URL
        if let study {
            folder = URL(fileURLWithPath: study)
        } else {
            folder = work.appendingPathComponent("study")
            say("generating a \(slices)-slice sample study")
            try Self.generateStudy(slices: slices, into: folder)
        }
        // The contenders run as child processes before the study is loaded here: the kernel
        // counts the parent's resident memory at spawn time into a child's ru_maxrss (vfork and
        // exec), so the bench stays small while they run.
        let keys = try await LocalFolderSource(root: folder).list().map(\.key)
        guard !keys.isEmpty else { throw ValidationError("no file in \(folder.path)") }
        say("study: \(keys.count) files; rate \(rate); \(threads) threads")
        var report = BenchReport(
            study: folder.path,
            rate: rate,
            threads: threads,
            gdcmParallel: gdcmParallel ?? threads,
            repeats: `repeat`,
            openjpegVersion: JPEG2000Library.openJPEGVersion,
            cores: ProcessInfo.processInfo.activeProcessorCount
        )

        report.openjphVersion = HTJ2KEncoder.openJPHVersion
        if encoderOnly {
            try await runEncoderOnly(folder: folder, into: &report, logger: logger)
            return
        }
        var gdcmFolder: URL?
        if noGdcmconv {
            say("gdcmconv left out (--no-gdcmconv)")
        } else if let backend = GDCMConvBackend() {
            let parallel = gdcmParallel ?? threads
            say("gdcmconv, \(parallel) processes at a time")
            let outputs = work.appendingPathComponent("gdcmconv")
            let images = try Self.imageKeys(folder: folder, keys: keys)
            report.benchResidentAtSpawn = Int(ProcFS.processUsage().residentBytes)
            report.gdcmconv = try best {
                try BenchRunners.gdcmconv(
                    backend: backend,
                    folder: folder,
                    keys: images,
                    outputFolder: outputs,
                    rate: rate,
                    parallel: parallel
                )
            }
            gdcmFolder = outputs
        } else {
            say("gdcmconv is not installed (Debian: apt-get install libgdcm-tools); it is left out")
        }

        say("dicom-j2k run --threads \(threads)")
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let zip = work.appendingPathComponent("ours.zip")
        report.ours = try best {
            try BenchRunners.ourJob(
                executable: executable,
                folder: folder,
                zip: zip,
                resultJSON: work.appendingPathComponent("ours.json"),
                rate: rate,
                threads: threads
            )
        }

        let loaded = try await loadAndTimeEncoder(folder: folder, into: &report, logger: logger)

        if !noInProcess {
            try runInProcess(loaded, into: &report, work: work, logger: logger)
        }

        say("decoding every output")
        let oursFolder = work.appendingPathComponent("ours")
        try Self.unzip(zip, into: oursFolder)
        report.oursQuality = StudyQuality.measure(
            study: loaded,
            outputs: Self.outputs(loaded, in: oursFolder),
            logger: logger
        )
        if let gdcmFolder {
            report.gdcmconvQuality = StudyQuality.measure(
                study: loaded,
                outputs: Self.outputs(loaded, in: gdcmFolder),
                logger: logger
            )
        }

        print(report.table())
        try write(report)
    }

    /// `--encoder-only`: the study loaded and every frame encoded once, serially, `repeat` times
    /// (the fastest counts); the JSON's `encoderAlone` holds the figure.
    private func runEncoderOnly(folder: URL, into report: inout BenchReport, logger: Logger) async throws {
        _ = try await loadAndTimeEncoder(folder: folder, into: &report, logger: logger)
        try write(report)
    }

    /// The study loaded for the encoder, and the encoder alone timed on it (every frame once, serially).
    private func loadAndTimeEncoder(
        folder: URL,
        into report: inout BenchReport,
        logger: Logger
    ) async throws -> BenchStudy {
        let mode: TranscoderOptions.Mode = rate == 1 ? .lossless : .lossy(ratio: rate)
        let loaded = try await BenchStudy.load(folder: folder, mode: mode, logger: logger)
        guard loaded.imageCount > 0 else { throw ValidationError("no transcodable image in \(folder.path)") }
        report.describe(loaded)
        say("encoder alone (serial)")
        report.encoderAlone = try best { try BenchRunners.encoderAlone(loaded, logger: logger) }
        return loaded
    }

    private func write(_ report: BenchReport) throws {
        guard let json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        say("figures written to \(json)")
    }

    /// The in-process rows: the same study through `Transcoder` with each codec and mode.
    private func runInProcess(_ study: BenchStudy, into report: inout BenchReport, work: URL, logger: Logger) throws {
        let base: TranscoderOptions.Mode = rate == 1 ? .lossless : .lossy(ratio: rate)
        var contenders: [(String, TranscoderOptions)] = []
        contenders.append(("OpenJPEG", TranscoderOptions(mode: base)))
        var fast = TranscoderOptions(mode: base)
        fast.speed = .fast
        contenders.append(("OpenJPEG fast (bypass)", fast))
        var ht = TranscoderOptions(mode: base)
        ht.codec = .htj2k
        contenders.append(("HTJ2K", ht))
        for (index, (name, options)) in contenders.enumerated() {
            say("in process: \(name), \(threads) threads")
            report.inProcess.append(
                try bestRun {
                    try InProcessRun.run(
                        name: name,
                        study: study,
                        options: options,
                        threads: threads,
                        outputFolder: work.appendingPathComponent("inprocess-\(index)"),
                        logger: logger
                    )
                }
            )
        }
        guard rate != 1 else { return }
        let floor = report.inProcess.first?.quality?.psnrMin.map { ($0 * 10).rounded(.down) / 10 }
        guard let psnr = targetPSNR ?? floor else { return }
        for codec in [TranscoderOptions.Codec.htj2k, .jpeg2000] {
            var options = TranscoderOptions(mode: .targetPSNR(psnr))
            options.codec = codec
            let name = "\(codec == .htj2k ? "HTJ2K" : "OpenJPEG") PSNR >= \(psnr) dB"
            say("in process: \(name), \(threads) threads")
            report.inProcess.append(
                try bestRun {
                    try InProcessRun.run(
                        name: name,
                        study: study,
                        options: options,
                        threads: threads,
                        outputFolder: work.appendingPathComponent("inprocess-\(codec.rawValue)-psnr"),
                        logger: logger
                    )
                }
            )
        }
    }

    private func bestRun(_ body: () throws -> InProcessRun) throws -> InProcessRun {
        var fastest: InProcessRun?
        for _ in 0..<`repeat` {
            let run = try body()
            if fastest == nil || run.timing.wallSeconds < fastest!.timing.wallSeconds { fastest = run }
        }
        return fastest!
    }

    /// The fastest of `repeat` runs.
    private func best(_ body: () throws -> BenchTiming) throws -> BenchTiming {
        var fastest: BenchTiming?
        for _ in 0..<`repeat` {
            let timing = try body()
            if fastest == nil || timing.wallSeconds < fastest!.wallSeconds { fastest = timing }
        }
        return fastest!
    }

    private func say(_ line: String) { printToStandardError("bench: " + line) }

    static func generateStudy(slices: Int, into folder: URL) throws {
        let writer = try SampleStudyWriter(options: .init(slices: slices))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let failures = ConcurrentResults<String>(count: slices)
        DispatchQueue.concurrentPerform(iterations: slices) { index in
            do {
                try Data(writer.slice(index)).write(to: folder.appendingPathComponent(writer.fileName(forSlice: index)))
            } catch {
                failures.set(index, "\(error)")
            }
        }
        if let failure = failures.values.first { throw BenchError(description: failure) }
    }

    /// The keys whose files our transcoder would encode (gdcmconv gets the same images).
    static func imageKeys(folder: URL, keys: [String]) throws -> [String] {
        let transcoder = Transcoder(
            options: TranscoderOptions(mode: .lossless),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try keys.filter { key in
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(key)))
            return (try? transcoder.encoderInputs(bytes)) != nil
        }
    }

    static func unzip(_ zip: URL, into folder: URL) throws {
        guard let unzip = ChildProcess.which("unzip") else {
            throw BenchError(description: "unzip is needed to read our ZIP back (Debian: apt-get install unzip)")
        }
        let run = try ChildProcess.run(unzip, ["-q", "-o", zip.path, "-d", folder.path], timeout: 600)
        guard run.status == 0 else { throw BenchError(description: "unzip failed: \(run.stderr)") }
    }

    static func outputs(_ study: BenchStudy, in folder: URL) -> [String: URL] {
        Dictionary(uniqueKeysWithValues: study.files.map { ($0.key, folder.appendingPathComponent($0.key)) })
    }
}
