import AWSClients
import ArgumentParser
import Foundation
import Logging
import NIOCore

/// `dicom-j2k s3 ls|cp`: look at and move objects by hand, with the same client the worker uses.
struct S3Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3",
        abstract: "List and copy S3 objects (debugging aid; uses the worker's S3 client and configuration).",
        subcommands: [List.self, Copy.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls",
            abstract: "List objects under s3://bucket/prefix: date, size and key, and PRE lines for \"folders\"."
        )

        @Argument(help: "s3://bucket or s3://bucket/prefix")
        var uri: String

        @Flag(name: .shortAndLong, help: "List every key under the prefix instead of one level.")
        var recursive = false

        @OptionGroup var aws: AWSCommandOptions

        func run() async throws {
            guard let location = S3URI(uri) else { throw ValidationError("\(uri) is not s3://bucket[/prefix]") }
            let configuration = try aws.configuration()
            let logger = aws.logger
            try await withAWSHTTPClient { http in
                let s3 = S3Client(configuration: configuration, httpClient: http)
                var token: String?
                repeat {
                    let page = try await s3.listObjectsV2(
                        bucket: location.bucket,
                        prefix: location.key,
                        delimiter: recursive ? nil : "/",
                        continuationToken: token,
                        logger: logger
                    )
                    for prefix in page.commonPrefixes { print("\(String(repeating: " ", count: 30))PRE \(prefix)") }
                    for object in page.objects {
                        let date = object.lastModified.map(Self.format) ?? "-"
                        print("\(date) \(String(object.size).leftPadded(to: 10)) \(object.key)")
                    }
                    token = page.isTruncated ? page.nextContinuationToken : nil
                } while token != nil
            }
        }

        static func format(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            return formatter.string(from: date)
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cp",
            abstract: "Copy a file to S3, an object to a file (`-` for stdout), or an object to another key.",
            discussion:
                "A destination ending in / (or a bucket alone, or a local directory) takes the source's file name. Objects larger than one part (--part-size) are uploaded as streamed multipart uploads."
        )

        @Argument(help: "Source: a local file or s3://bucket/key.")
        var source: String

        @Argument(help: "Destination: a local path, - (stdout), or s3://bucket/key.")
        var destination: String

        @Flag(help: "Do not replace an existing object (If-None-Match: *); fail instead.")
        var noOverwrite = false

        @Option(help: "Content-Type of the new object.")
        var contentType: String?

        @Option(help: "Multipart part size in MiB (5 or more).")
        var partSize = 8

        @OptionGroup var aws: AWSCommandOptions

        func validate() throws {
            guard partSize >= 5 else { throw ValidationError("--part-size must be at least 5 (MiB)") }
        }

        func run() async throws {
            let from = try TransferLocation(source)
            let to = try TransferLocation(destination)
            let configuration = try aws.configuration()
            let logger = aws.logger
            try await withAWSHTTPClient { http in
                let s3 = S3Client(configuration: configuration, httpClient: http)
                switch (from, to) {
                case (.local(let path), .s3(let target)):
                    let key = Self.targetKey(target, sourceName: (path as NSString).lastPathComponent)
                    let result = try await upload(
                        file: path,
                        to: S3URI(bucket: target.bucket, key: key),
                        s3: s3,
                        logger: logger
                    )
                    print(
                        "upload: \(path) to s3://\(target.bucket)/\(key) (\(result.bytes) bytes, ETag \(result.etag ?? "-"))"
                    )
                case (.s3(let object), .local(let path)):
                    try await download(object, to: path, s3: s3, logger: logger)
                case (.s3(let object), .s3(let target)):
                    let key = Self.targetKey(target, sourceName: Self.lastComponent(object.key))
                    let download = try await s3.getObject(bucket: object.bucket, key: object.key, logger: logger)
                    let result = try await s3.withMultipartUpload(
                        bucket: target.bucket,
                        key: key,
                        options: uploadOptions(contentType: contentType ?? download.metadata.contentType),
                        logger: logger
                    ) { writer in
                        for try await chunk in download.body { try await writer.write(chunk) }
                    }
                    print("copy: \(object) to s3://\(target.bucket)/\(key) (ETag \(result.etag ?? "-"))")
                case (.local, .local):
                    throw ValidationError("one side must be s3://bucket/key")
                }
            }
        }

        func uploadOptions(contentType: String?) -> S3MultipartUploadOptions {
            S3MultipartUploadOptions(
                partSize: partSize * 1024 * 1024,
                contentType: contentType,
                ifNoneMatch: noOverwrite
            )
        }

        /// Streams the file into S3: one PutObject if it fits a part, else a multipart upload.
        func upload(
            file path: String,
            to target: S3URI,
            s3: S3Client,
            logger: Logger
        ) async throws -> (bytes: Int64, etag: String?) {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ValidationError("cannot open \(path) for reading")
            }
            defer { try? handle.close() }
            var written: Int64 = 0
            let result = try await s3.withMultipartUpload(
                bucket: target.bucket,
                key: target.key,
                options: uploadOptions(contentType: contentType),
                logger: logger
            ) { writer in
                while let data = try handle.read(upToCount: 1024 * 1024), !data.isEmpty {
                    try await writer.write(ByteBuffer(bytes: data))
                }
                written = writer.bytesWritten
            }
            return (written, result.etag)
        }

        /// Streams an object to a file (written beside it, then renamed, so a failure leaves no
        /// partial file) or to stdout.
        func download(_ object: S3URI, to path: String, s3: S3Client, logger: Logger) async throws {
            let download = try await s3.getObject(bucket: object.bucket, key: object.key, logger: logger)
            if path == "-" {
                for try await chunk in download.body { FileHandle.standardOutput.write(Data(chunk.readableBytesView)) }
                return
            }
            var target = path
            var isDirectory: ObjCBool = false
            if path.hasSuffix("/")
                || (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
            {
                target = (path as NSString).appendingPathComponent(Self.lastComponent(object.key))
            }
            let partial = target + ".part"
            guard FileManager.default.createFile(atPath: partial, contents: nil),
                let handle = FileHandle(forWritingAtPath: partial)
            else {
                throw ValidationError("cannot create \(partial)")
            }
            do {
                var bytes: Int64 = 0
                for try await chunk in download.body {
                    try handle.write(contentsOf: Data(chunk.readableBytesView))
                    bytes += Int64(chunk.readableBytes)
                }
                try handle.close()
                if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
                try FileManager.default.moveItem(atPath: partial, toPath: target)
                print("download: \(object) to \(target) (\(bytes) bytes)")
            } catch {
                try? handle.close()
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            }
        }

        /// `s3://bucket/dir/` or `s3://bucket` take the source's name; anything else is the key.
        static func targetKey(_ target: S3URI, sourceName: String) -> String {
            target.key.isEmpty || target.key.hasSuffix("/") ? target.key + sourceName : target.key
        }

        static func lastComponent(_ key: String) -> String {
            key.split(separator: "/").last.map(String.init) ?? key
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
