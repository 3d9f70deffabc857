import Foundation

/// One input of a job: an object under the source prefix, or a file under the source folder.
package struct SourceObject: Sendable, Equatable {
    /// The key relative to the job's prefix (or the path relative to the folder), `/`-separated.
    package var key: String
    package var size: Int

    package init(key: String, size: Int) {
        self.key = key
        self.size = size
    }
}

/// Where a job's inputs come from: an S3 prefix, or a local folder (`dicom-j2k run`).
package protocol JobSource: Sendable {
    /// Every input, sorted by key (byte order of the UTF-8 key, as S3 lists them).
    func list() async throws -> [SourceObject]
    /// The whole content of one input.
    func read(_ object: SourceObject) async throws -> [UInt8]
}

/// Why a job's source could not be read.
package struct JobSourceError: Error, CustomStringConvertible {
    package var description: String
}

/// A local folder as a job source. Regular files at any depth are inputs (hidden ones too: nothing
/// under the folder is silently left out); symbolic links are followed to regular files.
package struct LocalFolderSource: JobSource {
    package let root: URL

    package init(root: URL) {
        self.root = root.standardizedFileURL
    }

    package func list() async throws -> [SourceObject] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw JobSourceError(description: "source folder \(root.path) does not exist or is not a folder")
        }
        guard
            let enumerator = FileManager.default.enumerator(
                at: root,
                includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey],
                options: []
            )
        else {
            throw JobSourceError(description: "cannot list source folder \(root.path)")
        }
        var objects: [SourceObject] = []
        for case let url as URL in enumerator {
            let resolved = url.resolvingSymlinksInPath()
            let values = try? resolved.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true else { continue }
            let relative = url.standardizedFileURL.pathComponents.dropFirst(root.pathComponents.count)
            objects.append(SourceObject(key: relative.joined(separator: "/"), size: values?.fileSize ?? 0))
        }
        return objects.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    package func read(_ object: SourceObject) async throws -> [UInt8] {
        let url = root.appendingPathComponent(object.key)
        do {
            return [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw JobSourceError(description: "cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}
