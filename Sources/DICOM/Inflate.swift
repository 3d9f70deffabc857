import CZlib

/// Inflates the data set of a Deflated Explicit VR Little Endian file (PS3.5 §A.5): a raw deflate
/// stream (RFC 1951, no zlib header). Some writers emit a zlib header anyway, so that is tried when
/// the raw stream does not inflate. Bytes after the end of the stream are ignored.
///
/// Inflating runs twice: once into a scratch buffer only to count the bytes (stopping as soon as
/// the limit is passed), then into an array of exactly that size. A deflate bomb therefore costs
/// CPU time up to the limit but no memory, and a real data set is never held twice while an
/// array grows.
enum Inflate {
    static func inflate(
        _ input: ArraySlice<UInt8>,
        limit: Int,
        offset: Int,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws(DICOMError) -> [UInt8] {
        let rawSize = measure(input, windowBits: -15, limit: limit, isCancelled: isCancelled)
        switch rawSize {
        case .success(let size):
            return try output(input, windowBits: -15, size: size, offset: offset, limit: limit)
        case .failure(let failure):
            let hasZlibHeader =
                input.count >= 2 && input.first.map { $0 & 0x0F == 8 } == true
                && (UInt16(input[input.startIndex]) << 8 | UInt16(input[input.startIndex + 1])) % 31 == 0
            if case .dataError = failure, hasZlibHeader,
                case .success(let size) = measure(input, windowBits: 15, limit: limit, isCancelled: isCancelled)
            {
                return try output(input, windowBits: 15, size: size, offset: offset, limit: limit)
            }
            throw failure.error(offset: offset, limit: limit)
        }
    }

    private enum Failure: Error {
        case dataError(String)
        case truncated
        case tooLarge
        case cancelled
        case zlib(Int32)

        func error(offset: Int, limit: Int) -> DICOMError {
            switch self {
            case .dataError(let message):
                DICOMError(.deflateFailed, "deflate stream is invalid: \(message)", offset: offset)
            case .truncated: DICOMError(.truncated, "deflate stream ends before its last block", offset: offset)
            case .tooLarge:
                DICOMError(.inflatedSizeLimitExceeded, "data set inflates to more than \(limit) bytes", offset: offset)
            case .cancelled: DICOMError(.cancelled, "inflating was cancelled", offset: offset)
            case .zlib(let code): DICOMError(.deflateFailed, "zlib error \(code)", offset: offset)
            }
        }
    }

    /// The inflated size, without keeping the output.
    private static func measure(
        _ input: ArraySlice<UInt8>,
        windowBits: Int32,
        limit: Int,
        isCancelled: (@Sendable () -> Bool)?
    ) -> Result<Int, Failure> {
        let chunkSize = 256 * 1024
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        var total = 0
        var chunks = 0
        return run(input, windowBits: windowBits) { stream in
            chunks += 1
            // Every 16 MiB of output: a bomb of zeros inflates at GB/s, so this is often enough.
            if chunks % 64 == 0, let isCancelled, isCancelled() { return .failure(.cancelled) }
            stream.next_out = chunk
            stream.avail_out = UInt32(chunkSize)
            return .success(())
        } produced: { count in
            total += count
            return total <= limit
        }.map { total }
    }

    /// Inflates into an array of exactly `size` bytes (the measured size).
    private static func output(
        _ input: ArraySlice<UInt8>,
        windowBits: Int32,
        size: Int,
        offset: Int,
        limit: Int
    ) throws(DICOMError) -> [UInt8] {
        guard size > 0 else { return [] }
        var failure: Failure?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            guard let base = buffer.baseAddress else { return }
            let result = run(input, windowBits: windowBits) { stream in
                // The next window of the array (zlib counts in 32 bits); none left means the
                // stream produced more than it did when measured.
                guard stream.avail_out == 0 else { return .success(()) }
                guard count < size else { return .failure(.tooLarge) }
                stream.next_out = base + count
                stream.avail_out = UInt32(clamping: size - count)
                return .success(())
            } produced: { produced in
                count += produced
                return count <= size
            }
            if case .failure(let error) = result { failure = error }
        }
        if let failure { throw failure.error(offset: offset, limit: limit) }
        guard bytes.count == size else { throw Failure.zlib(Z_DATA_ERROR).error(offset: offset, limit: limit) }
        return bytes
    }

    /// Runs one inflate over `input`; `prepare` sets the output window before each call (or
    /// fails), `produced` gets the bytes each call wrote and returns `false` to stop (too large).
    private static func run(
        _ input: ArraySlice<UInt8>,
        windowBits: Int32,
        prepare: (inout z_stream) -> Result<Void, Failure>,
        produced: (Int) -> Bool
    ) -> Result<Void, Failure> {
        guard input.count <= Int(UInt32.max) else { return .failure(.tooLarge) }
        var stream = z_stream()
        guard CZlib_inflateInit2(&stream, windowBits) == Z_OK else { return .failure(.zlib(Z_MEM_ERROR)) }
        defer { inflateEnd(&stream) }

        return input.withUnsafeBufferPointer { source -> Result<Void, Failure> in
            // zlib never writes through next_in; the mutable pointer is only its C signature.
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                if case .failure(let failure) = prepare(&stream) { return .failure(failure) }
                let before = Int(stream.avail_out)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                guard produced(before - Int(stream.avail_out)) else { return .failure(.tooLarge) }
                switch status {
                case Z_STREAM_END:
                    return .success(())
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress was possible: with input left that is a zlib fault (or, when
                    // writing, a full output window), without it the stream stopped before its
                    // final block.
                    return .failure(stream.avail_in == 0 ? .truncated : .zlib(status))
                case Z_DATA_ERROR:
                    let message = stream.msg.map { String(cString: $0) } ?? "data error"
                    return .failure(.dataError(message))
                default:
                    return .failure(.zlib(status))
                }
            }
        }
    }
}
