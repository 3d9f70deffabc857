import DICOM
import Foundation
import Testing

@testable import Transcoder

/// Checks one output against every rule of docs/contracts.md ("DICOM output"), reading it with our own
/// reader (the Python check reads the same attributes with pydicom).
enum OutputRules {
    /// The attributes a transcode may change; every other element must come through as it was.
    static let alwaysChanged: Set<Tag> = [
        .pixelData, .photometricInterpretation, .planarConfiguration, .extendedOffsetTable, .extendedOffsetTableLengths,
    ]
    static let lossyChanged: Set<Tag> = [
        .lossyImageCompression, .lossyImageCompressionRatio, .lossyImageCompressionMethod, .imageType,
        .sopInstanceUID, .sourceImageSequence, .derivationDescription, .derivationCodeSequence,
        .smallestImagePixelValue, .largestImagePixelValue,
    ]

    static func check(
        input: [UInt8],
        output: TranscodedFile,
        lossless: Bool,
        codec: TranscoderOptions.Codec = .jpeg2000,
        _ label: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
            #expect(condition, "\(label): \(message())", sourceLocation: sourceLocation)
        }
        let original = try DICOMFile(bytes: input)
        // The input as our writer writes it, so writer normalisations (group lengths, padding) cancel out.
        let before = try DICOMFile(bytes: original.encoded()).dataSet
        let file = try DICOMFile(bytes: output.bytes)
        let after = file.dataSet

        expect(file.preamble != nil, "Part 10 preamble")
        let expectedSyntax: TransferSyntax =
            switch codec {
            case .jpeg2000: lossless ? .jpeg2000Lossless : .jpeg2000
            case .htj2k: lossless ? .htj2kLossless : .htj2k
            }
        let method = codec == .htj2k ? "ISO_15444_15" : "ISO_15444_1"
        expect(file.transferSyntax == expectedSyntax, "transfer syntax \(file.transferSyntax)")
        expect(file.sourceEncoding == .explicitVRLittleEndian, "data set encoding \(file.sourceEncoding)")
        expect(file.fileMeta.string(.transferSyntaxUID) == file.transferSyntax.uid, "meta transfer syntax")

        // Layout as the input describes it.
        let rows = try #require(before.int(.rows))
        let columns = try #require(before.int(.columns))
        let samples = before.int(.samplesPerPixel) ?? 1
        let bitsAllocated = try #require(before.int(.bitsAllocated))
        let bitsStored = try #require(before.int(.bitsStored))
        let signed = before.int(.pixelRepresentation) == 1
        let frames = before.int(.numberOfFrames) ?? 1
        let photometric = before.string(.photometricInterpretation) ?? ""
        expect(output.frames == frames, "frames \(output.frames)")
        expect(
            output.pixelBytes == rows * columns * samples * bitsAllocated / 8 * frames,
            "pixel bytes \(output.pixelBytes)"
        )

        // Encapsulation: Basic Offset Table, one even-length fragment per frame, raw J2K.
        guard case .encapsulated(let pixels) = after.pixelData else {
            Issue.record("\(label): Pixel Data is not encapsulated", sourceLocation: sourceLocation)
            return
        }
        expect(after[.pixelData]?.vr == .OB, "Pixel Data VR")
        expect(pixels.fragments.count == frames, "\(pixels.fragments.count) fragments for \(frames) frames")
        var offset = 0
        var expectedOffsets: [UInt32] = []
        for fragment in pixels.fragments {
            expectedOffsets.append(UInt32(offset))
            offset += 8 + fragment.count
        }
        expect(pixels.basicOffsetTable == expectedOffsets, "Basic Offset Table \(pixels.basicOffsetTable)")
        expect(
            after[.extendedOffsetTable] == nil && after[.extendedOffsetTableLengths] == nil,
            "no Extended Offset Table"
        )
        var paddedTotal = 0
        for (index, fragment) in pixels.fragments.enumerated() {
            paddedTotal += fragment.count
            expect(fragment.count % 2 == 0 && fragment.count >= 2, "fragment \(index) length \(fragment.count)")
            guard let header = CodestreamHeader(Array(fragment)) else {
                Issue.record("\(label): fragment \(index) is not a raw J2K codestream", sourceLocation: sourceLocation)
                continue
            }
            expect(header.rows == rows && header.columns == columns, "codestream size \(header.columns)x\(header.rows)")
            expect(header.components == samples && header.componentsAgree, "codestream components \(header)")
            expect(
                header.precision == bitsStored,
                "codestream precision \(header.precision), Bits Stored \(bitsStored)"
            )
            expect(header.isSigned == signed, "codestream sign \(header.isSigned)")
            expect(
                header.multipleComponentTransform == (photometric == "RGB" ? 1 : 0),
                "MCT \(header.multipleComponentTransform)"
            )
            expect(header.reversible == lossless, "wavelet reversible \(header.reversible)")
            expect(
                1 << header.decompositionLevels <= max(1, min(rows, columns)),
                "\(header.decompositionLevels) levels"
            )
        }
        expect(
            output.codestreamBytes <= paddedTotal && output.codestreamBytes >= paddedTotal - frames,
            "codestream bytes"
        )
        expect(abs(output.ratio - Double(output.pixelBytes) / Double(output.codestreamBytes)) < 1e-9, "ratio")

        // Photometric Interpretation and Planar Configuration.
        let expectedPhotometric = photometric == "RGB" ? (lossless ? "YBR_RCT" : "YBR_ICT") : photometric
        expect(
            after.string(.photometricInterpretation) == expectedPhotometric,
            "photometric \(after.string(.photometricInterpretation) ?? "-")"
        )
        if samples == 3 {
            expect(
                after.int(.planarConfiguration) == 0,
                "Planar Configuration \(after.int(.planarConfiguration) ?? -1)"
            )
        } else {
            expect(after[.planarConfiguration] == before[.planarConfiguration], "Planar Configuration untouched")
        }

        // Nothing else changes (for lossy, the attributes checked below may).
        let changed = lossless ? alwaysChanged : alwaysChanged.union(lossyChanged)
        for tag in Set(before.tags).union(after.tags).subtracting(changed) {
            expect(before[tag] == after[tag], "\(tag) changed")
        }
        let oldInstance = before.string(.sopInstanceUID)
        let newInstance = after.string(.sopInstanceUID)
        expect(file.fileMeta.string(.mediaStorageSOPInstanceUID) == newInstance, "Media Storage SOP Instance UID")
        expect(
            file.fileMeta.string(.mediaStorageSOPClassUID) == after.string(.sopClassUID),
            "Media Storage SOP Class UID"
        )
        if lossless {
            for tag in lossyChanged { expect(before[tag] == after[tag], "lossless changed \(tag)") }
            return
        }

        // Lossy: PS3.3 C.7.6.1.1.5.
        let wasLossy = before.string(.lossyImageCompression) == "01"
        let ratioText = OutputAttributes.formatRatio(output.ratio)
        expect(after.string(.lossyImageCompression) == "01", "Lossy Image Compression")
        let ratios = after.strings(.lossyImageCompressionRatio) ?? []
        let methods = after.strings(.lossyImageCompressionMethod) ?? []
        let priorRatios = wasLossy ? before.strings(.lossyImageCompressionRatio) ?? [] : []
        let priorMethods = wasLossy ? before.strings(.lossyImageCompressionMethod) ?? [] : []
        expect(ratios == priorRatios + [ratioText], "Lossy Image Compression Ratio \(ratios)")
        expect(methods == priorMethods + [method], "Lossy Image Compression Method \(methods)")
        expect(ratios.allSatisfy { $0.utf8.count <= 16 }, "DS values at most 16 characters")
        if let last = ratios.last.flatMap(Double.init) {
            expect(abs(last - output.ratio) <= 0.005 + 1e-9, "ratio \(last) vs measured \(output.ratio)")
        }
        let typeBefore = before.strings(.imageType) ?? []
        let typeAfter = after.strings(.imageType) ?? []
        let expectedType =
            typeBefore.isEmpty
            ? ["DERIVED", "SECONDARY"]
            : ["DERIVED"] + (typeBefore.count == 1 ? ["SECONDARY"] : Array(typeBefore.dropFirst()))
        expect(typeAfter == expectedType, "Image Type \(typeAfter)")
        expect(
            newInstance != nil && newInstance != oldInstance && UID.isValid(newInstance ?? ""),
            "new SOP Instance UID"
        )
        if let oldInstance, let sopClass = before.string(.sopClassUID) {
            let items = after.items(.sourceImageSequence) ?? []
            expect(items.count == (before.items(.sourceImageSequence)?.count ?? 0) + 1, "Source Image Sequence items")
            let reference = items.last
            expect(reference?.string(.referencedSOPInstanceUID) == oldInstance, "source instance")
            expect(reference?.string(.referencedSOPClassUID) == sopClass, "source class")
            let purpose = reference?.items(.purposeOfReferenceCodeSequence)?.first
            expect(purpose?.string(.codeValue) == (wasLossy ? "121330" : "121320"), "purpose code")
            expect(purpose?.string(.codingSchemeDesignator) == "DCM", "purpose scheme")
        }
        let derivation = after.items(.derivationCodeSequence)?.last
        expect(
            derivation?.string(.codeValue) == "113040" && derivation?.string(.codingSchemeDesignator) == "DCM",
            "derivation code"
        )
        let description = after.strings(.derivationDescription)?.first ?? ""
        expect(
            description.contains(method) && description.contains(ratioText),
            "Derivation Description \(description)"
        )
        expect(description.count <= 1024, "Derivation Description length")
    }
}
