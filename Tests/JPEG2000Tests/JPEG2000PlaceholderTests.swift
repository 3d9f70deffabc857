import Testing

@testable import JPEG2000

@Test func moduleLinks() {
    #expect(String(describing: JPEG2000Module.self) == "JPEG2000Module")
}
