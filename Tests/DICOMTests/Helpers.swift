import Foundation
import TestSupport

@testable import DICOM

/// pydicom's test files; tests using them declare `.needs(.pydicomTestFiles)` (missing files throw).
enum PydicomFiles {
    static func path(_ name: String) throws -> String {
        let root = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "pydicom test files")
        return root.appendingPathComponent(name).path
    }

    static func read(_ name: String) throws -> DICOMFile {
        try DICOMFile(contentsOf: try path(name))
    }

    /// Every regular file under the folder, relative paths, sorted.
    static func all() throws -> [String] {
        let root = try TestEnvironment.require(TestEnvironment.pydicomTestFiles, "pydicom test files")
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        var names: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            names.append(String(url.path.dropFirst(root.path.count + 1)))
        }
        return names.sorted()
    }
}

/// Little-endian byte builders for hand-made inputs.
enum Bytes {
    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func u32(_ value: UInt32) -> [UInt8] { u16(UInt16(value & 0xFFFF)) + u16(UInt16(value >> 16)) }
    static func tag(_ tag: Tag) -> [UInt8] { u16(tag.group) + u16(tag.element) }

    /// An Explicit VR Little Endian element; `length` overrides the value's length.
    static func explicit(_ tag: Tag, _ vr: VR, _ value: [UInt8], length: UInt32? = nil) -> [UInt8] {
        let size = length ?? UInt32(value.count)
        let head = Self.tag(tag) + Array(vr.rawValue.utf8)
        return (vr.hasLongLength ? head + [0, 0] + u32(size) : head + u16(UInt16(size))) + value
    }

    /// An Implicit VR Little Endian element.
    static func implicit(_ tag: Tag, _ value: [UInt8], length: UInt32? = nil) -> [UInt8] {
        Self.tag(tag) + u32(length ?? UInt32(value.count)) + value
    }

    static func item(_ content: [UInt8], undefined: Bool = false) -> [UInt8] {
        tag(.item) + u32(undefined ? 0xFFFF_FFFF : UInt32(content.count)) + content
    }

    static let itemEnd = tag(.itemDelimitationItem) + u32(0)
    static let sequenceEnd = tag(.sequenceDelimitationItem) + u32(0)

    /// Preamble, DICM and a minimal meta group naming `syntax`.
    static func part10(_ syntax: TransferSyntax) -> [UInt8] {
        var uid = Array(syntax.uid.utf8)
        if uid.count % 2 == 1 { uid.append(0) }
        let body = explicit(.fileMetaInformationVersion, .OB, [0, 1]) + explicit(.transferSyntaxUID, .UI, uid)
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
            + explicit(.fileMetaInformationGroupLength, .UL, u32(UInt32(body.count))) + body
    }
}

extension Array where Element == UInt8 {
    /// The index of the first occurrence of `needle`.
    func firstIndex(of needle: [UInt8]) -> Int? {
        guard needle.count <= count else { return nil }
        return (0...(count - needle.count)).first { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
