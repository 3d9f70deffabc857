import Testing

@testable import DICOM

@Test func tagBasics() {
    #expect(Tag.pixelData == Tag(0x7FE0, 0x0010))
    #expect(Tag.pixelData.description == "(7FE0,0010)")
    #expect(Tag(rawValue: 0x0008_0018) == .sopInstanceUID)
    #expect(Tag(0x0009, 0x0010).isPrivateCreator)
    #expect(!Tag(0x0009, 0x1010).isPrivateCreator)
    #expect(Tag(0x0009, 0x1010).isPrivate)
    #expect(!Tag(0x0001, 0x0010).isPrivate)
}
