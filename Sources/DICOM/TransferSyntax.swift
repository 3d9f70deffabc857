/// How the elements of a data set are laid out: VR written or implied, and byte order.
public struct DataSetEncoding: Hashable, Sendable, CustomStringConvertible {
    public var isExplicitVR: Bool
    public var isLittleEndian: Bool

    public init(isExplicitVR: Bool, isLittleEndian: Bool) {
        self.isExplicitVR = isExplicitVR
        self.isLittleEndian = isLittleEndian
    }

    public static let implicitVRLittleEndian = DataSetEncoding(isExplicitVR: false, isLittleEndian: true)
    public static let explicitVRLittleEndian = DataSetEncoding(isExplicitVR: true, isLittleEndian: true)
    public static let explicitVRBigEndian = DataSetEncoding(isExplicitVR: true, isLittleEndian: false)

    public var description: String {
        (isExplicitVR ? "Explicit VR " : "Implicit VR ") + (isLittleEndian ? "Little Endian" : "Big Endian")
    }
}

/// A transfer syntax (PS3.5 §10): identified by its UID, it fixes the data set encoding, whether
/// the data set is deflated and whether Pixel Data is encapsulated.
///
/// Any UID not listed here is taken as Explicit VR Little Endian with encapsulated Pixel Data, which
/// is what every compressed transfer syntax the standard defines uses.
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    /// The UID, without padding.
    public let uid: String

    public init(uid: String) {
        self.uid = uid
    }

    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2")
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1")
    public static let encapsulatedUncompressedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.98")
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99")
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2")
    public static let jpegBaseline = TransferSyntax(uid: "1.2.840.10008.1.2.4.50")
    public static let jpegLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.70")
    public static let jpegLSLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.80")
    public static let jpegLSNearLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.81")
    /// JPEG 2000 Image Compression (Lossless Only).
    public static let jpeg2000Lossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.90")
    /// JPEG 2000 Image Compression (lossy or lossless).
    public static let jpeg2000 = TransferSyntax(uid: "1.2.840.10008.1.2.4.91")
    /// High-Throughput JPEG 2000 Image Compression (Lossless Only).
    public static let htj2kLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.201")
    /// High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only). Recognised on
    /// input; never written (it needs TLM markers by resolution).
    public static let htj2kLosslessRPCL = TransferSyntax(uid: "1.2.840.10008.1.2.4.202")
    /// High-Throughput JPEG 2000 Image Compression (lossy or lossless).
    public static let htj2k = TransferSyntax(uid: "1.2.840.10008.1.2.4.203")
    public static let rleLossless = TransferSyntax(uid: "1.2.840.10008.1.2.5")

    private static let deflatedUIDs: Set<String> = [
        deflatedExplicitVRLittleEndian.uid,
        "1.2.840.10008.1.2.4.95",  // JPIP Referenced Deflate
    ]

    /// The data set encoding this transfer syntax prescribes.
    public var dataSetEncoding: DataSetEncoding {
        switch uid {
        case Self.implicitVRLittleEndian.uid: .implicitVRLittleEndian
        case Self.explicitVRBigEndian.uid: .explicitVRBigEndian
        default: .explicitVRLittleEndian
        }
    }

    /// The data set after the file meta group is a raw deflate stream (RFC 1951).
    public var isDeflated: Bool { Self.deflatedUIDs.contains(uid) }

    /// Pixel Data is a sequence of fragments (PS3.5 §A.4), not native samples.
    public var isEncapsulated: Bool {
        switch uid {
        case Self.implicitVRLittleEndian.uid, Self.explicitVRLittleEndian.uid, Self.explicitVRBigEndian.uid:
            false
        default:
            !isDeflated
        }
    }

    /// Whether ``DICOMFile`` can write a file in this transfer syntax as it is: the data set
    /// encoding is Explicit VR Little Endian and not deflated.
    public var isWritable: Bool { dataSetEncoding == .explicitVRLittleEndian && !isDeflated }

    /// The standard's name for the UIDs above, `nil` for others.
    public var name: String? {
        switch uid {
        case Self.implicitVRLittleEndian.uid: "Implicit VR Little Endian"
        case Self.explicitVRLittleEndian.uid: "Explicit VR Little Endian"
        case Self.encapsulatedUncompressedExplicitVRLittleEndian.uid:
            "Encapsulated Uncompressed Explicit VR Little Endian"
        case Self.deflatedExplicitVRLittleEndian.uid: "Deflated Explicit VR Little Endian"
        case Self.explicitVRBigEndian.uid: "Explicit VR Big Endian"
        case Self.jpegBaseline.uid: "JPEG Baseline (Process 1)"
        case Self.jpegLossless.uid: "JPEG Lossless, First-Order Prediction"
        case Self.jpegLSLossless.uid: "JPEG-LS Lossless"
        case Self.jpegLSNearLossless.uid: "JPEG-LS Near-Lossless"
        case Self.jpeg2000Lossless.uid: "JPEG 2000 (Lossless Only)"
        case Self.jpeg2000.uid: "JPEG 2000"
        case Self.htj2kLossless.uid: "High-Throughput JPEG 2000 (Lossless Only)"
        case Self.htj2kLosslessRPCL.uid: "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)"
        case Self.htj2k.uid: "High-Throughput JPEG 2000"
        case Self.rleLossless.uid: "RLE Lossless"
        default: nil
        }
    }

    /// `1.2.840.10008.1.2.1 (Explicit VR Little Endian)`
    public var description: String { name.map { "\(uid) (\($0))" } ?? uid }
}
