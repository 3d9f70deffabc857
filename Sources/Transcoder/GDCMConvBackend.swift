import Foundation

/// The `gdcmconv` backend: one external process per file, as the earlier prototype did, kept so
/// both approaches can be compared side by side. Concurrency is bounded by the caller's pool of
/// threads, each of which blocks in ``transcode(input:output:mode:)`` while its child runs.
public struct GDCMConvBackend: Sendable {
    /// What to ask `gdcmconv` for.
    public enum Mode: Sendable, Equatable {
        /// `--j2k` (reversible 5/3).
        case lossless
        /// `--j2k --lossy --irreversible -r RATE`. `rate` is passed as is: GDCM hands it to
        /// OpenJPEG, which measures it against the codestream precision
        /// (see ``gdcmRate(target:bitsAllocated:bitsStored:)``).
        case lossy(rate: Double)
    }

    /// One finished conversion, with what the child process used.
    public struct Run: Sendable {
        public var userSeconds: Double
        public var systemSeconds: Double
        public var maxResidentBytes: Int
        public var wallSeconds: Double
    }

    /// Why a conversion failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let executable: String
    /// Seconds after which a stuck `gdcmconv` is killed.
    public var timeout: Double

    /// Finds `gdcmconv` (or uses `executable`); `nil` when it is not installed.
    public init?(executable: String? = nil, timeout: Double = 120) {
        guard let path = executable ?? ChildProcess.which("gdcmconv"), access(path, X_OK) == 0 else { return nil }
        self.executable = path
        self.timeout = timeout
    }

    /// The command-line arguments, in the only form Debian's GDCM 3.0.21 gets right: the long
    /// `--rate` aborts, and `-r` without `--lossy` silently writes lossless output.
    public static func arguments(input: String, output: String, mode: Mode) -> [String] {
        switch mode {
        case .lossless:
            return ["--j2k", input, output]
        case .lossy(let rate):
            return ["--j2k", "--lossy", "--irreversible", "-r", OutputRate.format(rate), input, output]
        }
    }

    /// Converts the file at `input` into `output`.
    /// - Throws: ``Failure`` when `gdcmconv` cannot start, times out, exits non-zero or writes nothing.
    @discardableResult
    public func transcode(input: String, output: String, mode: Mode) throws -> Run {
        let result: ChildProcessResult
        do {
            result = try ChildProcess.run(
                executable,
                Self.arguments(input: input, output: output, mode: mode),
                timeout: timeout
            )
        } catch {
            throw Failure(description: "\(error)")
        }
        if result.timedOut {
            throw Failure(description: "gdcmconv timed out after \(Int(timeout)) s")
        }
        guard result.status == 0, FileManager.default.fileExists(atPath: output) else {
            let lastLine = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
            throw Failure(description: "gdcmconv exited with status \(result.status): \(lastLine)")
        }
        return Run(
            userSeconds: result.userSeconds,
            systemSeconds: result.systemSeconds,
            maxResidentBytes: result.maxResidentBytes,
            wallSeconds: result.wallSeconds
        )
    }

    /// The `-r` value that makes GDCM reach `target` measured against the stored bytes (Bits
    /// Allocated), as our encoder does.
    ///
    /// OpenJPEG measures its rate against the codestream precision. Debian's GDCM 3.0.21 writes
    /// the precision as Bits Allocated whatever Bits Stored says (measured: 12-bit CT in 16 bits
    /// gets precision 16, and `-r 20` gives 20.0:1 against the stored bytes), so its `-r` already
    /// is our ratio and is passed through unchanged. A GDCM that wrote Bits Stored instead would
    /// need `target × bitsStored / bitsAllocated`; `GDCMTranscoderTests` checks the achieved ratio
    /// so such a change would show.
    public static func gdcmRate(target: Double, bitsAllocated: Int, bitsStored: Int) -> Double {
        target
    }
}

enum OutputRate {
    /// `100` for whole numbers, up to four decimals otherwise.
    static func format(_ rate: Double) -> String {
        if rate == rate.rounded(), abs(rate) < 1e12 { return String(Int64(rate)) }
        var text = String(format: "%.4f", rate)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
