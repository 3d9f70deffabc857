import AWSClients
import Foundation
import Logging
import NIOCore

/// One input of a job: an object under the source prefix, or a file under the source folder.
package struct SourceObject: Sendable, Equatable {
    /// The key relative to the job's prefix (or the path relative to the folder), `/`-separated.
    package var key: String
    package var size: Int
    /// Set when the entry exists but cannot be an input (an unreadable folder, a broken link, a link
    /// leaving the source folder): the job lists it as `failed` with this reason and code, and
    /// nothing goes into the ZIP for it.
    package var problem: SourceProblem?

    package init(key: String, size: Int, problem: SourceProblem? = nil) {
        self.key = key
        self.size = size
        self.problem = problem
    }
}

/// Why an entry of the source cannot be read, as listed in the result (`errorCode`, `error`).
package struct SourceProblem: Sendable, Equatable {
    package var code: String
    package var message: String

    package static func unreadableFolder(_ detail: String) -> SourceProblem {
        SourceProblem(code: "unreadableFolder", message: "the folder cannot be listed: \(detail)")
    }
    package static let brokenLink = SourceProblem(code: "brokenLink", message: "a symbolic link to nothing")
    package static let linkOutsideSource = SourceProblem(
        code: "linkOutsideSource",
        message: "a symbolic link leaving the source folder; not followed"
    )
    package static let linkToFolder = SourceProblem(
        code: "linkToFolder",
        message: "a symbolic link to a folder; not followed"
    )
    package static let notRegularFile = SourceProblem(
        code: "notRegularFile",
        message: "not a regular file (a socket, pipe or device)"
    )
}

/// Where a job's inputs come from: an S3 prefix, or a local folder (`dicom-j2k run`).
package protocol JobSource: Sendable {
    /// What the result's `s3SourceUri` says (`s3://bucket/prefix/`, or the folder's path).
    var location: String { get }
    /// Every input, sorted by key (byte order of the UTF-8 key, as S3 lists them).
    func list() async throws(JobError) -> [SourceObject]
    /// The whole content of one input.
    func read(_ object: SourceObject) async throws(JobError) -> [UInt8]
}

extension [SourceObject] {
    /// The sizes added up, `Int.max` on overflow (sizes come from a listing, so they are untrusted).
    var totalSize: Int {
        reduce(0) { sum, object in
            let (next, overflow) = sum.addingReportingOverflow(object.size)
            return overflow ? .max : next
        }
    }

    /// Sorted in S3's order: byte order of the UTF-8 keys.
    func sortedByKey() -> [SourceObject] {
        sorted { [UInt8]($0.key.utf8).lexicographicallyPrecedes([UInt8]($1.key.utf8)) }
    }
}

/// Every object under an S3 prefix. Keys ending in `/` (console "folders") are listed and then
/// reported as `skipped`; the prefix's own placeholder object is not under it and is left out.
package struct S3PrefixSource: JobSource {
    package let s3: S3Client
    package let uri: S3URI
    /// A single object larger than this is refused from the listing, before any download.
    package let maxFileBytes: Int
    package let logger: Logger

    package init(s3: S3Client, uri: S3URI, maxFileBytes: Int, logger: Logger) {
        self.s3 = s3
        self.uri = uri
        self.maxFileBytes = maxFileBytes
        self.logger = logger
    }

    package var location: String { uri.description }

    package func list() async throws(JobError) -> [SourceObject] {
        do {
            return try await listUnderPrefix()
        } catch {
            throw JobError(.sourceUnavailable, "cannot list \(uri): \(error)")
        }
    }

    /// The objects under the prefix, keys relative to it, in S3's order; S3's own errors as they
    /// are, for callers that tell a missing bucket from an unreachable one (`JobEnqueuer`).
    package func listUnderPrefix() async throws -> [SourceObject] {
        var objects: [SourceObject] = []
        for try await object in s3.listObjects(bucket: uri.bucket, prefix: uri.key, logger: logger) {
            let relative = String(object.key.dropFirst(uri.key.count))
            guard !relative.isEmpty else { continue }
            objects.append(SourceObject(key: relative, size: Int(clamping: object.size)))
        }
        return objects.sortedByKey()
    }

    package func read(_ object: SourceObject) async throws(JobError) -> [UInt8] {
        do {
            let buffer = try await s3.getObjectBytes(
                bucket: uri.bucket,
                key: uri.key + object.key,
                maxBytes: maxFileBytes,
                logger: logger
            )
            return Array(buffer.readableBytesView)
        } catch is CancellationError {
            throw JobError.wrapping(CancellationError(), as: .cancelled)
        } catch {
            throw JobError(.sourceUnavailable, "cannot read an input of \(uri): \(error)")
        }
    }
}

/// A local folder as a job source. Every entry under it is an input or a reported problem:
/// regular files at any depth are inputs (hidden ones too); links to regular files inside the
/// folder are followed; unreadable folders, broken links, links leaving the folder, links to
/// folders and special files are listed as failed (``SourceProblem``) so nothing is left out silently.
package struct LocalFolderSource: JobSource {
    package let root: URL

    package init(root: URL) {
        self.root = root.standardizedFileURL
    }

    package var location: String { root.path }

    package func list() async throws(JobError) -> [SourceObject] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw JobError(.sourceUnavailable, "source folder \(root.path) does not exist or is not a folder")
        }
        let resolvedRoot = root.resolvingSymlinksInPath().path
        let fileManager = FileManager.default
        let rootContents: [String]
        do {
            rootContents = try fileManager.contentsOfDirectory(atPath: root.path)
        } catch {
            throw JobError(.sourceUnavailable, "cannot list source folder \(root.path)")
        }
        var objects: [SourceObject] = []
        // Depth-first over relative paths; `pending` holds folders still to list.
        var pending: [(relative: String, names: [String]?)] = [("", rootContents)]
        while let (folder, names) = pending.popLast() {
            let entries: [String]
            if let names {
                entries = names
            } else {
                do {
                    entries = try fileManager.contentsOfDirectory(atPath: root.path + "/" + folder)
                } catch {
                    let detail = (error as NSError).localizedDescription
                    objects.append(SourceObject(key: folder + "/", size: 0, problem: .unreadableFolder(detail)))
                    continue
                }
            }
            for name in entries {
                let relative = folder.isEmpty ? name : folder + "/" + name
                let path = root.path + "/" + relative
                guard let attributes = try? fileManager.attributesOfItem(atPath: path),
                    let type = attributes[.type] as? FileAttributeType
                else {
                    objects.append(SourceObject(key: relative, size: 0, problem: .notRegularFile))
                    continue
                }
                switch type {
                case .typeDirectory:
                    pending.append((relative, nil))
                case .typeRegular:
                    objects.append(SourceObject(key: relative, size: (attributes[.size] as? Int) ?? 0))
                case .typeSymbolicLink:
                    objects.append(Self.followLink(relative: relative, path: path, insideOf: resolvedRoot))
                default:
                    objects.append(SourceObject(key: relative, size: 0, problem: .notRegularFile))
                }
            }
        }
        return objects.sortedByKey()
    }

    /// A link is an input only when it ends at a regular file inside the source folder.
    static func followLink(relative: String, path: String, insideOf resolvedRoot: String) -> SourceObject {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard target == resolvedRoot || target.hasPrefix(resolvedRoot + "/") else {
            return SourceObject(key: relative, size: 0, problem: .linkOutsideSource)
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
            let type = attributes[.type] as? FileAttributeType
        else {
            return SourceObject(key: relative, size: 0, problem: .brokenLink)
        }
        switch type {
        case .typeRegular: return SourceObject(key: relative, size: (attributes[.size] as? Int) ?? 0)
        case .typeDirectory: return SourceObject(key: relative, size: 0, problem: .linkToFolder)
        case .typeSymbolicLink: return SourceObject(key: relative, size: 0, problem: .brokenLink)
        default: return SourceObject(key: relative, size: 0, problem: .notRegularFile)
        }
    }

    package func read(_ object: SourceObject) async throws(JobError) -> [UInt8] {
        let url = root.appendingPathComponent(object.key)
        do {
            return [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw JobError(.sourceUnavailable, "cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}
