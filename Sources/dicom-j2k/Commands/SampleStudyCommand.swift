import ArgumentParser
import Foundation
import SampleStudy

/// `dicom-j2k sample-study --out DIR`: writes the deterministic CT phantom study used by the demo,
/// the tests and the benchmarks.
struct SampleStudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-study",
        abstract: "Write a deterministic, realistic synthetic CT study (512×512, 12-bit signed HU).",
        discussion: """
            The same options always give byte-identical files. The default matches the study the \
            earlier prototype was measured with: 399 axial slices of about 0.5 MB.
            """
    )

    @Option(help: "Folder to write the study into (created if missing).")
    var out: String

    @Option(help: "Number of slices.")
    var slices = 399

    @Option(help: "Rows and columns of each slice.")
    var size = 512

    @Flag(help: "Write Implicit VR Little Endian, as older scanners do (default: Explicit VR Little Endian).")
    var implicit = false

    @Option(help: "Seed of the phantom's random details and noise.")
    var seed: UInt64 = 0x00C7_5EED

    func run() async throws {
        let writer: SampleStudyWriter
        do {
            writer = try SampleStudyWriter(
                options: .init(slices: slices, rows: size, columns: size, implicitVR: implicit, seed: seed)
            )
        } catch {
            throw ValidationError("\(error)")
        }
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let started = Date()
        let failure = FirstError()
        // Slices are independent: generate them on every core.
        DispatchQueue.concurrentPerform(iterations: slices) { index in
            do {
                let bytes = try writer.slice(index)
                try Data(bytes).write(to: folder.appendingPathComponent(writer.fileName(forSlice: index)))
            } catch {
                failure.record(error)
            }
        }
        if let error = failure.error { throw error }
        let seconds = Date().timeIntervalSince(started)
        printToStandardError(
            "wrote \(slices) slices (\(size)x\(size), \(implicit ? "implicit" : "explicit") VR) to \(out) in "
                + String(format: "%.1f s", seconds)
        )
    }
}

/// The first error from concurrent work.
private final class FirstError: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var first: (any Error)?

    func record(_ error: any Error) { lock.withLock { if first == nil { first = error } } }
    var error: (any Error)? { lock.withLock { first } }
}
