import Testing

@testable import JPEG2000

@Suite struct OpenJPEGOutputBufferTests {
    /// OpenJPEG seeks back to patch markers and may skip forward: writes land at the current
    /// position, gaps read as zeros, and the length is the highest offset written.
    @Test func seekBackRewritesAndForwardSkips() {
        let buffer = OpenJPEGOutputBuffer(expectedSize: 16)
        func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { buffer.write($0) } }
        write([1, 2, 3, 4, 5, 6])
        #expect(buffer.move(to: 2))
        write([9, 9])
        #expect(buffer.bytes == [1, 2, 9, 9, 5, 6])
        #expect(buffer.move(to: 10))
        #expect(buffer.bytes.count == 6, "skipping alone does not lengthen the codestream")
        write([7])
        #expect(buffer.bytes == [1, 2, 9, 9, 5, 6, 0, 0, 0, 0, 7])
        #expect(buffer.move(to: 0))
        write([8])
        #expect(buffer.bytes == [8, 2, 9, 9, 5, 6, 0, 0, 0, 0, 7])
        #expect(!buffer.move(to: -1))
    }
}
