import Testing

@testable import ZIPStream

@Test func moduleLinks() {
    #expect(String(describing: ZIPStreamModule.self) == "ZIPStreamModule")
}
