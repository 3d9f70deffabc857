import DICOM

/// A deterministic synthesized DICOM image: any sample format the transcoder accepts (and some it
/// refuses), with content that is neither flat nor pure noise (a gradient, a disc and noise), so
/// lossy coding has something to lose and lossless coding something to keep.
struct SyntheticImage: CustomStringConvertible, Sendable {
    var name: String
    var rows: Int
    var columns: Int
    var frames = 1
    var samplesPerPixel = 1
    var bitsAllocated = 16
    var bitsStored = 12
    var isSigned = false
    var photometric = "MONOCHROME2"
    /// 0 interleaved, 1 planar (3 samples only).
    var planarConfiguration = 0
    /// Random bits above Bits Stored (overlay leftovers, unextended signs) that the encoder must ignore.
    var garbageHighBits = false
    /// Write Number of Frames even for one frame.
    var writeNumberOfFrames = false
    /// Bytes added to (positive) or cut from (negative) the Pixel Data value.
    var pixelDataLengthDelta = 0

    var description: String { name }

    /// The samples' true values (what a lossless round trip must give back), frame by frame,
    /// pixel by pixel, samples interleaved.
    var trueValues: [Int] {
        var generator = SplitMix(seed: UInt64(rows * 7919 + columns * 31 + bitsStored * 3 + frames))
        let range = isSigned ? (-(1 << (bitsStored - 1)))...((1 << (bitsStored - 1)) - 1) : 0...((1 << bitsStored) - 1)
        let span = Double(range.upperBound - range.lowerBound)
        var values: [Int] = []
        values.reserveCapacity(rows * columns * samplesPerPixel * frames)
        for frame in 0..<frames {
            for row in 0..<rows {
                for column in 0..<columns {
                    for sample in 0..<samplesPerPixel {
                        let x = Double(column) / Double(max(1, columns - 1))
                        let y = Double(row) / Double(max(1, rows - 1))
                        var level = 0.15 + 0.5 * (x * 0.7 + y * 0.3) + 0.1 * Double(sample) + 0.05 * Double(frame)
                        let dx = x - 0.5
                        let dy = y - 0.5
                        if dx * dx + dy * dy < 0.08 { level += 0.2 }
                        level += (Double(generator.next() % 1000) / 1000 - 0.5) * 0.08
                        let value = range.lowerBound + Int((min(1, max(0, level)) * span).rounded())
                        values.append(min(range.upperBound, max(range.lowerBound, value)))
                    }
                }
            }
        }
        // The extremes of the range, so sign and precision are exercised.
        if values.count >= 2 {
            values[0] = range.lowerBound
            values[values.count - 1] = range.upperBound
        }
        return values
    }

    /// The Pixel Data value as stored: little endian, Bits Allocated per sample, planar when asked,
    /// signed values in two's complement over Bits Allocated unless garbage fills the high bits.
    var pixelBytes: [UInt8] {
        let values = trueValues
        var generator = SplitMix(seed: 0xBADB175)
        let wordMask = (1 << bitsAllocated) - 1
        let storedMask = (1 << bitsStored) - 1
        let pixelsPerFrame = rows * columns
        var ordered = values
        if samplesPerPixel == 3 && planarConfiguration == 1 {
            for frame in 0..<frames {
                let base = frame * pixelsPerFrame * 3
                for pixel in 0..<pixelsPerFrame {
                    for sample in 0..<3 {
                        ordered[base + sample * pixelsPerFrame + pixel] = values[base + pixel * 3 + sample]
                    }
                }
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ordered.count * bitsAllocated / 8)
        for value in ordered {
            var word = value & wordMask  // two's complement over the whole word
            if garbageHighBits && bitsStored < bitsAllocated {
                word = (value & storedMask) | (Int(generator.next() & 0xFFFF) << bitsStored & wordMask)
            }
            bytes.append(UInt8(word & 0xFF))
            if bitsAllocated == 16 { bytes.append(UInt8(word >> 8)) }
        }
        if pixelDataLengthDelta > 0 { bytes += [UInt8](repeating: 0, count: pixelDataLengthDelta) }
        if pixelDataLengthDelta < 0 { bytes.removeLast(min(bytes.count, -pixelDataLengthDelta)) }
        if bytes.count % 2 == 1 { bytes.append(0) }  // even value length, as PS3.5 requires
        return bytes
    }

    /// A plausible Secondary Capture (or Multi-frame) data set around the pixels.
    func dataSet(sopInstanceUID: String = "2.25.1234567890") throws -> DataSet {
        var dataSet = DataSet()
        let sopClass =
            frames > 1 || writeNumberOfFrames
            ? (bitsAllocated == 8 ? "1.2.840.10008.5.1.4.1.1.7.2" : "1.2.840.10008.5.1.4.1.1.7.3")
            : "1.2.840.10008.5.1.4.1.1.7"
        dataSet.set(.sopClassUID, string: samplesPerPixel == 3 && frames > 1 ? "1.2.840.10008.5.1.4.1.1.7.4" : sopClass)
        dataSet.set(.sopInstanceUID, string: sopInstanceUID)
        dataSet.set(.imageType, strings: ["ORIGINAL", "PRIMARY"])
        dataSet.set(.studyInstanceUID, string: "2.25.111")
        dataSet.set(.seriesInstanceUID, string: "2.25.222")
        dataSet.set(.patientName, string: "Synthetic^\(name)")
        dataSet.set(.patientID, string: "SYN")
        dataSet.set(.modality, string: "OT")
        dataSet.set(.conversionType, string: "WSD")
        // The Type 2 attributes of the Patient, Study, Series and Image modules, so that dciodvfy's
        // verdict on the input is short and anything our output adds stands out.
        dataSet.set(.patientBirthDate, string: "")
        dataSet.set(.patientSex, string: "O")
        dataSet.set(.studyDate, string: "20250120")
        dataSet.set(.studyTime, string: "103000")
        dataSet.set(.referringPhysicianName, string: "")
        dataSet.set(.studyID, string: "1")
        dataSet.set(.accessionNumber, string: "")
        try dataSet.set(.seriesNumber, int: 1, vr: .IS)
        dataSet.set(.laterality, string: "")
        try dataSet.set(.instanceNumber, int: 1, vr: .IS)
        dataSet.set(.patientOrientation, strings: [])
        if frames > 1 || writeNumberOfFrames {
            dataSet.set(.burnedInAnnotation, string: "NO")
            dataSet.set(.frameIncrementPointer, vr: .AT, bytes: [0x18, 0x00, 0x63, 0x10])  // Frame Time
            try dataSet.set(.frameTime, double: 100, vr: .DS)
            if samplesPerPixel == 1 {
                dataSet.set(.presentationLUTShape, string: photometric == "MONOCHROME1" ? "INVERSE" : "IDENTITY")
            }
            if bitsAllocated == 16 && samplesPerPixel == 1 {
                try dataSet.set(.rescaleIntercept, double: 0, vr: .DS)
                try dataSet.set(.rescaleSlope, double: 1, vr: .DS)
                dataSet.set(.rescaleType, string: "US")
            }
        }
        try dataSet.set(.samplesPerPixel, int: samplesPerPixel)
        dataSet.set(.photometricInterpretation, string: photometric)
        if samplesPerPixel > 1 { try dataSet.set(.planarConfiguration, int: planarConfiguration) }
        if frames > 1 || writeNumberOfFrames { try dataSet.set(.numberOfFrames, int: frames, vr: .IS) }
        try dataSet.set(.rows, int: rows)
        try dataSet.set(.columns, int: columns)
        try dataSet.set(.bitsAllocated, int: bitsAllocated)
        try dataSet.set(.bitsStored, int: bitsStored)
        try dataSet.set(.highBit, int: bitsStored - 1)
        try dataSet.set(.pixelRepresentation, int: isSigned ? 1 : 0)
        dataSet.set(.pixelData, vr: bitsAllocated == 8 ? .OB : .OW, bytes: pixelBytes)
        return dataSet
    }

    /// The Part 10 file (Explicit VR Little Endian).
    func file(
        sopInstanceUID: String = "2.25.1234567890",
        edit: (inout DataSet) throws -> Void = { _ in }
    ) throws -> [UInt8] {
        var dataSet = try dataSet(sopInstanceUID: sopInstanceUID)
        try edit(&dataSet)
        return try DICOMFile(dataSet: dataSet).encoded()
    }
}

/// SplitMix64: a tiny deterministic generator for test content.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
