import JPEG2000
import Logging

/// Every frame of one file encoded, and what it cost.
struct EncodedFrames {
    var codestreams: [[UInt8]]
    var lossless: Bool
    var quality: TranscodeQuality?
    var encodesPerFrame: [Int]
    var qualityTarget: QualityTargetResult?
}

extension Transcoder {
    /// Encodes the frames of `image` as the options say: lossless, at a ratio, or at a quality
    /// target (where a file with one frame that cannot reach it below the lossless size is stored
    /// lossless as a whole, since the transfer syntax is per file).
    func encodeFrames(_ image: NativeImage) throws(TranscoderError) -> EncodedFrames {
        let encoder = FrameEncoder(
            codec: options.codec,
            encoding: encodingOptions(for: image),
            hints: hints,
            logger: logger
        )
        let target: QualityTarget?
        switch options.mode {
        case .lossless, .lossy: target = nil
        case .targetPSNR(let psnr): target = .psnr(psnr)
        case .maxError(let error): target = .maxError(error)
        }
        guard let target else {
            return try encodeAtRate(image, encoder: encoder)
        }

        var results: [EncodedFrameResult] = []
        results.reserveCapacity(image.frameCount)
        for (index, frame) in image.frames.enumerated() {
            try options.checkCancellation("before frame \(index + 1) of \(image.frameCount)")
            do {
                results.append(try encoder.search(frame, layout: image.layout, target: target))
            } catch {
                throw .encodingFailed("frame \(index + 1) of \(image.frameCount), \(image.layout), \(target)", error)
            }
        }
        var encodes = results.map(\.encodes)
        let fallback = results.enumerated().first { $0.element.needsLossless != nil }
        var accumulator = QualityAccumulator(bitsStored: image.layout.bitsStored)
        var worstPSNR: Double?
        var codestreams: [[UInt8]] = []
        for (index, frame) in image.frames.enumerated() {
            var codestream = results[index].codestream
            var metrics = results[index].metrics
            if fallback != nil {
                if let lossless = results[index].losslessCodestream {
                    codestream = lossless
                } else {
                    do {
                        codestream = try encoder.encodeLossless(frame, layout: image.layout)
                    } catch {
                        throw .encodingFailed("frame \(index + 1) of \(image.frameCount), lossless", error)
                    }
                    encodes[index] += 1
                }
                metrics = nil
            }
            // Verify what is written: lossy frames were decoded by the search; lossless ones now.
            let checked: JPEG2000QualityMetrics
            if let metrics {
                checked = metrics
            } else {
                checked = try Self.verify(codestream, frame: frame, index: index, image: image, encoder: encoder)
            }
            accumulator.add(rmse: checked.rmse, maxAbsError: checked.maxAbsoluteError, sampleCount: checked.sampleCount)
            if checked.psnr.isFinite { worstPSNR = min(worstPSNR ?? checked.psnr, checked.psnr) }
            codestreams.append(codestream)
        }
        let quality = accumulator.result
        let met = results.indices.allSatisfy { index in
            fallback != nil || results[index].metrics.map(target.isMet) ?? true
        }
        let reason = fallback.map { "frame \($0.offset + 1) of \(image.frameCount): \($0.element.needsLossless ?? "")" }
        if let reason {
            logger.debug("quality target stored lossless", metadata: ["transcoder.reason": "\(reason)"])
        }
        return EncodedFrames(
            codestreams: codestreams,
            lossless: fallback != nil,
            quality: quality,
            encodesPerFrame: encodes,
            qualityTarget: QualityTargetResult(
                target: "\(target)",
                met: met,
                storedLossless: fallback != nil,
                reason: reason,
                worstFramePSNR: worstPSNR,
                worstFrameMaxError: quality.maxAbsError
            )
        )
    }

    private func encodeAtRate(_ image: NativeImage, encoder: FrameEncoder) throws(TranscoderError) -> EncodedFrames {
        var codestreams: [[UInt8]] = []
        var encodes: [Int] = []
        codestreams.reserveCapacity(image.frameCount)
        var quality = options.qualityCheck ? QualityAccumulator(bitsStored: image.layout.bitsStored) : nil
        for (index, frame) in image.frames.enumerated() {
            try options.checkCancellation("before frame \(index + 1) of \(image.frameCount)")
            let encoded: (codestream: [UInt8], encodes: Int)
            do {
                encoded = try encoder.encode(frame, layout: image.layout)
            } catch {
                throw .encodingFailed("frame \(index + 1) of \(image.frameCount), \(image.layout)", error)
            }
            if quality != nil {
                let metrics = try Self.verify(
                    encoded.codestream,
                    frame: frame,
                    index: index,
                    image: image,
                    encoder: encoder
                )
                quality?.add(
                    rmse: metrics.rmse,
                    maxAbsError: metrics.maxAbsoluteError,
                    sampleCount: metrics.sampleCount
                )
            }
            codestreams.append(encoded.codestream)
            encodes.append(encoded.encodes)
        }
        return EncodedFrames(
            codestreams: codestreams,
            lossless: options.mode == .lossless,
            quality: quality?.result,
            encodesPerFrame: encodes,
            qualityTarget: nil
        )
    }

    private static func verify(
        _ codestream: [UInt8],
        frame: ArraySlice<UInt8>,
        index: Int,
        image: NativeImage,
        encoder: FrameEncoder
    ) throws(TranscoderError) -> JPEG2000QualityMetrics {
        do {
            return try encoder.measure(codestream, frame: frame, layout: image.layout)
        } catch {
            throw .qualityCheckFailed("frame \(index + 1) of \(image.frameCount)", error)
        }
    }
}
