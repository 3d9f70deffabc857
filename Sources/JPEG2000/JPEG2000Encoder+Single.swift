import Logging

extension JPEG2000EncodedFrame {
    /// The memberwise initialiser for the other codec modules (the synthesised one is internal).
    package static func make(codestream: [UInt8], uncompressedByteCount: Int, passes: Int) -> JPEG2000EncodedFrame {
        JPEG2000EncodedFrame(codestream: codestream, uncompressedByteCount: uncompressedByteCount, passes: passes)
    }
}

extension JPEG2000Encoder {
    /// One OpenJPEG encode at exactly `openJPEGRate` (OpenJPEG's `tcp_rates[0]`, a ratio against
    /// Bits Stored; `nil` = lossless), with no ratio correction: the step of the quality search,
    /// which chooses the rate itself. `options.mode` is ignored; colour transform, threads and speed
    /// apply.
    package static func encodeOnce(
        _ frame: UnsafeRawBufferPointer,
        layout: JPEG2000SampleLayout,
        options: JPEG2000EncodingOptions,
        openJPEGRate: Double?,
        logger: Logger
    ) throws -> [UInt8] {
        try layout.validate()
        try options.validate()
        guard frame.count == layout.frameByteCount else {
            throw JPEG2000Error.sampleCountMismatch(
                "a frame of \(layout) needs \(layout.frameByteCount) bytes, got \(frame.count)"
            )
        }
        if let openJPEGRate, !(openJPEGRate.isFinite && openJPEGRate > 1) {
            throw JPEG2000Error.invalidOptions("the OpenJPEG rate must be a finite number > 1, not \(openJPEGRate)")
        }
        let settings = OpenJPEGFrameEncoder.Settings(
            openJPEGRate: openJPEGRate,
            colorTransform: options.colorTransform,
            threads: options.codecThreads,
            bypass: options.speed == .fast
        )
        return try OpenJPEGFrameEncoder.encode(frame, layout: layout, settings: settings, logger: logger)
    }
}
