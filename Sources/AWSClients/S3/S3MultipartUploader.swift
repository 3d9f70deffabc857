import Logging
import NIOCore

/// Options of ``S3Client/withMultipartUpload(bucket:key:options:logger:_:)``.
public struct S3MultipartUploadOptions: Sendable {
    /// The size of every part but the last (5 MiB … 5 GiB; default 8 MiB). Objects of up to
    /// 10,000 × `partSize` bytes can be written.
    public var partSize: Int
    /// Parts uploading at once (default 2). Memory held is about (`maxConcurrentParts` + 2) × `partSize`.
    public var maxConcurrentParts: Int
    public var contentType: String?
    /// `x-amz-meta-*` metadata.
    public var metadata: [String: String]
    /// Create the object only if the key is free (`If-None-Match: *`); otherwise the upload fails
    /// with ``S3Error/Code/alreadyExists`` and is aborted.
    public var ifNoneMatch: Bool

    public init(
        partSize: Int = 8 * 1024 * 1024,
        maxConcurrentParts: Int = 2,
        contentType: String? = nil,
        metadata: [String: String] = [:],
        ifNoneMatch: Bool = false
    ) {
        self.partSize = partSize
        self.maxConcurrentParts = maxConcurrentParts
        self.contentType = contentType
        self.metadata = metadata
        self.ifNoneMatch = ifNoneMatch
    }
}

/// Writes an object as a stream of bytes; handed to the closure of
/// ``S3Client/withMultipartUpload(bucket:key:options:logger:_:)``. Use it from that closure only.
public final class S3UploadWriter {
    let client: S3Client
    let bucket: String
    let key: String
    let options: S3MultipartUploadOptions
    let logger: Logger
    let channel: PartChannel
    var uploadID: String?
    var pending = ByteBuffer()
    var nextPartNumber = 1
    /// Bytes written so far.
    public private(set) var bytesWritten: Int64 = 0

    init(
        client: S3Client,
        bucket: String,
        key: String,
        options: S3MultipartUploadOptions,
        logger: Logger,
        channel: PartChannel
    ) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.options = options
        self.logger = logger
        self.channel = channel
        pending.reserveCapacity(options.partSize)
    }

    /// Appends bytes to the object. Suspends while enough parts are waiting to upload, so a fast
    /// producer cannot fill memory.
    public func write(_ bytes: ByteBuffer) async throws {
        var bytes = bytes
        bytesWritten += Int64(bytes.readableBytes)
        while bytes.readableBytes > 0 {
            let room = options.partSize - pending.readableBytes
            var slice = bytes.readSlice(length: min(room, bytes.readableBytes)) ?? ByteBuffer()
            pending.writeBuffer(&slice)
            if pending.readableBytes == options.partSize { try await emitPart() }
        }
    }

    /// Appends bytes to the object.
    public func write(_ bytes: some Sequence<UInt8>) async throws {
        try await write(ByteBuffer(bytes: bytes))
    }

    /// Sends the buffered bytes as the next part, creating the upload on the first part.
    func emitPart() async throws {
        guard nextPartNumber <= S3Client.maximumPartCount else {
            throw S3Error(
                code: .invalidRequest,
                errorCode: "TooManyParts",
                message:
                    "more than \(S3Client.maximumPartCount) parts of \(options.partSize) bytes; use a larger partSize",
                operation: "S3.UploadPart",
                bucket: bucket,
                key: key
            )
        }
        let uploadID: String
        if let existing = self.uploadID {
            uploadID = existing
        } else {
            uploadID = try await client.createMultipartUpload(
                bucket: bucket,
                key: key,
                contentType: options.contentType,
                metadata: options.metadata,
                logger: logger
            )
            self.uploadID = uploadID
        }
        let part = PartChannel.Part(uploadID: uploadID, number: nextPartNumber, bytes: pending)
        nextPartNumber += 1
        pending = ByteBuffer()
        pending.reserveCapacity(options.partSize)
        try await channel.send(part)
    }
}

extension S3Client {
    /// Writes one object from a stream of bytes: buffers them into parts of `options.partSize`,
    /// uploads up to `options.maxConcurrentParts` parts at once, and completes the upload when `body`
    /// returns. If `body` throws, a part fails for good, completion fails, or the task is cancelled,
    /// the upload is aborted (S3 would otherwise keep, and bill, the parts) and the error rethrown.
    ///
    /// An object smaller than one part is written with a single PutObject instead.
    /// Parts are in-memory buffers, so a failed part attempt is retried with the same bytes: a retry
    /// can never corrupt the object.
    ///
    /// - Returns: the new object's bucket, key and ETag.
    /// - Throws: ``S3Error`` (``S3Error/Code/alreadyExists`` with `ifNoneMatch`), ``AWSClientError``,
    ///   `CancellationError`, or what `body` threw.
    @discardableResult
    public func withMultipartUpload(
        bucket: String,
        key: String,
        options: S3MultipartUploadOptions = S3MultipartUploadOptions(),
        logger: Logger,
        _ body: (S3UploadWriter) async throws -> Void
    ) async throws -> S3WriteResult {
        guard (Self.minimumPartSize...Self.maximumPartSize).contains(options.partSize), options.maxConcurrentParts >= 1
        else {
            throw S3Error(
                code: .invalidRequest,
                errorCode: "InvalidArgument",
                message: "partSize must be 5 MiB…5 GiB and maxConcurrentParts at least 1",
                operation: "S3.UploadPart",
                bucket: bucket,
                key: key
            )
        }
        let channel = PartChannel(capacity: 1)
        let writer = S3UploadWriter(
            client: self,
            bucket: bucket,
            key: key,
            options: options,
            logger: logger,
            channel: channel
        )
        do {
            let parts = try await withThrowingTaskGroup(of: [S3CompletedPart].self) { group in
                group.addTask {
                    try await self.uploadParts(
                        from: channel,
                        bucket: bucket,
                        key: key,
                        maxConcurrent: options.maxConcurrentParts,
                        logger: logger
                    )
                }
                do {
                    try await body(writer)
                    // The last part may be short; it is sent unless the object fits one PutObject.
                    if writer.uploadID != nil && writer.pending.readableBytes > 0 {
                        try await writer.emitPart()
                    }
                    channel.finish()
                } catch {
                    channel.fail(error)
                    group.cancelAll()
                    throw error
                }
                var parts: [S3CompletedPart] = []
                for try await uploaded in group { parts += uploaded }
                return parts
            }
            guard let uploadID = writer.uploadID else {
                return try await putObject(
                    bucket: bucket,
                    key: key,
                    body: writer.pending,
                    contentType: options.contentType,
                    metadata: options.metadata,
                    ifNoneMatch: options.ifNoneMatch,
                    logger: logger
                )
            }
            try Task.checkCancellation()
            return try await completeMultipartUpload(
                bucket: bucket,
                key: key,
                uploadID: uploadID,
                parts: parts,
                ifNoneMatch: options.ifNoneMatch,
                logger: logger
            )
        } catch {
            if let uploadID = writer.uploadID {
                await abortAfterFailure(bucket: bucket, key: key, uploadID: uploadID, error: error, logger: logger)
            }
            throw error
        }
    }

    /// The consumer: takes parts from the channel and uploads up to `maxConcurrent` at once.
    private func uploadParts(
        from channel: PartChannel,
        bucket: String,
        key: String,
        maxConcurrent: Int,
        logger: Logger
    ) async throws -> [S3CompletedPart] {
        do {
            return try await withThrowingTaskGroup(of: S3CompletedPart.self) { uploads in
                var completed: [S3CompletedPart] = []
                var inFlight = 0
                while true {
                    // Wait for a free slot before taking a part, so at most one part waits in the channel.
                    if inFlight == maxConcurrent, let done = try await uploads.next() {
                        completed.append(done)
                        inFlight -= 1
                    }
                    guard let part = await channel.next() else { break }
                    uploads.addTask {
                        try await self.uploadPart(
                            bucket: bucket,
                            key: key,
                            uploadID: part.uploadID,
                            partNumber: part.number,
                            body: .bytes(part.bytes),
                            logger: logger
                        )
                    }
                    inFlight += 1
                }
                for try await done in uploads { completed.append(done) }
                try Task.checkCancellation()
                return completed
            }
        } catch {
            channel.fail(error)
            throw error
        }
    }

    /// Aborts after a failure. Runs in its own task so that a cancelled caller still gets its parts
    /// freed (a cancelled task's own requests would fail at once); the caller waits for it.
    private func abortAfterFailure(
        bucket: String,
        key: String,
        uploadID: String,
        error: any Error,
        logger: Logger
    ) async {
        logger.debug(
            "aborting multipart upload after a failure",
            metadata: ["s3.key": "\(key)", "s3.upload_id": "\(uploadID)", "error": "\(error)"]
        )
        let client = self
        let abort = Task {
            try await client.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, logger: logger)
        }
        do {
            try await abort.value
        } catch {
            // The key only at debug level: keys often carry patient names.
            logger.info(
                "could not abort multipart upload; its parts stay until a lifecycle rule removes them",
                metadata: ["s3.upload_id": "\(uploadID)", "error": "\(loggable(error))"]
            )
            logger.debug("multipart upload left behind", metadata: ["s3.key": "\(key)", "s3.upload_id": "\(uploadID)"])
        }
    }
}
