import AWSClients
import Foundation
import Logging
import NIOCore

/// Where result JSON documents live: `{taskId}.json` under an S3 prefix or a local folder.
package protocol ResultStore: Sendable {
    /// Where `taskId`'s document is (`s3://…/{taskId}.json` or a path).
    func location(of taskId: String) -> String
    /// The task's document; `nil` when there is none.
    /// - Throws: ``JobError/Code/resultsUnavailable`` when the store cannot be read or the document is not a result.
    func load(taskId: String) async throws(JobError) -> JobResult?
    /// Writes (replaces) the task's document.
    /// - Throws: ``JobError/Code/resultsUnavailable``.
    func save(_ result: JobResult) async throws(JobError)
    /// Every document in the store (for `results` and `status`).
    func loadAll() async throws(JobError) -> [JobResult]
}

/// Result documents in S3 at `prefix/{taskId}.json`.
package struct S3ResultStore: ResultStore {
    package let s3: S3Client
    package let prefix: S3URI
    package let logger: Logger

    package init(s3: S3Client, prefix: S3URI, logger: Logger) {
        self.s3 = s3
        self.prefix = prefix
        self.logger = logger
    }

    package func location(of taskId: String) -> String {
        S3URI(bucket: prefix.bucket, key: prefix.key + taskId + ".json").description
    }

    package func load(taskId: String) async throws(JobError) -> JobResult? {
        try await load(key: prefix.key + taskId + ".json")
    }

    private func load(key: String) async throws(JobError) -> JobResult? {
        let buffer: ByteBuffer
        do {
            buffer = try await s3.getObjectBytes(bucket: prefix.bucket, key: key, maxBytes: 64 << 20, logger: logger)
        } catch let error as S3Error where error.code == .notFound {
            return nil
        } catch {
            throw JobError(.resultsUnavailable, "cannot read a result in \(prefix): \(error)")
        }
        do {
            return try JobResult.makeDecoder().decode(JobResult.self, from: Data(buffer.readableBytesView))
        } catch {
            throw JobError(.resultsUnavailable, "a result in \(prefix) is not a result document: \(error)")
        }
    }

    package func save(_ result: JobResult) async throws(JobError) {
        let key = prefix.key + result.taskId + ".json"
        do {
            let json = try JobResult.makeEncoder().encode(result)
            try await s3.putObject(
                bucket: prefix.bucket,
                key: key,
                body: ByteBuffer(bytes: json),
                contentType: "application/json",
                logger: logger
            )
        } catch {
            throw JobError(.resultsUnavailable, "cannot write the result to \(prefix): \(error)")
        }
    }

    package func loadAll() async throws(JobError) -> [JobResult] {
        var keys: [String] = []
        do {
            for try await object in s3.listObjects(bucket: prefix.bucket, prefix: prefix.key, logger: logger) {
                let rest = object.key.dropFirst(prefix.key.count)
                if rest.hasSuffix(".json"), !rest.contains("/") { keys.append(object.key) }
            }
        } catch {
            throw JobError(.resultsUnavailable, "cannot list the results in \(prefix): \(error)")
        }
        var results: [JobResult] = []
        for key in keys {
            // A foreign .json next to the results is not ours: skip it rather than fail the listing.
            if let result = try? await load(key: key) { results.append(result) }
        }
        return results
    }
}

/// Result documents in a local folder (`run --results-dir`, tests).
package struct LocalResultStore: ResultStore {
    package let folder: URL

    package init(folder: URL) { self.folder = folder }

    package func location(of taskId: String) -> String { url(taskId).path }

    private func url(_ taskId: String) -> URL { folder.appendingPathComponent(taskId + ".json") }

    package func load(taskId: String) async throws(JobError) -> JobResult? {
        guard FileManager.default.fileExists(atPath: url(taskId).path) else { return nil }
        do {
            return try JobResult.makeDecoder().decode(JobResult.self, from: Data(contentsOf: url(taskId)))
        } catch {
            throw JobError(.resultsUnavailable, "cannot read \(url(taskId).path): \(error)")
        }
    }

    package func save(_ result: JobResult) async throws(JobError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try JobResult.makeEncoder().encode(result).write(to: url(result.taskId), options: .atomic)
        } catch {
            throw JobError(.resultsUnavailable, "cannot write \(url(result.taskId).path): \(error)")
        }
    }

    package func loadAll() async throws(JobError) -> [JobResult] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            try? JobResult.makeDecoder().decode(
                JobResult.self,
                from: Data(contentsOf: folder.appendingPathComponent(name))
            )
        }
    }
}
