import DICOM
import JPEG2000

/// The native pixel data of a parsed file, checked against what the encoder and DICOM's JPEG 2000
/// rules support, and cut into frames (slices of the input: nothing is copied).
///
/// Both transcoders run this same check, so they copy the same files unchanged.
struct NativeImage {
    /// What the file's Photometric Interpretation becomes in JPEG 2000.
    enum Color: Equatable {
        /// MONOCHROME1 or MONOCHROME2, kept.
        case monochrome(String)
        /// RGB: encoded with the multiple component transform, so YBR_RCT (lossless) or YBR_ICT (lossy).
        case rgb
        /// YBR_FULL: encoded as it is without the colour transform, and kept (PS3.5 §8.2.4 allows
        /// YBR_FULL without MCT). Converting to RGB first would round, which lossless must not.
        case ybrFull
    }

    /// The result of the check: an image, or why the file is copied unchanged.
    enum Check {
        case image(NativeImage)
        case notTranscodable(String)
    }

    var layout: JPEG2000SampleLayout
    var color: Color
    var frameCount: Int
    /// Exactly `frameCount` slices of `layout.frameByteCount` bytes each, in the input's storage.
    var frames: [ArraySlice<UInt8>]

    var pixelBytes: Int { layout.frameByteCount * frameCount }

    /// Parses `input`: `nil` when it is not DICOM (the caller copies it); any other parse error
    /// is thrown (``TranscoderError/truncatedPixelData`` when the file ends inside Pixel Data).
    static func parse(_ input: [UInt8]) throws(TranscoderError) -> DICOMFile? {
        do {
            return try DICOMFile(bytes: input)
        } catch  where error.code == .notDICOM {
            return nil
        } catch  where error.code == .truncated && error.tag == .pixelData {
            // The reader stops at a Pixel Data value that runs past the end of the file: the same
            // failure as native pixel data shorter than its attributes say.
            throw .truncatedPixelData("Pixel Data runs past the end of the input: \(error)")
        } catch {
            throw .unreadableDICOM("the input is DICOM but does not parse", error)
        }
    }

    /// Checks `file` and finds its frames.
    /// - Throws: ``TranscoderError/truncatedPixelData`` when Pixel Data is shorter than its
    ///   attributes say (longer is tolerated: trailing padding is ignored).
    static func check(_ file: DICOMFile) throws(TranscoderError) -> Check {
        let syntax = file.transferSyntax
        let dataSet = file.dataSet
        var isEncapsulated = syntax.isEncapsulated
        if case .encapsulated = dataSet.pixelData { isEncapsulated = true }
        if isEncapsulated {
            if syntax == .encapsulatedUncompressedExplicitVRLittleEndian {
                return .notTranscodable("encapsulated pixel data: \(syntaxName(syntax))")
            }
            return .notTranscodable("already compressed: \(syntaxName(syntax))")
        }
        guard case .native(let pixels) = dataSet.pixelData else {
            if dataSet.contains(.floatPixelData) || dataSet.contains(.doubleFloatPixelData) {
                return .notTranscodable("unsupported layout: float pixel data")
            }
            return .notTranscodable("no pixel data")
        }

        func unsupported(_ what: String) -> Check { .notTranscodable("unsupported layout: \(what)") }
        guard let rows = dataSet.int(.rows), let columns = dataSet.int(.columns) else {
            return unsupported("no Rows or Columns")
        }
        guard rows > 0, columns > 0 else { return unsupported("\(rows) rows, \(columns) columns") }
        guard let bitsAllocated = dataSet.int(.bitsAllocated) else { return unsupported("no Bits Allocated") }
        guard bitsAllocated == 8 || bitsAllocated == 16 else { return unsupported("Bits Allocated \(bitsAllocated)") }
        let bitsStored = dataSet.int(.bitsStored) ?? bitsAllocated
        guard (1...bitsAllocated).contains(bitsStored) else {
            return unsupported("Bits Stored \(bitsStored) with Bits Allocated \(bitsAllocated)")
        }
        // JPEG 2000 has no notion of samples shifted up within their word (PS3.5 §8.2.4: High Bit =
        // Bits Stored − 1); such data would need shifting, which nothing we accept requires.
        if let highBit = dataSet.int(.highBit), highBit != bitsStored - 1 {
            return unsupported("High Bit \(highBit) with Bits Stored \(bitsStored)")
        }
        let pixelRepresentation = dataSet.int(.pixelRepresentation) ?? 0
        guard pixelRepresentation == 0 || pixelRepresentation == 1 else {
            return unsupported("Pixel Representation \(pixelRepresentation)")
        }
        let samplesPerPixel = dataSet.int(.samplesPerPixel) ?? 1
        guard let photometric = dataSet.string(.photometricInterpretation), !photometric.isEmpty else {
            return unsupported("no Photometric Interpretation")
        }
        let color: Color
        switch (photometric, samplesPerPixel) {
        case ("MONOCHROME1", 1), ("MONOCHROME2", 1): color = .monochrome(photometric)
        case ("RGB", 3): color = .rgb
        case ("YBR_FULL", 3): color = .ybrFull
        case ("PALETTE COLOR", _): return unsupported("Photometric Interpretation PALETTE COLOR")
        case (_, 1), (_, 3):
            return unsupported("Photometric Interpretation \(photometric) with \(samplesPerPixel) samples per pixel")
        default: return unsupported("\(samplesPerPixel) samples per pixel")
        }
        var planar = JPEG2000SampleLayout.PlanarConfiguration.interleaved
        if samplesPerPixel == 3 {
            switch dataSet.int(.planarConfiguration) ?? 0 {
            case 0: planar = .interleaved
            case 1: planar = .planar
            case let other: return unsupported("Planar Configuration \(other)")
            }
        }
        var frameCount = 1
        if dataSet.contains(.numberOfFrames) {
            guard let frames = dataSet.int(.numberOfFrames), frames >= 1 else {
                return unsupported("Number of Frames \(dataSet.string(.numberOfFrames) ?? "?")")
            }
            frameCount = frames
        }
        if let overlay = embeddedOverlay(dataSet) {
            return unsupported("overlay \(overlay) embedded in the pixel data's unused bits")
        }

        let layout = JPEG2000SampleLayout(
            rows: rows,
            columns: columns,
            samplesPerPixel: samplesPerPixel,
            bitsAllocated: bitsAllocated,
            bitsStored: bitsStored,
            isSigned: pixelRepresentation == 1,
            planarConfiguration: planar
        )
        // Rows and Columns are US, so one frame fits easily; the frame count is what could overflow.
        let (needed, overflow) = layout.frameByteCount.multipliedReportingOverflow(by: frameCount)
        guard !overflow, pixels.count >= needed else {
            throw .truncatedPixelData(
                "Pixel Data holds \(pixels.count) bytes; \(rows) rows × \(columns) columns × \(frameCount) frames × "
                    + "\(samplesPerPixel) samples × \(bitsAllocated / 8) bytes need \(overflow ? "more" : String(needed))"
            )
        }
        let frameBytes = layout.frameByteCount
        let start = pixels.startIndex
        let frames = (0..<frameCount).map { index in
            pixels[(start + index * frameBytes)..<(start + (index + 1) * frameBytes)]
        }
        return .image(NativeImage(layout: layout, color: color, frameCount: frameCount, frames: frames))
    }

    /// The transfer syntax's name for a reason text: the DICOM module's, else PS3.6's for the other
    /// compressed syntaxes seen in practice, else the UID.
    static func syntaxName(_ syntax: TransferSyntax) -> String {
        if let name = syntax.name { return name }
        let names = [
            "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
            "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
            "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component (Lossless Only)",
            "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component",
            "1.2.840.10008.1.2.4.94": "JPIP Referenced",
            "1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
            "1.2.840.10008.1.2.4.111": "JPEG XL JPEG Recompression",
            "1.2.840.10008.1.2.4.112": "JPEG XL",
            "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
            "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
            "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
        ]
        if let name = names[syntax.uid] { return name }
        if syntax.uid.hasPrefix("1.2.840.10008.1.2.4.10") { return "MPEG (\(syntax.uid))" }
        return syntax.uid
    }

    /// The group of a retired "embedded" overlay: overlay attributes without Overlay Data
    /// (60xx,3000), whose bits therefore live in the pixel words (usually above Bits Stored).
    /// Masking them off before encoding would silently drop the overlay.
    private static func embeddedOverlay(_ dataSet: DataSet) -> String? {
        for group in stride(from: 0x6000, through: 0x601E, by: 2) {
            let group = UInt16(group)
            let bitsAllocated = dataSet.int(Tag(group, 0x0100))
            let bitPosition = dataSet.int(Tag(group, 0x0102))
            guard bitsAllocated != nil || bitPosition != nil else { continue }
            if !dataSet.contains(Tag(group, 0x3000)) {
                return "(\(String(group, radix: 16, uppercase: true)),xxxx)"
            }
        }
        return nil
    }
}
