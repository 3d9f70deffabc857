/// Where a ``ZIPStreamWriter`` sends the archive: bytes in order, never revisited.
///
/// The writer never seeks, so the sink can be a pipe, a socket or an S3 multipart upload. A
/// synchronous implementation satisfies the `async` requirement.
public protocol ZIPStreamSink {
    /// Appends `bytes` to the archive. Throwing makes the writer unusable (the archive is incomplete).
    nonisolated(nonsending) mutating func write(_ bytes: [UInt8]) async throws
}

/// A sink collecting the archive in memory, for small archives and tests.
public struct ZIPMemorySink: ZIPStreamSink, Sendable {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ bytes: [UInt8]) {
        self.bytes.append(contentsOf: bytes)
    }
}
