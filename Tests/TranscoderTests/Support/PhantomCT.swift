import DICOM
import SampleStudy

/// Realistic CT input: slices of the SampleStudy phantom (512×512, signed 12 bits in 16) wrapped
/// in a CT Image Storage data set with the attributes its IOD requires, so dciodvfy has little to
/// say about the input and anything our output adds stands out.
enum PhantomCT {
    static let phantom = CTPhantom()

    /// One slice as a CT image (`frames == 1`), or several as a multi-frame grayscale word
    /// Secondary Capture.
    static func file(slices: [Int], of count: Int, size: Int = CTPhantom.standardSize) throws -> [UInt8] {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(slices.count * size * size * 2)
        for slice in slices {
            for value in try phantom.pixels(forSlice: slice, of: count, rows: size, columns: size) {
                let word = UInt16(bitPattern: value)
                pixels.append(UInt8(word & 0xFF))
                pixels.append(UInt8(word >> 8))
            }
        }
        var dataSet = DataSet()
        let multiFrame = slices.count > 1
        dataSet.set(.sopClassUID, string: multiFrame ? "1.2.840.10008.5.1.4.1.1.7.3" : "1.2.840.10008.5.1.4.1.1.2")
        dataSet.set(.sopInstanceUID, string: "2.25.4242\(slices.first ?? 0)")
        dataSet.set(.imageType, strings: multiFrame ? ["ORIGINAL", "PRIMARY"] : ["ORIGINAL", "PRIMARY", "AXIAL"])
        dataSet.set(.studyDate, string: "20250120")
        dataSet.set(.studyTime, string: "103000")
        dataSet.set(.accessionNumber, string: "")
        dataSet.set(.modality, string: multiFrame ? "OT" : "CT")
        dataSet.set(.manufacturer, string: "dicom-j2k tests")
        dataSet.set(.referringPhysicianName, string: "")
        dataSet.set(.patientName, string: "Phantom^CT")
        dataSet.set(.patientID, string: "PHANTOM")
        dataSet.set(.patientBirthDate, string: "")
        dataSet.set(.patientSex, string: "O")
        dataSet.set(.studyInstanceUID, string: "2.25.4243")
        dataSet.set(.seriesInstanceUID, string: "2.25.4244")
        dataSet.set(.studyID, string: "1")
        try dataSet.set(.seriesNumber, int: 1, vr: .IS)
        try dataSet.set(.instanceNumber, int: (slices.first ?? 0) + 1, vr: .IS)
        dataSet.set(.patientOrientation, strings: [])
        dataSet.set(.laterality, string: "")
        if multiFrame {
            dataSet.set(.conversionType, string: "WSD")
            dataSet.set(.burnedInAnnotation, string: "NO")
            dataSet.set(.frameIncrementPointer, vr: .AT, bytes: [0x18, 0x00, 0x63, 0x10])  // Frame Time
            try dataSet.set(.frameTime, double: 100, vr: .DS)
            dataSet.set(.presentationLUTShape, string: "IDENTITY")
            try dataSet.set(.rescaleIntercept, double: CTPhantom.rescaleIntercept, vr: .DS)
            try dataSet.set(.rescaleSlope, double: CTPhantom.rescaleSlope, vr: .DS)
            dataSet.set(.rescaleType, string: "HU")
            try dataSet.set(.numberOfFrames, int: slices.count, vr: .IS)
        } else {
            dataSet.set(.frameOfReferenceUID, string: "2.25.4245")
            dataSet.set(.positionReferenceIndicator, string: "")
            dataSet.set(.patientPosition, string: "HFS")
            try dataSet.set(.kvp, double: 120, vr: .DS)
            try dataSet.set(.acquisitionNumber, int: 1, vr: .IS)
            try dataSet.set(.sliceThickness, double: 1.25, vr: .DS)
            try dataSet.set(.imagePositionPatient, doubles: [-180, -180, -Double(slices.first ?? 0) * 1.25], vr: .DS)
            try dataSet.set(.imageOrientationPatient, doubles: [1, 0, 0, 0, 1, 0], vr: .DS)
            try dataSet.set(
                .pixelSpacing,
                doubles: [CTPhantom.pixelSpacing(columns: size), CTPhantom.pixelSpacing(columns: size)],
                vr: .DS
            )
            try dataSet.set(.rescaleIntercept, double: CTPhantom.rescaleIntercept, vr: .DS)
            try dataSet.set(.rescaleSlope, double: CTPhantom.rescaleSlope, vr: .DS)
            dataSet.set(.rescaleType, string: "HU")
        }
        try dataSet.set(.samplesPerPixel, int: 1)
        dataSet.set(.photometricInterpretation, string: "MONOCHROME2")
        try dataSet.set(.rows, int: size)
        try dataSet.set(.columns, int: size)
        try dataSet.set(.bitsAllocated, int: 16)
        try dataSet.set(.bitsStored, int: CTPhantom.bitsStored)
        try dataSet.set(.highBit, int: CTPhantom.bitsStored - 1)
        try dataSet.set(.pixelRepresentation, int: 1)
        dataSet.set(.pixelData, vr: .OW, bytes: pixels)
        return try DICOMFile(dataSet: dataSet).encoded()
    }
}
