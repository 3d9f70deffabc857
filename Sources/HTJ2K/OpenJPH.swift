import CHTJ2K
import JPEG2000
import Logging

/// Calls into the C shim around OpenJPH: one codestream per call, nothing shared, so concurrent
/// calls are safe. OpenJPH's messages come back as text and go to the logger here: info at trace,
/// warnings at info (as OpenJPEG's do), errors into the thrown ``JPEG2000Error``.
enum OpenJPH {
    /// OpenJPH's version, e.g. `0.9.0`.
    static var version: String { String(cString: chtj2k_version()) }

    /// Encodes planes of true sample values (component after component, `rows × columns` each).
    /// `quantizationStep` `nil` means reversible (lossless).
    static func encode(
        planes: [Int32],
        layout: JPEG2000SampleLayout,
        quantizationStep: Double?,
        colorTransform: Bool,
        logger: Logger
    ) throws -> [UInt8] {
        var parameters = chtj2k_encode_params(
            width: UInt32(layout.columns),
            height: UInt32(layout.rows),
            components: UInt32(layout.samplesPerPixel),
            bit_depth: UInt32(layout.bitsStored),
            is_signed: layout.isSigned ? 1 : 0,
            reversible: quantizationStep == nil ? 1 : 0,
            qstep: Float(quantizationStep ?? 0),
            color_transform: colorTransform && layout.samplesPerPixel == 3 ? 1 : 0,
            // Five decompositions as measured best (4 and 3 are clearly worse); fewer for small images.
            decompositions: UInt32(min(5, layout.resolutionLevels - 1))
        )
        var output = chtj2k_buffer(data: nil, size: 0)
        var text = [CChar](repeating: 0, count: messageCapacity)
        let status = planes.withUnsafeBufferPointer { samples in
            chtj2k_encode(&parameters, samples.baseAddress, &output, &text, text.count)
        }
        defer { chtj2k_free(&output) }
        let errors = route(text, logger: logger)
        switch status {
        case CHTJ2K_OK:
            guard let data = output.data else {
                throw JPEG2000Error.encodingFailed("OpenJPH returned no data", messages: errors)
            }
            return Array(UnsafeBufferPointer(start: data, count: output.size))
        case CHTJ2K_INVALID_ARGUMENT:
            throw JPEG2000Error.invalidOptions("OpenJPH parameters for \(layout): \(errors.joined(separator: "; "))")
        case CHTJ2K_SAMPLE_OUT_OF_RANGE:
            throw JPEG2000Error.invalidLayout("a sample lies outside Bits Stored \(layout.bitsStored) (\(layout))")
        case CHTJ2K_OUT_OF_MEMORY:
            throw JPEG2000Error.outOfMemory("OpenJPH encoding \(layout)")
        default:
            throw JPEG2000Error.encodingFailed("OpenJPH encoding \(layout)", messages: errors)
        }
    }

    /// Decodes a codestream; samples come back clamped to the SIZ range.
    static func decode(_ codestream: [UInt8], maximumSampleCount: Int, logger: Logger) throws -> JPEG2000DecodedImage {
        var image = chtj2k_image()
        var text = [CChar](repeating: 0, count: messageCapacity)
        let status = codestream.withUnsafeBufferPointer { bytes in
            chtj2k_decode(bytes.baseAddress, bytes.count, max(0, maximumSampleCount), &image, &text, text.count)
        }
        defer { chtj2k_free_samples(&image) }
        let errors = route(text, logger: logger)
        switch status {
        case CHTJ2K_OK:
            guard let samples = image.samples else {
                throw JPEG2000Error.decodingFailed("OpenJPH returned no samples", messages: errors)
            }
            let count = Int(image.width) * Int(image.height) * Int(image.components)
            return JPEG2000DecodedImage(
                rows: Int(image.height),
                columns: Int(image.width),
                components: Int(image.components),
                precision: Int(image.bit_depth),
                isSigned: image.is_signed != 0,
                samples: Array(UnsafeBufferPointer(start: samples, count: count))
            )
        case CHTJ2K_UNSUPPORTED:
            if errors.contains(where: { $0.contains("sample limit") }) {
                throw JPEG2000Error.imageTooLarge("the codestream exceeds \(maximumSampleCount) samples or 30 bits")
            }
            throw JPEG2000Error.unsupportedCodestream(errors.joined(separator: "; "))
        case CHTJ2K_OUT_OF_MEMORY:
            throw JPEG2000Error.outOfMemory("OpenJPH decoding")
        default:
            throw JPEG2000Error.decodingFailed("OpenJPH decoding", messages: errors)
        }
    }

    private static let messageCapacity = 4096

    /// Logs OpenJPH's info and warning lines and returns the rest (its errors and the shim's own
    /// reason). The messages describe the codestream, never patient data.
    private static func route(_ text: [CChar], logger: Logger) -> [String] {
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var errors: [String] = []
        for line in message.split(separator: "\n") where !line.isEmpty {
            if line.hasPrefix("ojph info") {
                logger.trace("openjph info", metadata: ["openjph.message": "\(line)"])
            } else if line.hasPrefix("ojph warning") {
                logger.info("openjph warning", metadata: ["openjph.message": "\(line)"])
            } else if line != "ojph error" {  // the bare text of the exception it throws
                errors.append(String(line))
            }
        }
        return errors
    }
}
