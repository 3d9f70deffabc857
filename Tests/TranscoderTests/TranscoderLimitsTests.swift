import DICOM
import Foundation
import Logging
import Synchronization
import Testing

@testable import Transcoder

/// The per-file limits of ``TranscoderOptions`` (frames, inflated size, cancellation) and the
/// Pixel Data length rule, in process; the hostile corpus checks the same through the job.
@Suite struct TranscoderLimitsTests {
    static let logger = Logger(label: "test")
    static let threeFrames = SyntheticImage(name: "frames", rows: 8, columns: 8, frames: 3, bitsStored: 12)

    static func transcode(
        _ input: [UInt8],
        _ edit: (inout TranscoderOptions) -> Void = { _ in }
    )
        throws(TranscoderError) -> TranscodeOutcome
    {
        var options = TranscoderOptions(mode: .lossless)
        edit(&options)
        return try Transcoder(options: options, logger: logger).transcode(input)
    }

    @Test func moreFramesThanTheLimitAreCopiedWithAReason() throws {
        let input = try Self.threeFrames.file()
        guard case .notTranscodable(let reason) = try Self.transcode(input, { $0.maxFrames = 2 }) else {
            Issue.record("3 frames with a limit of 2 were transcoded")
            return
        }
        #expect(reason == "Number of Frames 3 is more than the limit of 2 per file")
        guard case .transcoded(let file) = try Self.transcode(input, { $0.maxFrames = 3 }) else {
            Issue.record("3 frames with a limit of 3 were not transcoded")
            return
        }
        #expect(file.frames == 3)
        #expect(throws: TranscoderError.invalidOptions) { try Self.transcode(input) { $0.maxFrames = 0 } }
    }

    @Test func cancellationStopsBetweenFrames() throws {
        let input = try Self.threeFrames.file()
        // Cancelled once the first frame has been asked about: the file is abandoned.
        let asked = Atomic<Int>(0)
        let error = #expect(throws: TranscoderError.cancelled) {
            try Self.transcode(input) { options in
                options.isCancelled = { asked.add(1, ordering: .relaxed).newValue > 1 }
            }
        }
        #expect(error?.context.contains("frame 2 of 3") == true, "\(String(describing: error))")
        #expect(throws: Never.self) { try Self.transcode(input) { $0.isCancelled = { false } } }
    }

    @Test func theReaderGetsTheInflateLimitAndTheCancellationCheck() {
        // (The deflate bomb of the hostile corpus checks the default limit through the job.)
        var options = TranscoderOptions(mode: .lossless)
        #expect(options.readOptions.maximumInflatedSize == TranscoderOptions.defaultMaxInflatedBytes)
        #expect(options.readOptions.isCancelled == nil)
        options.maxInflatedBytes = 1 << 20
        options.isCancelled = { true }
        #expect(options.readOptions.maximumInflatedSize == 1 << 20)
        #expect(options.readOptions.isCancelled?() == true)
    }

    @Test func pixelDataLongerThanItsAttributesIsCopiedUnlessZeroPadding() throws {
        var extra = Self.threeFrames
        extra.frames = 3
        let oneFrameTooMany = try extra.file { try $0.set(.numberOfFrames, int: 2, vr: .IS) }
        guard case .notTranscodable(let reason) = try Self.transcode(oneFrameTooMany) else {
            Issue.record("Pixel Data of 3 frames with Number of Frames 2 was transcoded")
            return
        }
        #expect(reason == "Pixel Data longer than its attributes say: 384 bytes, 2 frames of 128 bytes need 256")
        var padded = Self.threeFrames
        padded.pixelDataLengthDelta = 64
        guard case .transcoded = try Self.transcode(padded.file()) else {
            Issue.record("zero padding shorter than a frame was not accepted")
            return
        }
        padded.pixelDataLengthDelta = 128
        guard case .notTranscodable = try Self.transcode(padded.file()) else {
            Issue.record("a whole frame of zero padding was accepted")
            return
        }
    }
}
