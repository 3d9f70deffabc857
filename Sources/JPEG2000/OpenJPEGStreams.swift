import COpenJPEG
import Logging

// The C side of OpenJPEG: message handlers and in-memory streams. OpenJPEG calls back through
// plain C function pointers with a `void *` user pointer; each call site passes an unretained
// pointer to one of the classes below and keeps the object alive until the codec/stream is gone.

/// Collects OpenJPEG's messages for one codec: info and warnings go to the logger, errors are also
/// kept so the thrown ``JPEG2000Error`` can say what the library complained about.
final class OpenJPEGMessages {
    private let logger: Logger
    private(set) var errors: [String] = []
    private static let keptErrors = 8

    init(logger: Logger) { self.logger = logger }

    /// Routes the codec's three message channels to this object. The object must outlive the codec.
    func install(on codec: OpenJPEGCodecHandle) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        opj_set_info_handler(
            codec,
            { message, context in OpenJPEGMessages.from(context)?.record(.info, message) },
            context
        )
        opj_set_warning_handler(
            codec,
            { message, context in OpenJPEGMessages.from(context)?.record(.warning, message) },
            context
        )
        opj_set_error_handler(
            codec,
            { message, context in OpenJPEGMessages.from(context)?.record(.error, message) },
            context
        )
    }

    private enum Channel: String { case info, warning, error }

    private static func from(_ context: UnsafeMutableRawPointer?) -> OpenJPEGMessages? {
        guard let context else { return nil }
        return Unmanaged<OpenJPEGMessages>.fromOpaque(context).takeUnretainedValue()
    }

    private func record(_ channel: Channel, _ message: UnsafePointer<CChar>?) {
        guard let message else { return }
        let text = String(cString: message).trimmingTrailingWhitespace()
        // A library logs at info or lower; errors reach the caller through the thrown error.
        switch channel {
        case .info:
            logger.trace("openjpeg message", metadata: ["openjpeg.message": "\(text)"])
        case .warning:
            logger.info("openjpeg warning", metadata: ["openjpeg.message": "\(text)"])
        case .error:
            logger.debug("openjpeg error", metadata: ["openjpeg.message": "\(text)"])
            if errors.count == Self.keptErrors { errors.removeFirst() }
            errors.append(text)
        }
    }
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

/// The codestream being written. OpenJPEG writes sequentially but also seeks back to patch
/// markers, so writes land at `position`, past-the-end gaps read as zeros, and the codestream's
/// length is the highest offset ever written.
final class OpenJPEGOutputBuffer {
    private(set) var bytes: [UInt8]
    private var position = 0

    init(expectedSize: Int) {
        bytes = []
        bytes.reserveCapacity(expectedSize)
    }

    /// Creates an OpenJPEG output stream writing into this buffer; the buffer must outlive it.
    func makeStream() -> OpenJPEGStreamHandle? {
        guard let stream = opj_stream_create(64 * 1024, 0) else { return nil }
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        opj_stream_set_write_function(stream) { data, count, context in
            guard let data, let buffer = OpenJPEGOutputBuffer.from(context) else { return OpenJPEGStreamResult.failed }
            buffer.write(UnsafeRawBufferPointer(start: data, count: count))
            return count
        }
        opj_stream_set_skip_function(stream) { count, context in
            guard let buffer = OpenJPEGOutputBuffer.from(context), buffer.move(to: buffer.position + Int(count))
            else { return -1 }
            return count
        }
        opj_stream_set_seek_function(stream) { offset, context in
            guard let buffer = OpenJPEGOutputBuffer.from(context), buffer.move(to: Int(offset)) else { return 0 }
            return 1
        }
        return stream
    }

    private static func from(_ context: UnsafeMutableRawPointer?) -> OpenJPEGOutputBuffer? {
        guard let context else { return nil }
        return Unmanaged<OpenJPEGOutputBuffer>.fromOpaque(context).takeUnretainedValue()
    }

    func write(_ data: UnsafeRawBufferPointer) {
        let end = position + data.count
        if end > bytes.count { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
        bytes.withUnsafeMutableBytes { target in
            UnsafeMutableRawBufferPointer(rebasing: target[position..<end]).copyMemory(from: data)
        }
        position = end
    }

    func move(to offset: Int) -> Bool {
        guard offset >= 0 else { return false }
        position = offset
        return true
    }
}

/// A codestream being read by the decoder.
final class OpenJPEGInputBuffer {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Creates an OpenJPEG input stream reading this buffer; the buffer must outlive it.
    func makeStream() -> OpenJPEGStreamHandle? {
        guard let stream = opj_stream_create(64 * 1024, 1) else { return nil }
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        opj_stream_set_user_data_length(stream, UInt64(bytes.count))
        opj_stream_set_read_function(stream) { data, count, context in
            guard let data, let buffer = OpenJPEGInputBuffer.from(context) else { return OpenJPEGStreamResult.failed }
            return buffer.read(into: UnsafeMutableRawBufferPointer(start: data, count: count))
        }
        opj_stream_set_skip_function(stream) { count, context in
            guard let buffer = OpenJPEGInputBuffer.from(context) else { return -1 }
            return buffer.skip(Int(count))
        }
        opj_stream_set_seek_function(stream) { offset, context in
            guard let buffer = OpenJPEGInputBuffer.from(context), offset >= 0, offset <= buffer.bytes.count else {
                return 0
            }
            buffer.position = Int(offset)
            return 1
        }
        return stream
    }

    private static func from(_ context: UnsafeMutableRawPointer?) -> OpenJPEGInputBuffer? {
        guard let context else { return nil }
        return Unmanaged<OpenJPEGInputBuffer>.fromOpaque(context).takeUnretainedValue()
    }

    private func read(into target: UnsafeMutableRawBufferPointer) -> Int {
        let available = bytes.count - position
        // OpenJPEG expects (OPJ_SIZE_T)-1 at the end of the data.
        guard available > 0 else { return OpenJPEGStreamResult.failed }
        let count = min(available, target.count)
        bytes.withUnsafeBytes { source in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<(position + count)]))
        }
        position += count
        return count
    }

    private func skip(_ count: Int) -> Int64 {
        let end = min(max(position + count, 0), bytes.count)
        let skipped = end - position
        position = end
        return Int64(skipped)
    }
}

/// `opj_codec_t *` and `opj_stream_t *` as Swift imports them (both are `void **`).
typealias OpenJPEGCodecHandle = UnsafeMutablePointer<opj_codec_t?>
typealias OpenJPEGStreamHandle = UnsafeMutablePointer<opj_stream_t?>

enum OpenJPEGStreamResult {
    /// `(OPJ_SIZE_T)-1`, OpenJPEG's "error or end of stream" for read and write functions.
    static let failed = -1
}
