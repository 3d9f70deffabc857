import DICOM
import Foundation

/// The attributes a JPEG 2000 output changes besides Pixel Data and the transfer syntax
/// (docs/contracts.md "DICOM output", PS3.3 §C.7.6.1.1.5, PS3.5 §8.2.4).
enum OutputAttributes {
    /// Lossy Image Compression Method for JPEG 2000 irreversible (PS3.3 §C.7.6.1.1.5.1).
    static let lossyMethod = "ISO_15444_1"
    /// Lossy Image Compression Method for High-Throughput JPEG 2000 (PS3.3 §C.7.6.1.1.5.1).
    static let htj2kLossyMethod = "ISO_15444_15"
    /// PS3.16 CID 7202, Source Image Purposes of Reference.
    static let uncompressedPredecessor = Code(value: "121320", meaning: "Uncompressed predecessor")
    static let lossyCompressedPredecessor = Code(value: "121330", meaning: "Lossy compressed predecessor")
    /// PS3.16 CID 7203, Image Derivation.
    static let lossyCompression = Code(value: "113040", meaning: "Lossy Compression")
    /// Derivation Description is ST: at most 1024 characters.
    static let derivationDescriptionLimit = 1024

    struct Code {
        var value: String
        var meaning: String

        var item: DataSet {
            var item = DataSet()
            item.set(.codeValue, string: value, vr: .SH)
            item.set(.codingSchemeDesignator, string: "DCM", vr: .SH)
            item.set(.codeMeaning, string: meaning, vr: .LO)
            return item
        }
    }

    /// Photometric Interpretation and Planar Configuration for the codestream: RGB becomes
    /// YBR_RCT (lossless) or YBR_ICT (lossy), since the encoder applies the colour transform;
    /// monochrome and YBR_FULL stay. Planar Configuration is 0 for colour (PS3.5 §8.2.4: the
    /// codestream's own component order makes it meaningless, and the standard asks for 0).
    static func setPixelDescription(_ dataSet: inout DataSet, color: NativeImage.Color, lossless: Bool) {
        switch color {
        case .monochrome:
            return
        case .rgb:
            dataSet.set(.photometricInterpretation, string: lossless ? "YBR_RCT" : "YBR_ICT", vr: .CS)
        case .ybrFull:
            break
        }
        // Setting a US value of 0 cannot fail.
        dataSet.set(.planarConfiguration, vr: .US, bytes: [0, 0])
    }

    /// Marks a lossy output as a new, derived image (PS3.3 §C.7.6.1.1.5), as `gdcmconv --lossy` does:
    /// - Lossy Image Compression "01" (never reset once set);
    /// - Lossy Image Compression Ratio and Method: our measured ratio and ISO_15444_1, appended to
    ///   the existing values when the input was already lossy (order matching), replacing them
    ///   otherwise;
    /// - Image Type value 1 DERIVED, other values kept (created as DERIVED\SECONDARY when absent,
    ///   like GDCM; SECONDARY added when only one value was there, since VM is 2-n);
    /// - a new SOP Instance UID (the writer copies it to Media Storage SOP Instance UID);
    /// - a Source Image Sequence item referencing the original with purpose "Uncompressed
    ///   predecessor" (or "Lossy compressed predecessor" when the input was already lossy), a
    ///   Derivation Code Sequence item "Lossy Compression", and Derivation Description naming the
    ///   method and ratio (appended to an existing description);
    /// - Smallest/Largest Image Pixel Value removed: lossy decoding can leave that range, so they
    ///   would be stale claims about the new pixels.
    static func markLossy(
        _ dataSet: inout DataSet,
        ratio: Double,
        newSOPInstanceUID: String,
        method: String = lossyMethod
    ) {
        let wasLossy = dataSet.string(.lossyImageCompression) == "01"
        let ratioText = formatRatio(ratio)

        var ratios = wasLossy ? dataSet.strings(.lossyImageCompressionRatio) ?? [] : []
        var methods = wasLossy ? dataSet.strings(.lossyImageCompressionMethod) ?? [] : []
        ratios.append(ratioText)
        methods.append(method)
        dataSet.set(.lossyImageCompression, string: "01", vr: .CS)
        dataSet.set(.lossyImageCompressionRatio, strings: ratios, vr: .DS)
        dataSet.set(.lossyImageCompressionMethod, strings: methods, vr: .CS)

        var imageType = dataSet.strings(.imageType) ?? []
        if imageType.isEmpty {
            imageType = ["DERIVED", "SECONDARY"]
        } else {
            imageType[0] = "DERIVED"
            if imageType.count == 1 { imageType.append("SECONDARY") }
        }
        dataSet.set(.imageType, strings: imageType, vr: .CS)

        let originalInstance = dataSet.string(.sopInstanceUID)
        let originalClass = dataSet.string(.sopClassUID)
        dataSet.set(.sopInstanceUID, string: newSOPInstanceUID, vr: .UI)
        if let originalInstance, !originalInstance.isEmpty, let originalClass, !originalClass.isEmpty {
            var reference = DataSet()
            reference.set(.referencedSOPClassUID, string: originalClass, vr: .UI)
            reference.set(.referencedSOPInstanceUID, string: originalInstance, vr: .UI)
            let purpose = wasLossy ? lossyCompressedPredecessor : uncompressedPredecessor
            reference.set(.purposeOfReferenceCodeSequence, items: [purpose.item])
            dataSet.set(.sourceImageSequence, items: (dataSet.items(.sourceImageSequence) ?? []) + [reference])
        }
        dataSet.set(
            .derivationCodeSequence,
            items: (dataSet.items(.derivationCodeSequence) ?? []) + [lossyCompression.item]
        )

        let name = method == htj2kLossyMethod ? "High-Throughput JPEG 2000" : "JPEG 2000"
        let ours = "Lossy compression with \(name) (\(method)), ratio \(ratioText):1"
        var description = ours
        if let existing = dataSet.strings(.derivationDescription)?.first, !existing.isEmpty {
            let room = derivationDescriptionLimit - ours.count - 2
            description = room > 0 ? String(existing.prefix(room)) + "; " + ours : ours
        }
        dataSet.set(.derivationDescription, string: description, vr: .ST)

        dataSet.remove(.smallestImagePixelValue)
        dataSet.remove(.largestImagePixelValue)
    }

    /// A DS value (≤ 16 characters): two decimals, trailing zeros dropped (`99.87`, `100`).
    static func formatRatio(_ ratio: Double) -> String {
        guard ratio.isFinite, ratio < 1e12 else { return "999999999999" }
        var text = String(format: "%.2f", ratio)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
