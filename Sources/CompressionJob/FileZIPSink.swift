import Foundation
import ZIPStream

/// A ZIP sink writing to a local file. A class, so the writer's copy and the job share one handle
/// and one close.
package final class FileZIPSink: ZIPStreamSink {
    private var handle: FileHandle?

    /// Creates (or truncates) the file at `url`.
    package init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw JobError(.outputFailed, "cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    package func write(_ bytes: [UInt8]) async throws {
        guard let handle else { throw JobError(.outputFailed, "write after close") }
        try handle.write(contentsOf: bytes)
    }

    /// Flushes to disk and closes; later calls do nothing.
    package func close() throws {
        guard let handle else { return }
        self.handle = nil
        try handle.synchronize()
        try handle.close()
    }

    deinit { try? handle?.close() }
}
