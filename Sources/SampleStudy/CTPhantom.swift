#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic, seeded CT phantom: axial slices through a chest and abdomen, from the lung
/// apices (slice 0) to the pelvis (the last slice).
///
/// Values are Hounsfield units stored directly (Rescale Slope 1, Intercept 0) as signed 12-bit
/// samples (Bits Allocated 16, Bits Stored 12, High Bit 11, Pixel Representation 1), clipped to
/// −1024…2047; outside the circular reconstruction field of view every pixel is −1024.
/// Each slice holds air, a patient table, subcutaneous fat, muscle, lungs with vessels, heart and
/// great vessels, liver, spleen, kidneys, bowel with gas and fluid, spine, ribs and pelvic bone,
/// with soft edges, organ texture and correlated noise (σ 12–18 HU), so that JPEG 2000 ratios and
/// PSNR behave like real CT rather than like smooth shapes.
///
/// The same seed, slice, count and size give the same pixels on every run.
public struct CTPhantom: Sendable {
    /// Rows and columns of a standard slice.
    public static let standardSize = 512
    /// Bits Stored of the samples (signed, in 16 bits allocated).
    public static let bitsStored = 12
    public static let minimumValue: Int16 = -1024
    public static let maximumValue: Int16 = 2047
    /// Rescale Intercept and Slope: the samples are Hounsfield units as they are.
    public static let rescaleIntercept = 0.0
    public static let rescaleSlope = 1.0
    /// Reconstruction field of view (mm): the pixel spacing is this divided by the columns.
    public static let fieldOfView = 360.0
    /// Length of the scanned range (mm) that the slices of a study are spread over.
    public static let scanLength = 500.0

    /// The seed the anatomy's random details and the noise derive from.
    public let seed: UInt64
    private let anatomy: PhantomAnatomy

    public init(seed: UInt64 = 0x00C7_5EED) {
        self.seed = seed
        anatomy = PhantomAnatomy(seed: seed)
    }

    /// Millimetres between pixel centres for an image of `columns` columns (and as many rows).
    public static func pixelSpacing(columns: Int = standardSize) -> Double {
        fieldOfView / Double(max(1, columns))
    }

    /// Millimetres between slice positions in a study of `count` slices.
    public static func sliceSpacing(count: Int) -> Double {
        count > 1 ? scanLength / Double(count - 1) : scanLength
    }

    /// The samples of slice `slice` (0-based, head first) of a study with `count` slices, row by row.
    /// - Throws: ``SampleStudyError/invalidArgument`` for a slice outside `0..<count` or a size outside
    ///   1…4096.
    public func pixels(
        forSlice slice: Int,
        of count: Int,
        rows: Int = standardSize,
        columns: Int = standardSize
    )
        throws -> [Int16]
    {
        guard count >= 1, (0..<count).contains(slice) else {
            throw SampleStudyError.invalidArgument("slice \(slice) of \(count)")
        }
        guard (1...4096).contains(rows), (1...4096).contains(columns) else {
            throw SampleStudyError.invalidArgument("size \(rows)x\(columns) (1...4096 each)")
        }
        let position = count > 1 ? Double(slice) / Double(count - 1) : 0.5
        var canvas = PhantomCanvas(
            rows: rows,
            columns: columns,
            fieldOfView: Self.fieldOfView,
            background: -1000,
            seed: PhantomRandom.seed(seed, UInt64(slice), UInt64(count), UInt64(rows), UInt64(columns))
        )
        anatomy.paint(on: &canvas, at: position)
        canvas.addNoise(sigma: 12 + 6 * position)
        return quantize(canvas)
    }

    /// Rounds to integers, clips to the stored range, and blanks everything outside the circular
    /// field of view as scanners do.
    private func quantize(_ canvas: PhantomCanvas) -> [Int16] {
        var result = [Int16](repeating: Self.minimumValue, count: canvas.values.count)
        let radius = Self.fieldOfView / 2
        for row in 0..<canvas.rows {
            let y = (Double(row) + 0.5 - Double(canvas.rows) / 2) * canvas.spacing
            for column in 0..<canvas.columns {
                let x = (Double(column) + 0.5 - Double(canvas.columns) / 2) * canvas.spacing
                guard x * x + y * y <= radius * radius else { continue }
                let value = canvas.values[row * canvas.columns + column].rounded()
                let clipped = min(Float(Self.maximumValue), max(Float(Self.minimumValue), value))
                result[row * canvas.columns + column] = Int16(clipped)
            }
        }
        return result
    }
}

/// An error from the sample study generator.
public struct SampleStudyError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidArgument
    }

    private let code: Code
    /// What was wrong.
    public let context: String

    private init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "SampleStudyError.\(code.rawValue): \(context)" }

    public static func == (lhs: SampleStudyError, rhs: SampleStudyError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// A slice index, slice count or image size out of range.
    public static let invalidArgument = SampleStudyError(.invalidArgument, "")
    static func invalidArgument(_ context: String) -> SampleStudyError { .init(.invalidArgument, context) }
}
