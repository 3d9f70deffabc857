import Testing

@testable import Transcoder

@Test func moduleLinks() {
    #expect(String(describing: TranscoderModule.self) == "TranscoderModule")
}
