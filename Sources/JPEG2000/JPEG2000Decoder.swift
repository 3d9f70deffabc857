import COpenJPEG
import Logging

/// A decoded image: every component at full resolution, samples as true (signed or unsigned) values.
public struct JPEG2000DecodedImage: Sendable {
    public var rows: Int
    public var columns: Int
    /// Number of components (1 for grayscale, 3 for colour after OpenJPEG's inverse colour transform).
    public var components: Int
    /// The codestream's precision (SIZ Ssiz + 1) of the first component.
    public var precision: Int
    /// Whether the codestream declared signed samples.
    public var isSigned: Bool
    /// Samples pixel by pixel with components interleaved (`R G B R G B…`), `rows × columns × components`.
    public var samples: [Int32]

    public init(rows: Int, columns: Int, components: Int, precision: Int, isSigned: Bool, samples: [Int32]) {
        self.rows = rows
        self.columns = columns
        self.components = components
        self.precision = precision
        self.isSigned = isSigned
        self.samples = samples
    }

    /// The samples as a DICOM frame: little-endian, `bitsAllocated` (8 or 16) per sample, interleaved
    /// or planar. Values are truncated to `bitsAllocated` bits (two's complement for signed data).
    public func frameBytes(
        bitsAllocated: Int,
        planarConfiguration: JPEG2000SampleLayout.PlanarConfiguration = .interleaved
    ) -> [UInt8] {
        let bytesPerSample = bitsAllocated == 8 ? 1 : 2
        let pixels = rows * columns
        var bytes = [UInt8](repeating: 0, count: samples.count * bytesPerSample)
        for index in samples.indices {
            let pixel = index / components
            let component = index % components
            let slot = planarConfiguration == .planar ? component * pixels + pixel : index
            let value = UInt32(bitPattern: samples[index])
            bytes[slot * bytesPerSample] = UInt8(truncatingIfNeeded: value)
            if bytesPerSample == 2 { bytes[slot * 2 + 1] = UInt8(truncatingIfNeeded: value >> 8) }
        }
        return bytes
    }
}

/// Decodes raw J2K codestreams with OpenJPEG, for the quality check. Safe to call concurrently.
public enum JPEG2000Decoder {
    /// The default ceiling on `rows × columns × components` a codestream may declare (2^28).
    public static let defaultMaximumSampleCount = 1 << 28

    /// Decodes a raw J2K codestream (not JP2).
    ///
    /// - Parameters:
    ///   - codestream: the codestream bytes.
    ///   - maximumSampleCount: codestreams declaring more samples are refused before any allocation.
    ///   - logger: receives OpenJPEG's info (trace) and warning (info) messages.
    /// - Throws: ``JPEG2000Error/decodingFailed`` with OpenJPEG's messages,
    ///   ``JPEG2000Error/imageTooLarge``, or ``JPEG2000Error/unsupportedCodestream`` for components of
    ///   different size or precision above 31 bits.
    public static func decode(
        _ codestream: [UInt8],
        maximumSampleCount: Int = defaultMaximumSampleCount,
        logger: Logger
    ) throws -> JPEG2000DecodedImage {
        guard let codec = opj_create_decompress(OPJ_CODEC_J2K) else {
            throw JPEG2000Error.outOfMemory("opj_create_decompress")
        }
        defer { opj_destroy_codec(codec) }
        let messages = OpenJPEGMessages(logger: logger)
        let input = OpenJPEGInputBuffer(codestream)
        return try withExtendedLifetime((messages, input)) {
            messages.install(on: codec)
            var parameters = opj_dparameters_t()
            opj_set_default_decoder_parameters(&parameters)
            guard opj_setup_decoder(codec, &parameters) != 0 else {
                throw JPEG2000Error.decodingFailed("opj_setup_decoder", messages: messages.errors)
            }
            _ = opj_codec_set_threads(codec, 0)  // decode on the calling thread
            guard let stream = input.makeStream() else { throw JPEG2000Error.outOfMemory("opj_stream_create") }
            defer { opj_stream_destroy(stream) }

            var header: UnsafeMutablePointer<opj_image_t>?
            let headerRead = opj_read_header(stream, codec, &header)
            defer { if let header { opj_image_destroy(header) } }
            guard headerRead != 0, let image = header else {
                throw JPEG2000Error.decodingFailed("opj_read_header", messages: messages.errors)
            }
            let width = Int(image.pointee.x1) - Int(image.pointee.x0)
            let height = Int(image.pointee.y1) - Int(image.pointee.y0)
            let components = Int(image.pointee.numcomps)
            guard width > 0, height > 0, components > 0 else {
                throw JPEG2000Error.unsupportedCodestream("empty image \(width)x\(height)x\(components)")
            }
            let (sampleCount, overflow) = width.multipliedReportingOverflow(by: height * components)
            guard !overflow, sampleCount <= maximumSampleCount else {
                throw JPEG2000Error.imageTooLarge(
                    "\(width)x\(height)x\(components) exceeds \(maximumSampleCount) samples"
                )
            }

            guard opj_decode(codec, stream, image) != 0 else {
                throw JPEG2000Error.decodingFailed("opj_decode", messages: messages.errors)
            }
            guard opj_end_decompress(codec, stream) != 0 else {
                throw JPEG2000Error.decodingFailed("opj_end_decompress", messages: messages.errors)
            }
            return try collect(image, width: width, height: height, components: components)
        }
    }

    private static func collect(
        _ image: UnsafeMutablePointer<opj_image_t>,
        width: Int,
        height: Int,
        components: Int
    ) throws -> JPEG2000DecodedImage {
        let pixels = width * height
        var samples = [Int32](repeating: 0, count: pixels * components)
        let first = image.pointee.comps[0]
        for index in 0..<components {
            let component = image.pointee.comps[index]
            guard Int(component.w) == width, Int(component.h) == height, component.dx == 1, component.dy == 1 else {
                throw JPEG2000Error.unsupportedCodestream(
                    "component \(index) is \(component.w)x\(component.h) (subsampled \(component.dx)x\(component.dy)) "
                        + "in a \(width)x\(height) image"
                )
            }
            guard component.prec == first.prec, component.sgnd == first.sgnd, (1...31).contains(component.prec) else {
                throw JPEG2000Error.unsupportedCodestream(
                    "component \(index) has precision \(component.prec) signed \(component.sgnd)"
                )
            }
            guard let data = component.data else {
                throw JPEG2000Error.decodingFailed("component \(index) has no data", messages: [])
            }
            for pixel in 0..<pixels {
                samples[pixel * components + index] = data[pixel]
            }
        }
        return JPEG2000DecodedImage(
            rows: height,
            columns: width,
            components: components,
            precision: Int(first.prec),
            isSigned: first.sgnd != 0,
            samples: samples
        )
    }
}

/// Facts about the linked OpenJPEG library.
public enum JPEG2000Library {
    /// OpenJPEG's version string, e.g. `2.5.0` (for the result JSON's `worker.openjpegVersion`).
    public static var openJPEGVersion: String { String(cString: opj_version()) }
}
