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
    var frames: Frames

    /// The frames of native Pixel Data, sliced when asked for: a file of a million tiny frames
    /// costs no million slices up front.
    struct Frames: RandomAccessCollection {
        let pixels: ArraySlice<UInt8>
        let frameBytes: Int
        let count: Int
        var startIndex: Int { 0 }
        var endIndex: Int { count }
        subscript(index: Int) -> ArraySlice<UInt8> {
            let start = pixels.startIndex + index * frameBytes
            return pixels[start..<(start + frameBytes)]
        }
    }

    var pixelBytes: Int { layout.frameByteCount * frameCount }

    /// Parses `input`: `nil` when it is not DICOM (the caller copies it); any other parse error
    /// is thrown (``TranscoderError/truncatedPixelData`` when the file ends inside Pixel Data).
    static func parse(
        _ input: [UInt8],
        options: DICOMReadOptions = DICOMReadOptions()
    ) throws(TranscoderError)
        -> DICOMFile?
    {
        do {
            return try DICOMFile(bytes: input, options: options)
        } catch  where error.code == .notDICOM {
            return nil
        } catch  where error.code == .cancelled {
            throw .cancelled("while reading the data set")
        } catch  where error.code == .truncated && error.tag == .pixelData {
            // The reader stops at a Pixel Data value that runs past the end of the file: the same
            // failure as native pixel data shorter than its attributes say.
            throw .truncatedPixelData("Pixel Data runs past the end of the input: \(error)")
        } catch {
            throw .unreadableDICOM("the input is DICOM but does not parse", error)
        }
    }

    /// Checks `file` and finds its frames.
    ///
    /// Every attribute that sizes the image is read whatever its VR (US, SS, UL, SL, IS, DS…),
    /// must hold one value in range, and the frame and Pixel Data sizes are computed with checked
    /// arithmetic, all before anything is allocated or looped over: a file's values can make it
    /// copied with a reason, never trap.
    /// - Parameter maxFrames: more frames than this are copied with a reason, since each frame
    ///   costs an encoder set-up whatever its size.
    /// - Throws: ``TranscoderError/truncatedPixelData`` when Pixel Data is shorter than its
    ///   attributes say. Longer is copied with a reason, unless what follows the last frame is
    ///   zero padding shorter than a frame.
    static func check(
        _ file: DICOMFile,
        maxFrames: Int = TranscoderOptions.defaultMaxFrames
    )
        throws(TranscoderError) -> Check
    {
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
        var attributes = ImageAttributes(dataSet)
        guard dataSet.contains(.rows), dataSet.contains(.columns) else { return unsupported("no Rows or Columns") }
        guard let rows = attributes.read(.rows, "Rows"), let columns = attributes.read(.columns, "Columns") else {
            return unsupported(attributes.problem)
        }
        guard rows > 0, columns > 0 else { return unsupported("\(rows) rows, \(columns) columns") }
        let maximum = JPEG2000SampleLayout.maximumDimension
        guard rows <= maximum, columns <= maximum else {
            return unsupported("\(rows) rows, \(columns) columns (at most \(maximum) each)")
        }
        guard dataSet.contains(.bitsAllocated) else { return unsupported("no Bits Allocated") }
        guard let bitsAllocated = attributes.read(.bitsAllocated, "Bits Allocated") else {
            return unsupported(attributes.problem)
        }
        guard bitsAllocated == 8 || bitsAllocated == 16 else { return unsupported("Bits Allocated \(bitsAllocated)") }
        guard let bitsStored = attributes.read(.bitsStored, "Bits Stored", default: bitsAllocated) else {
            return unsupported(attributes.problem)
        }
        guard (1...bitsAllocated).contains(bitsStored) else {
            return unsupported("Bits Stored \(bitsStored) with Bits Allocated \(bitsAllocated)")
        }
        // JPEG 2000 has no notion of samples shifted up within their word (PS3.5 §8.2.4: High Bit =
        // Bits Stored − 1); such data would need shifting, which nothing we accept requires.
        guard let highBit = attributes.read(.highBit, "High Bit", default: bitsStored - 1) else {
            return unsupported(attributes.problem)
        }
        if highBit != bitsStored - 1 {
            return unsupported("High Bit \(highBit) with Bits Stored \(bitsStored)")
        }
        guard let pixelRepresentation = attributes.read(.pixelRepresentation, "Pixel Representation", default: 0)
        else { return unsupported(attributes.problem) }
        guard pixelRepresentation == 0 || pixelRepresentation == 1 else {
            return unsupported("Pixel Representation \(pixelRepresentation)")
        }
        guard let samplesPerPixel = attributes.read(.samplesPerPixel, "Samples per Pixel", default: 1) else {
            return unsupported(attributes.problem)
        }
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
            return unsupported(
                "Photometric Interpretation \(FileText.quoted(photometric)) with \(samplesPerPixel) samples per pixel"
            )
        default: return unsupported("\(samplesPerPixel) samples per pixel")
        }
        var planar = JPEG2000SampleLayout.PlanarConfiguration.interleaved
        if samplesPerPixel == 3 {
            guard let configuration = attributes.read(.planarConfiguration, "Planar Configuration", default: 0) else {
                return unsupported(attributes.problem)
            }
            switch configuration {
            case 0: planar = .interleaved
            case 1: planar = .planar
            case let other: return unsupported("Planar Configuration \(other)")
            }
        }
        guard let frameCount = attributes.read(.numberOfFrames, "Number of Frames", default: 1) else {
            return unsupported(attributes.problem)
        }
        guard frameCount >= 1 else { return unsupported("Number of Frames \(frameCount)") }
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
        // Each factor is range-checked above, yet the products are checked too: the frame count
        // is any 32-bit number, and the rule must not depend on remembering the other ranges.
        let frameBytes = checkedProduct([rows, columns, samplesPerPixel, bitsAllocated / 8])
        let needed = frameBytes.flatMap { checkedProduct([$0, frameCount]) }
        guard let frameBytes, let needed, pixels.count >= needed else {
            throw .truncatedPixelData(
                "Pixel Data holds \(pixels.count) bytes; \(rows) rows × \(columns) columns × \(frameCount) frames × "
                    + "\(samplesPerPixel) samples × \(bitsAllocated / 8) bytes need \(needed.map(String.init) ?? "more")"
            )
        }
        // Bytes after the last frame: zero padding shorter than a frame (the pad byte to even
        // length, PS3.5 §7.1.1, or a writer's block padding, as in pydicom's MR_small_padded) is
        // dropped; anything else may be pixels the attributes do not describe (a frame more than
        // Number of Frames says), and encoding only part of them would pass a damaged instance
        // off as the original.
        let excess = pixels[(pixels.startIndex + needed)...]
        guard excess.count <= needed % 2 || excess.count < frameBytes, excess.allSatisfy({ $0 == 0 }) else {
            return .notTranscodable(
                "Pixel Data longer than its attributes say: \(pixels.count) bytes, \(frameCount) frames of "
                    + "\(frameBytes) bytes need \(needed)"
            )
        }
        guard frameCount <= maxFrames else {
            return .notTranscodable("Number of Frames \(frameCount) is more than the limit of \(maxFrames) per file")
        }
        let frames = Frames(pixels: pixels, frameBytes: frameBytes, count: frameCount)
        return .image(NativeImage(layout: layout, color: color, frameCount: frameCount, frames: frames))
    }

    /// `factors` multiplied, or `nil` on overflow.
    private static func checkedProduct(_ factors: [Int]) -> Int? {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            product = next
        }
        return product
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
        if syntax.uid.hasPrefix("1.2.840.10008.1.2.4.10") { return "MPEG (\(FileText.quoted(syntax.uid)))" }
        return FileText.quoted(syntax.uid)
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

/// Reads the attributes that size an image: one whole number each, whatever the VR the file
/// gives it, else a problem naming the attribute (and its value, cut short and escaped).
struct ImageAttributes {
    let dataSet: DataSet
    /// Why the last ``read(_:_:default:)`` returned `nil`.
    private(set) var problem = ""

    init(_ dataSet: DataSet) { self.dataSet = dataSet }

    /// The value of `tag`, or `fallback` when it is absent; `nil` (with ``problem`` set) when it
    /// is present but not exactly one whole number within ±2³¹.
    mutating func read(_ tag: Tag, _ name: String, default fallback: Int? = nil) -> Int? {
        guard let element = dataSet[tag] else {
            if fallback == nil { problem = "no \(name)" }
            return fallback
        }
        // DS "512.0" is a whole number; ints covers US, SS, UL, SL, SV, UV, IS and such DS.
        let text =
            element.strings?.joined(separator: "\\") ?? element.ints?.map(String.init).joined(separator: "\\")
            ?? "of VR \(element.vr)"
        guard let values = element.ints, values.count == 1, let value = values.first else {
            problem = "\(name) \(FileText.quoted(text)) is not one whole number"
            return nil
        }
        // Wider than any VR of these attributes needs (US…UL), so nothing later can overflow.
        guard (-(1 << 31)..<(1 << 32)).contains(value) else {
            problem = "\(name) \(FileText.quoted(text)) is out of range"
            return nil
        }
        return value
    }
}
