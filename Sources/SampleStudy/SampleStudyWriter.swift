import DICOM
import Foundation

/// Writes the ``CTPhantom`` as a CT study of Part 10 files: one series, consistent study, series
/// and frame-of-reference UIDs, instance numbers and positions, as a scanner would send it.
///
/// Deterministic: the same options give byte-identical files, UIDs included (they are RFC 9562
/// version 4-shaped `2.25.` UIDs drawn from the seeded generator, not from the clock).
public struct SampleStudyWriter: Sendable {
    public struct Options: Sendable {
        /// Number of slices (the prototype's study had 399).
        public var slices: Int
        public var rows: Int
        public var columns: Int
        /// Implicit VR Little Endian instead of Explicit, as older scanners write.
        public var implicitVR: Bool
        public var seed: UInt64

        public init(
            slices: Int = 399,
            rows: Int = 512,
            columns: Int = 512,
            implicitVR: Bool = false,
            seed: UInt64 = 0x00C7_5EED
        ) {
            self.slices = slices
            self.rows = rows
            self.columns = columns
            self.implicitVR = implicitVR
            self.seed = seed
        }
    }

    public let options: Options
    private let phantom: CTPhantom
    /// The study's Study Instance UID (deterministic for a seed).
    package let studyUID: String
    private let seriesUID: String
    private let frameOfReferenceUID: String

    /// - Throws: ``SampleStudyError/invalidArgument`` for a slice count outside 1…10,000 or a size
    ///   outside 1…4096.
    public init(options: Options = Options()) throws {
        guard (1...10_000).contains(options.slices) else {
            throw SampleStudyError.invalidArgument("slices \(options.slices) (1...10000)")
        }
        guard (1...4096).contains(options.rows), (1...4096).contains(options.columns) else {
            throw SampleStudyError.invalidArgument("size \(options.rows)x\(options.columns) (1...4096 each)")
        }
        self.options = options
        phantom = CTPhantom(seed: options.seed)
        var random = PhantomRandom(seed: PhantomRandom.seed(options.seed, 0x5EB1E5))
        studyUID = UID.generate(using: &random)
        seriesUID = UID.generate(using: &random)
        frameOfReferenceUID = UID.generate(using: &random)
    }

    /// `CT0001.dcm` … in slice order (zero-padded so names sort like slices).
    public func fileName(forSlice slice: Int) -> String {
        let digits = max(4, String(options.slices).count)
        let number = String(slice + 1)
        return "CT" + String(repeating: "0", count: digits - number.count) + number + ".dcm"
    }

    /// The Part 10 bytes of slice `slice` (0-based, head first).
    public func slice(_ slice: Int) throws -> [UInt8] {
        let pixels = try phantom.pixels(
            forSlice: slice,
            of: options.slices,
            rows: options.rows,
            columns: options.columns
        )
        var random = PhantomRandom(seed: PhantomRandom.seed(options.seed, 0x1257, UInt64(slice)))
        let sopInstanceUID = UID.generate(using: &random)
        let spacing = CTPhantom.pixelSpacing(columns: options.columns)
        let sliceSpacing = CTPhantom.sliceSpacing(count: options.slices)
        let z = -Double(slice) * sliceSpacing  // head first: positions descend from the apices
        let corner = -CTPhantom.fieldOfView / 2 + spacing / 2

        var d = DataSet()
        d.set(.specificCharacterSet, string: "ISO_IR 100")
        d.set(.imageType, strings: ["ORIGINAL", "PRIMARY", "AXIAL"])
        d.set(.sopClassUID, string: ctImageStorage)
        d.set(.sopInstanceUID, string: sopInstanceUID)
        d.set(.studyDate, string: "20250120")
        d.set(.seriesDate, string: "20250120")
        d.set(.contentDate, string: "20250120")
        d.set(.studyTime, string: "103000")
        d.set(.seriesTime, string: "103000")
        d.set(.contentTime, string: "103000")
        d.set(.accessionNumber, string: "SAMPLE0001")
        d.set(.modality, string: "CT")
        d.set(.manufacturer, string: "dicom-j2k sample-study")
        d.set(.referringPhysicianName, string: "")
        d.set(.studyDescription, string: "CT CHEST ABDOMEN PELVIS (synthetic phantom)")
        d.set(.seriesDescription, string: "Axial 512 phantom")
        d.set(.patientName, string: "Phantom^CT")
        d.set(.patientID, string: "PHANTOM-0001")
        d.set(.patientBirthDate, string: "19700101")
        d.set(.patientSex, string: "O")
        d.set(.bodyPartExamined, string: "CHEST")
        try d.set(.sliceThickness, double: sliceSpacing)
        try d.set(.kvp, int: 120)
        d.set(.patientPosition, string: "HFS")
        d.set(.studyInstanceUID, string: studyUID)
        d.set(.seriesInstanceUID, string: seriesUID)
        d.set(.studyID, string: "1")
        try d.set(.seriesNumber, int: 1)
        try d.set(.acquisitionNumber, int: 1)
        try d.set(.instanceNumber, int: slice + 1)
        try d.set(.imagePositionPatient, doubles: [corner, corner, z])
        try d.set(.imageOrientationPatient, ints: [1, 0, 0, 0, 1, 0])
        d.set(.frameOfReferenceUID, string: frameOfReferenceUID)
        d.set(.positionReferenceIndicator, string: "")
        try d.set(.sliceLocation, double: z)
        try d.set(.samplesPerPixel, int: 1)
        d.set(.photometricInterpretation, string: "MONOCHROME2")
        try d.set(.rows, int: options.rows)
        try d.set(.columns, int: options.columns)
        try d.set(.pixelSpacing, doubles: [spacing, spacing])
        try d.set(.bitsAllocated, int: 16)
        try d.set(.bitsStored, int: CTPhantom.bitsStored)
        try d.set(.highBit, int: CTPhantom.bitsStored - 1)
        try d.set(.pixelRepresentation, int: 1)
        try d.set(.windowCenter, int: 40)
        try d.set(.windowWidth, int: 400)
        try d.set(.rescaleIntercept, double: CTPhantom.rescaleIntercept)
        try d.set(.rescaleSlope, double: CTPhantom.rescaleSlope)
        d.set(.rescaleType, string: "HU")
        d.set(.lossyImageCompression, string: "00")
        var pixelBytes = [UInt8]()
        pixelBytes.reserveCapacity(pixels.count * 2)
        for value in pixels {
            let bits = UInt16(bitPattern: value)
            pixelBytes.append(UInt8(truncatingIfNeeded: bits))
            pixelBytes.append(UInt8(truncatingIfNeeded: bits >> 8))
        }
        d.set(.pixelData, vr: .OW, bytes: pixelBytes)
        return try DICOMFile(dataSet: d).encoded(
            as: options.implicitVR ? .implicitVRLittleEndian : .explicitVRLittleEndian
        )
    }

    /// Writes every slice into `directory` (created if missing) and returns the file names.
    public func write(to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var names: [String] = []
        for index in 0..<options.slices {
            let name = fileName(forSlice: index)
            try Data(slice(index)).write(to: directory.appendingPathComponent(name))
            names.append(name)
        }
        return names
    }

    private var ctImageStorage: String { "1.2.840.10008.5.1.4.1.1.2" }
}

extension PhantomRandom: RandomNumberGenerator {}
