import AWSClients
import Foundation
import Logging
import ZIPStream

/// Where a job's ZIP goes: a local file, or an S3 object written by multipart upload. The archive
/// is streamed into ``ArchiveSink``; it becomes visible only when the body returns (commit), and
/// whatever was written is discarded when the body throws or the task is cancelled, so a failed
/// job never leaves a partial archive.
package protocol JobDestination: Sendable {
    /// What the result's `s3CompressedPath` says (`s3://bucket/key.zip`, or the file's path).
    var location: String { get }
    /// Runs `body` with a sink for the archive; commits when it returns, discards when it throws.
    /// - Throws: what `body` threw (after discarding), or ``JobError/Code/outputFailed`` when the
    ///   output cannot be created or committed.
    func withArchive(_ body: (ArchiveSink) async throws -> PipelineReport) async throws -> PipelineReport
}

/// The ZIP writer's sink over a destination's write operation.
package final class ArchiveSink: ZIPStreamSink {
    private let writeBytes: ([UInt8]) async throws -> Void

    package init(_ writeBytes: @escaping ([UInt8]) async throws -> Void) {
        self.writeBytes = writeBytes
    }

    package func write(_ bytes: [UInt8]) async throws {
        try await writeBytes(bytes)
    }
}

/// A local ZIP file, written under a hidden temporary name next to it and renamed when complete
/// (replacing an existing file: `run` targets are the caller's to choose).
package struct LocalZIPDestination: JobDestination {
    package let url: URL

    package init(url: URL) { self.url = url }

    package var location: String { url.path }

    package func withArchive(_ body: (ArchiveSink) async throws -> PipelineReport) async throws -> PipelineReport {
        let partial = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        let file: FileZIPSink
        do {
            file = try FileZIPSink(url: partial)
        } catch {
            throw JobError(.outputFailed, "cannot create \(partial.path)")
        }
        do {
            let report = try await body(ArchiveSink { try await file.write($0) })
            try file.close()
            if FileManager.default.fileExists(atPath: url.path) {
                try FileManager.default.removeItem(at: url)
            }
            try FileManager.default.moveItem(at: partial, to: url)
            return report
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
    }
}

/// An S3 object written part by part (``S3Client/withMultipartUpload(bucket:key:options:logger:_:)``):
/// completed when the archive is, aborted on every failure. Memory: about (parts in flight + 2) × part size.
package struct S3ZIPDestination: JobDestination {
    package let s3: S3Client
    package let uri: S3URI
    package let options: S3MultipartUploadOptions
    package let logger: Logger

    /// - Parameters:
    ///   - ifNoneMatch: complete only if the key is still free (`If-None-Match: *`).
    ///   - taskId: stored as `x-amz-meta-task-id`, so a redelivery recognises its own earlier output.
    package init(s3: S3Client, uri: S3URI, partSize: Int, ifNoneMatch: Bool, taskId: String, logger: Logger) {
        self.s3 = s3
        self.uri = uri
        self.options = S3MultipartUploadOptions(
            partSize: partSize,
            contentType: "application/zip",
            metadata: [S3ZIPDestination.taskIdMetadataKey: taskId],
            ifNoneMatch: ifNoneMatch
        )
        self.logger = logger
    }

    /// The user metadata key naming the task that wrote an archive.
    package static let taskIdMetadataKey = "task-id"

    package var location: String { uri.description }

    package func withArchive(_ body: (ArchiveSink) async throws -> PipelineReport) async throws -> PipelineReport {
        var report: PipelineReport?
        do {
            try await s3.withMultipartUpload(bucket: uri.bucket, key: uri.key, options: options, logger: logger) {
                writer in
                report = try await body(ArchiveSink { try await writer.write($0) })
            }
        } catch let error as S3Error where error.code == .alreadyExists {
            throw JobError(.outputFailed, "the target \(uri) was created by someone else while the job ran")
        } catch let error as JobError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as S3Error {
            throw JobError(.outputFailed, "cannot write \(uri): \(error)")
        } catch let error as AWSClientError {
            throw JobError(.outputFailed, "cannot write \(uri): \(error)")
        }
        guard let report else { throw JobError(.outputFailed, "the archive of \(uri) was not written") }
        return report
    }
}
