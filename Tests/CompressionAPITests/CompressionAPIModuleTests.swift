import CompressionAPI
import Testing

@Suite struct CompressionAPIModuleTests {
    @Test func moduleLinks() {
        #expect(String(describing: CompressionAPI.self) == "CompressionAPI")
    }
}
