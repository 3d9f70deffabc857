import Testing

@testable import DICOM

@Test func moduleLinks() {
    #expect(String(describing: DICOMModule.self) == "DICOMModule")
}
