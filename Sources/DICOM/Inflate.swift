import CZlib

/// Inflates the data set of a Deflated Explicit VR Little Endian file (PS3.5 §A.5): a raw deflate
/// stream (RFC 1951, no zlib header). Some writers emit a zlib header anyway, so that is tried when
/// the raw stream does not inflate. Bytes after the end of the stream are ignored.
enum Inflate {
    static func inflate(_ input: ArraySlice<UInt8>, limit: Int, offset: Int) throws(DICOMError) -> [UInt8] {
        switch run(input, windowBits: -15, limit: limit) {
        case .success(let output):
            return output
        case .failure(let failure):
            let hasZlibHeader =
                input.count >= 2 && input.first.map { $0 & 0x0F == 8 } == true
                && (UInt16(input[input.startIndex]) << 8 | UInt16(input[input.startIndex + 1])) % 31 == 0
            if case .dataError = failure, hasZlibHeader,
                case .success(let output) = run(input, windowBits: 15, limit: limit)
            {
                return output
            }
            throw failure.error(offset: offset, limit: limit)
        }
    }

    private enum Failure: Error {
        case dataError(String)
        case truncated
        case tooLarge
        case zlib(Int32)

        func error(offset: Int, limit: Int) -> DICOMError {
            switch self {
            case .dataError(let message):
                DICOMError(.deflateFailed, "deflate stream is invalid: \(message)", offset: offset)
            case .truncated: DICOMError(.truncated, "deflate stream ends before its last block", offset: offset)
            case .tooLarge:
                DICOMError(.inflatedSizeLimitExceeded, "data set inflates to more than \(limit) bytes", offset: offset)
            case .zlib(let code): DICOMError(.deflateFailed, "zlib error \(code)", offset: offset)
            }
        }
    }

    private static func run(_ input: ArraySlice<UInt8>, windowBits: Int32, limit: Int) -> Result<[UInt8], Failure> {
        guard input.count <= Int(UInt32.max) else { return .failure(.tooLarge) }
        var stream = z_stream()
        guard CZlib_inflateInit2(&stream, windowBits) == Z_OK else { return .failure(.zlib(Z_MEM_ERROR)) }
        defer { inflateEnd(&stream) }

        let chunkSize = 256 * 1024
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        var output: [UInt8] = []
        output.reserveCapacity(min(input.count * 4, limit, 64 << 20))

        return input.withUnsafeBufferPointer { source -> Result<[UInt8], Failure> in
            // zlib never writes through next_in; the mutable pointer is only its C signature.
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                stream.next_out = chunk
                stream.avail_out = UInt32(chunkSize)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                let produced = chunkSize - Int(stream.avail_out)
                guard output.count + produced <= limit else { return .failure(.tooLarge) }
                output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: produced))
                switch status {
                case Z_STREAM_END:
                    return .success(output)
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress was possible: with input left that is a zlib fault, without it
                    // the stream stopped before its final block.
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
