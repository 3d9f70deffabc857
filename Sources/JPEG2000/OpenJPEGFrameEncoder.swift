import COpenJPEG
import Logging

/// One OpenJPEG encode of one frame: image, codec and stream are created, used and destroyed inside
/// ``encode(_:layout:settings:logger:)``, so concurrent calls share nothing.
enum OpenJPEGFrameEncoder {
    struct Settings {
        /// OpenJPEG's `tcp_rates[0]` for the single layer (a ratio against `prec`), or `nil` for
        /// lossless (reversible 5/3, every coding pass kept).
        var openJPEGRate: Double?
        var colorTransform: Bool
        var threads: Int
        /// Code-block bypass (lazy coding).
        var bypass = false
    }

    /// Encodes `frame` (exactly `layout.frameByteCount` bytes) to a raw J2K codestream.
    static func encode(
        _ frame: UnsafeRawBufferPointer,
        layout: JPEG2000SampleLayout,
        settings: Settings,
        logger: Logger
    ) throws -> [UInt8] {
        let image = try makeImage(frame, layout: layout)
        defer { opj_image_destroy(image) }

        var parameters = opj_cparameters_t()
        opj_set_default_encoder_parameters(&parameters)
        parameters.numresolution = Int32(layout.resolutionLevels)
        parameters.tcp_numlayers = 1
        parameters.cp_disto_alloc = 1
        parameters.tcp_mct = layout.samplesPerPixel == 3 && settings.colorTransform ? 1 : 0
        parameters.mode = settings.bypass ? 0x01 : 0  // cblk style: 0x01 = selective arithmetic coding bypass
        if let rate = settings.openJPEGRate {
            parameters.irreversible = 1
            parameters.tcp_rates.0 = Float(rate)
        } else {
            parameters.irreversible = 0
            parameters.tcp_rates.0 = 0  // 0 = keep every pass: lossless
        }

        guard let codec = opj_create_compress(OPJ_CODEC_J2K) else {
            throw JPEG2000Error.outOfMemory("opj_create_compress")
        }
        defer { opj_destroy_codec(codec) }
        let messages = OpenJPEGMessages(logger: logger)
        let output = OpenJPEGOutputBuffer(expectedSize: expectedOutputSize(layout, settings))
        return try withExtendedLifetime((messages, output)) {
            messages.install(on: codec)
            guard opj_setup_encoder(codec, &parameters, image) != 0 else {
                throw JPEG2000Error.encodingFailed("opj_setup_encoder (\(layout))", messages: messages.errors)
            }
            // OpenJPEG's pool with 0 threads runs every job on the calling thread; with 1 it would
            // hand them to one worker thread and wait. Setting it always also overrides the
            // OPJ_NUM_THREADS environment variable. False means no thread support: one thread anyway.
            _ = opj_codec_set_threads(codec, settings.threads > 1 ? Int32(settings.threads) : 0)
            guard let stream = output.makeStream() else {
                throw JPEG2000Error.outOfMemory("opj_stream_create")
            }
            defer { opj_stream_destroy(stream) }
            guard opj_start_compress(codec, image, stream) != 0 else {
                throw JPEG2000Error.encodingFailed("opj_start_compress (\(layout))", messages: messages.errors)
            }
            guard opj_encode(codec, stream) != 0 else {
                throw JPEG2000Error.encodingFailed("opj_encode (\(layout))", messages: messages.errors)
            }
            guard opj_end_compress(codec, stream) != 0 else {
                throw JPEG2000Error.encodingFailed("opj_end_compress (\(layout))", messages: messages.errors)
            }
            return output.bytes
        }
    }

    /// An OpenJPEG image holding the frame's true sample values. OpenJPEG transforms a single tile
    /// in place, so every encode needs a freshly filled image.
    private static func makeImage(
        _ frame: UnsafeRawBufferPointer,
        layout: JPEG2000SampleLayout
    ) throws -> UnsafeMutablePointer<opj_image_t> {
        var component = opj_image_cmptparm_t()
        component.dx = 1
        component.dy = 1
        component.w = UInt32(layout.columns)
        component.h = UInt32(layout.rows)
        component.x0 = 0
        component.y0 = 0
        component.prec = UInt32(layout.bitsStored)
        component.sgnd = layout.isSigned ? 1 : 0
        var components = [opj_image_cmptparm_t](repeating: component, count: layout.samplesPerPixel)
        let colorSpace = layout.samplesPerPixel == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY
        let created = components.withUnsafeMutableBufferPointer { buffer in
            opj_image_create(UInt32(buffer.count), buffer.baseAddress, colorSpace)
        }
        guard let image = created else { throw JPEG2000Error.outOfMemory("opj_image_create (\(layout))") }
        image.pointee.x0 = 0
        image.pointee.y0 = 0
        image.pointee.x1 = UInt32(layout.columns)
        image.pointee.y1 = UInt32(layout.rows)
        for index in 0..<layout.samplesPerPixel {
            guard let data = image.pointee.comps[index].data else {
                opj_image_destroy(image)
                throw JPEG2000Error.outOfMemory("opj_image_create component data (\(layout))")
            }
            layout.unpack(
                component: index,
                from: frame,
                into: UnsafeMutableBufferPointer(start: data, count: layout.pixelCount)
            )
        }
        return image
    }

    private static func expectedOutputSize(_ layout: JPEG2000SampleLayout, _ settings: Settings) -> Int {
        let raw = layout.pixelCount * layout.samplesPerPixel * layout.bitsStored / 8
        // Sized from the frame itself (headers of a tiny frame take ~100 bytes): a fixed reserve
        // would let a file of a million 1-pixel frames allocate a KiB per frame.
        guard let rate = settings.openJPEGRate, rate > 1 else { return raw / 2 + 256 }
        return Int(Double(raw) / rate) + 256
    }
}
