import Testing

@testable import AWSClients

@Test func moduleLinks() {
    #expect(String(describing: AWSClientsModule.self) == "AWSClientsModule")
}
