import AWSClients
import ArgumentParser
import Foundation
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
                var tokens = S3ContinuationTokens()
                repeat {
                    let page = try await s3.listObjectsV2(
                        bucket: location.bucket,
                        prefix: location.key,
                        delimiter: recursive ? nil : "/",
                        continuationToken: token,
                        logger: logger
                    )
                    // Keys are escaped: a key may hold control characters that would drive the terminal.
                    for prefix in page.commonPrefixes {
                        print("\(String(repeating: " ", count: 30))PRE \(prefix.escapedForTerminal)")
                    }
                    for object in page.objects {
                        let date = object.lastModified.map(Self.format) ?? "-"
                        print("\(date) \(String(object.size).leftPadded(to: 10)) \(object.key.escapedForTerminal)")
                    }
                    token = page.isTruncated ? try tokens.next(page, bucket: location.bucket) : nil
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
                "A destination ending in / (or a bucket alone, or a local directory) takes the source's file name; a key whose last segment is empty, `.` or `..` is then refused. A download writes a temporary file beside the target and renames it over the target: nothing else is removed, and a directory is never replaced. Objects larger than one part (--part-size) are uploaded as streamed multipart uploads."
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
                    let key = try Self.targetKey(target, sourceName: { (path as NSString).lastPathComponent })
                    let result = try await upload(
                        file: path,
                        to: S3URI(bucket: target.bucket, key: key),
                        s3: s3,
                        logger: logger
                    )
                    print(
                        "upload: \(path) to s3://\(target.bucket)/\(key.escapedForTerminal) (\(result.bytes) bytes, ETag \(result.etag ?? "-"))"
                    )
                case (.s3(let object), .local(let path)):
                    try await download(object, to: path, s3: s3, logger: logger)
                case (.s3(let object), .s3(let target)):
                    let key = try Self.targetKey(target, sourceName: { try Self.fileName(of: object) })
                    let download = try await s3.getObject(bucket: object.bucket, key: object.key, logger: logger)
                    let result = try await s3.withMultipartUpload(
                        bucket: target.bucket,
                        key: key,
                        options: uploadOptions(contentType: contentType ?? download.metadata.contentType),
                        logger: logger
                    ) { writer in
                        for try await chunk in download.body { try await writer.write(chunk) }
                    }
                    print(
                        "copy: \(object.description.escapedForTerminal) to s3://\(target.bucket)/\(key.escapedForTerminal) (ETag \(result.etag ?? "-"))"
                    )
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

        /// Streams an object to a file or to stdout. The bytes go to a new temporary file beside the
        /// target (created exclusively, so no existing file is truncated), which is then renamed over
        /// the target: a failure leaves nothing behind, and nothing but the target file is replaced
        /// (rename(2) refuses to replace a directory).
        func download(_ object: S3URI, to path: String, s3: S3Client, logger: Logger) async throws {
            if path == "-" {
                let download = try await s3.getObject(bucket: object.bucket, key: object.key, logger: logger)
                for try await chunk in download.body { FileHandle.standardOutput.write(Data(chunk.readableBytesView)) }
                return
            }
            let target = try Self.localTarget(for: object, at: path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ValidationError("\(target) is a directory; it is not replaced")
            }
            let download = try await s3.getObject(bucket: object.bucket, key: object.key, logger: logger)
            let directory = (target as NSString).deletingLastPathComponent
            let partial =
                (directory.isEmpty ? "." : directory)
                + "/.\((target as NSString).lastPathComponent).\(UUID().uuidString.prefix(8)).part"
            let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw ValidationError("cannot create \(partial): \(String(cString: strerror(errno)))")
            }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            do {
                var bytes: Int64 = 0
                for try await chunk in download.body {
                    try handle.write(contentsOf: Data(chunk.readableBytesView))
                    bytes += Int64(chunk.readableBytes)
                }
                try handle.close()
                guard rename(partial, target) == 0 else {
                    throw ValidationError("cannot rename \(partial) to \(target): \(String(cString: strerror(errno)))")
                }
                print("download: \(object.description.escapedForTerminal) to \(target) (\(bytes) bytes)")
            } catch {
                try? handle.close()
                unlink(partial)
                throw error
            }
        }

        /// The local file an object is written to: `path` itself, or, when `path` is a directory
        /// (or ends in `/`), the key's last segment inside it.
        static func localTarget(for object: S3URI, at path: String) throws -> String {
            var isDirectory: ObjCBool = false
            guard
                path.hasSuffix("/")
                    || (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                        && isDirectory.boolValue)
            else { return path }
            return (path as NSString).appendingPathComponent(try fileName(of: object))
        }

        /// The key's last segment as a file name. Empty, `.` and `..` would name the folder itself
        /// or its parent, so they are refused rather than guessed at; a `/` cannot occur in a segment,
        /// so the name never leaves the target folder.
        static func fileName(of object: S3URI) throws -> String {
            let name = object.key.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            guard !name.isEmpty, name != ".", name != "..", !name.utf8.contains(0) else {
                throw ValidationError(
                    "\(object.description.escapedForTerminal) has no usable file name (its last segment is empty, . or ..); give a target file name"
                )
            }
            return name
        }

        /// `s3://bucket/dir/` or `s3://bucket` take the source's name; anything else is the key.
        static func targetKey(_ target: S3URI, sourceName: () throws -> String) throws -> String {
            target.key.isEmpty || target.key.hasSuffix("/") ? target.key + (try sourceName()) : target.key
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

extension String {
    /// The string with control and format characters (C0, DEL, C1, bidirectional overrides, …) and
    /// backslashes written as escapes, so printing a key can neither drive the terminal nor disguise
    /// itself.
    var escapedForTerminal: String {
        var escaped = ""
        for scalar in unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                escaped +=
                    scalar.value < 0x100
                    ? "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2, with: "0")
                    : "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                if scalar == "\\" { escaped += "\\\\" } else { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }
}
