#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Who wrote a file: the Implementation Class UID and Version Name of the file meta group.
public struct DICOMImplementation: Sendable, Hashable {
    public var classUID: String
    /// At most 16 characters (SH).
    public var versionName: String

    public init(classUID: String, versionName: String) {
        self.classUID = classUID
        self.versionName = versionName
    }

    /// dicom-j2k: a UUID-derived UID (2.25 root, PS3.5 §B.2) fixed once for this project
    /// (UUID 42328d62-ed1d-411b-91f3-a07e90fcbaa1), and `DICOM_J2K_<version>`.
    public static let dicomJ2K = DICOMImplementation(
        classUID: "2.25.87991530222228543915340659595937626785",
        versionName: "DICOM_J2K_0.1.0"
    )
}

extension DICOMFile {
    /// The transfer syntax ``encoded(implementation:)`` writes: ``transferSyntax`` when its data set
    /// encoding is Explicit VR Little Endian (including every encapsulated syntax), otherwise
    /// Explicit VR Little Endian (Implicit VR, Big Endian and Deflated input are re-encoded).
    public var outputTransferSyntax: TransferSyntax {
        transferSyntax.isWritable ? transferSyntax : .explicitVRLittleEndian
    }

    /// Encodes the file as Part 10: a zero preamble, `DICM`, a recomputed file meta group
    /// (group length, version 00 01, SOP Class/Instance UIDs from the data set or else the old
    /// meta, ``outputTransferSyntax``, our implementation UID and version name), then the data set
    /// as Explicit VR Little Endian.
    /// - Throws: ``DICOMError/Code/transferSyntaxMismatch`` when Pixel Data is native but the
    ///   syntax is encapsulated or the reverse; ``DICOMError/Code/valueTooLong`` for values beyond
    ///   32-bit lengths.
    ///
    /// - Parameter syntax: writes this transfer syntax instead of ``outputTransferSyntax``: one
    ///   whose data set is Explicit VR Little Endian, or Implicit VR Little Endian (as old scanners
    ///   write, for test inputs and the sample study); other syntaxes throw
    ///   ``DICOMError/Code/unsupportedTransferSyntax``.
    public func encoded(
        as syntax: TransferSyntax? = nil,
        implementation: DICOMImplementation = .dicomJ2K
    ) throws(DICOMError) -> [UInt8] {
        let syntax = syntax ?? outputTransferSyntax
        let implicitVR = syntax == .implicitVRLittleEndian
        guard syntax.isWritable || implicitVR else {
            throw DICOMError(.unsupportedTransferSyntax, "cannot write \(syntax)")
        }
        if let pixels = dataSet[.pixelData] {
            switch (pixels.value, syntax.isEncapsulated) {
            case (.encapsulated, false):
                throw DICOMError(
                    .transferSyntaxMismatch,
                    "encapsulated Pixel Data needs an encapsulated transfer syntax, not \(syntax)",
                    tag: .pixelData
                )
            case (.bytes, true):
                throw DICOMError(
                    .transferSyntaxMismatch,
                    "native Pixel Data cannot be written as \(syntax)",
                    tag: .pixelData
                )
            default:
                break
            }
        }

        var meta = DataSet()
        meta.set(.fileMetaInformationVersion, vr: .OB, bytes: [0x00, 0x01])
        if let sopClass = dataSet.string(.sopClassUID) ?? fileMeta.string(.mediaStorageSOPClassUID) {
            meta.set(.mediaStorageSOPClassUID, string: sopClass, vr: .UI)
        }
        if let sopInstance = dataSet.string(.sopInstanceUID) ?? fileMeta.string(.mediaStorageSOPInstanceUID) {
            meta.set(.mediaStorageSOPInstanceUID, string: sopInstance, vr: .UI)
        }
        meta.set(.transferSyntaxUID, string: syntax.uid, vr: .UI)
        meta.set(.implementationClassUID, string: implementation.classUID, vr: .UI)
        meta.set(.implementationVersionName, string: String(implementation.versionName.prefix(16)), vr: .SH)

        // The file meta group is always Explicit VR Little Endian; only the data set follows the syntax.
        var metaWriter = DataSetWriter()
        try metaWriter.write(meta)
        var header = DataSetWriter(capacity: 144 + metaWriter.output.count)
        header.append([UInt8](repeating: 0, count: 128))
        header.append("DICM".utf8)
        try header.write(
            DataElement(
                tag: .fileMetaInformationGroupLength,
                vr: .UL,
                value: .bytes(Self.uint32LE(metaWriter.output.count))
            )
        )
        header.append(metaWriter.output)
        var writer = DataSetWriter(capacity: header.output.count + estimatedSize(dataSet), explicitVR: !implicitVR)
        writer.append(header.output)
        try writer.write(dataSet, skipFileMeta: true)
        return writer.output
    }

    /// Encodes the file (see ``encoded(implementation:)``) and writes it to `path`, replacing it.
    public func write(toPath path: String, implementation: DICOMImplementation = .dicomJ2K) throws(DICOMError) {
        let bytes = try encoded(implementation: implementation)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw DICOMError(.fileUnreadable, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let failed = bytes.withUnsafeBytes { buffer -> Bool in
            var done = 0
            while done < buffer.count {
                let result = systemWrite(descriptor, buffer.baseAddress.map { $0 + done }, buffer.count - done)
                if result < 0 && errno == EINTR { continue }
                if result <= 0 { return true }
                done += result
            }
            return false
        }
        guard !failed else {
            throw DICOMError(.fileUnreadable, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func uint32LE(_ value: Int) -> ArraySlice<UInt8> {
        let value = UInt32(truncatingIfNeeded: value)
        return [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)][...]
    }

    /// The top level's value bytes plus headers, enough to avoid regrowing the output for the pixels.
    private func estimatedSize(_ dataSet: DataSet) -> Int {
        dataSet.elements.reduce(0) { total, element in
            switch element.value {
            case .bytes(let value): total + value.count + 12
            case .encapsulated(let pixels): total + pixels.fragments.reduce(0) { $0 + $1.count + 8 } + 32
            case .sequence: total + 256
            }
        }
    }
}
