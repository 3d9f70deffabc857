/// How one uncompressed frame's samples are laid out in memory, in DICOM terms.
///
/// Samples are little-endian, `bitsAllocated / 8` bytes each. With 3 samples per pixel the planar
/// configuration says whether they are interleaved (`RGBRGB…`) or one plane after another.
public struct JPEG2000SampleLayout: Sendable, Hashable, CustomStringConvertible {
    /// Whether the samples of a colour pixel are interleaved or stored as separate planes
    /// (DICOM Planar Configuration 0 or 1).
    public enum PlanarConfiguration: Sendable, Hashable {
        /// Planar Configuration 0: `R1 G1 B1 R2 G2 B2 …`.
        case interleaved
        /// Planar Configuration 1: all red samples, then all green, then all blue.
        case planar
    }

    /// The largest number of rows or columns accepted (the DICOM attributes are 16-bit).
    public static let maximumDimension = 65_535

    public var rows: Int
    public var columns: Int
    /// 1 (grayscale) or 3 (colour).
    public var samplesPerPixel: Int
    /// 8 or 16.
    public var bitsAllocated: Int
    /// 1 through `bitsAllocated`; bits above it are ignored.
    public var bitsStored: Int
    /// Pixel Representation 1: samples are two's complement in `bitsStored` bits.
    public var isSigned: Bool
    public var planarConfiguration: PlanarConfiguration

    public init(
        rows: Int,
        columns: Int,
        samplesPerPixel: Int = 1,
        bitsAllocated: Int,
        bitsStored: Int,
        isSigned: Bool,
        planarConfiguration: PlanarConfiguration = .interleaved
    ) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.isSigned = isSigned
        self.planarConfiguration = planarConfiguration
    }

    public var description: String {
        "\(rows)x\(columns)x\(samplesPerPixel) allocated \(bitsAllocated) stored \(bitsStored) "
            + (isSigned ? "signed" : "unsigned") + (planarConfiguration == .planar ? " planar" : "")
    }

    /// Pixels in one component plane.
    public var pixelCount: Int { rows * columns }
    /// Bytes per sample as stored (1 or 2).
    public var bytesPerSample: Int { bitsAllocated / 8 }
    /// The size of one uncompressed frame as stored, in bytes: the numerator of every ratio.
    public var frameByteCount: Int { pixelCount * samplesPerPixel * bytesPerSample }
    /// The largest sample value, `2^bitsStored - 1`: the peak of PSNR.
    public var peakValue: Double { Double((1 << bitsStored) - 1) }

    /// Throws ``JPEG2000Error/invalidLayout`` unless the encoder supports this layout.
    public func validate() throws {
        guard (1...Self.maximumDimension).contains(rows), (1...Self.maximumDimension).contains(columns) else {
            throw JPEG2000Error.invalidLayout("rows and columns must be 1...\(Self.maximumDimension): \(self)")
        }
        guard samplesPerPixel == 1 || samplesPerPixel == 3 else {
            throw JPEG2000Error.invalidLayout("samples per pixel must be 1 or 3: \(self)")
        }
        guard bitsAllocated == 8 || bitsAllocated == 16 else {
            throw JPEG2000Error.invalidLayout("bits allocated must be 8 or 16: \(self)")
        }
        guard (1...bitsAllocated).contains(bitsStored) else {
            throw JPEG2000Error.invalidLayout("bits stored must be 1...\(bitsAllocated): \(self)")
        }
    }

    /// The number of wavelet resolution levels used for this image size: six, or fewer so that the
    /// smallest resolution still holds a pixel (OpenJPEG rejects a level count the tile cannot hold).
    /// This is GDCM's rule (count the halvings of `w/2` and `h/2`), but never below one.
    package var resolutionLevels: Int {
        var halvings = 0
        var width = columns >> 1
        var height = rows >> 1
        while width > 0, height > 0, halvings < 6 {
            halvings += 1
            width >>= 1
            height >>= 1
        }
        return max(1, halvings)
    }
}

extension JPEG2000SampleLayout {
    /// Reads component `component` out of a frame and writes its true sample values: bits above
    /// `bitsStored` masked off, signed samples sign-extended from bit `bitsStored - 1`.
    /// `frame` must hold ``frameByteCount`` bytes and `destination` ``pixelCount`` values.
    package func unpack(
        component: Int,
        from frame: UnsafeRawBufferPointer,
        into destination: UnsafeMutableBufferPointer<Int32>
    ) {
        let normalize = SampleNormalizer(bitsStored: bitsStored, isSigned: isSigned)
        let count = pixelCount
        // Byte distance between two samples of this component, and where the first one is.
        let stride: Int
        let start: Int
        switch planarConfiguration {
        case .interleaved:
            stride = samplesPerPixel * bytesPerSample
            start = component * bytesPerSample
        case .planar:
            stride = bytesPerSample
            start = component * count * bytesPerSample
        }
        if bitsAllocated == 8 {
            for index in 0..<count {
                destination[index] = normalize(UInt32(frame[start + index * stride]))
            }
        } else {
            for index in 0..<count {
                let offset = start + index * stride
                let raw = UInt32(frame[offset]) | UInt32(frame[offset + 1]) << 8
                destination[index] = normalize(raw)
            }
        }
    }

    /// The frame's true sample values, pixel by pixel with components interleaved (`R G B R G B…`),
    /// as the encoder sees them after masking and sign extension.
    package func unpackInterleaved(_ frame: UnsafeRawBufferPointer) -> [Int32] {
        let count = pixelCount
        var planes = [Int32](repeating: 0, count: count * samplesPerPixel)
        planes.withUnsafeMutableBufferPointer { all in
            for component in 0..<samplesPerPixel {
                let plane = UnsafeMutableBufferPointer(rebasing: all[(component * count)..<((component + 1) * count)])
                unpack(component: component, from: frame, into: plane)
            }
        }
        guard samplesPerPixel > 1 else { return planes }
        var interleaved = [Int32](repeating: 0, count: planes.count)
        for index in 0..<count {
            for component in 0..<samplesPerPixel {
                interleaved[index * samplesPerPixel + component] = planes[component * count + index]
            }
        }
        return interleaved
    }
}

/// Masks a raw sample to `bitsStored` bits and sign-extends it when the data is signed.
struct SampleNormalizer {
    let mask: UInt32
    let signBit: UInt32
    let isSigned: Bool

    init(bitsStored: Int, isSigned: Bool) {
        mask = UInt32((1 << bitsStored) - 1)
        signBit = UInt32(1 << (bitsStored - 1))
        self.isSigned = isSigned
    }

    @inline(__always)
    func callAsFunction(_ raw: UInt32) -> Int32 {
        let value = raw & mask
        if isSigned, value & signBit != 0 {
            return Int32(bitPattern: value | ~mask)
        }
        return Int32(bitPattern: value)
    }
}
