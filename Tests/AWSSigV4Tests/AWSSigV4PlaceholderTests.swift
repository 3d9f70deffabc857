import Testing

@testable import AWSSigV4

@Test func moduleLinks() {
    #expect(String(describing: AWSSigV4Module.self) == "AWSSigV4Module")
}
