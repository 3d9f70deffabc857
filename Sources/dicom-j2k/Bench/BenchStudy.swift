import CompressionJob
import Foundation
import JPEG2000
import Logging
import Transcoder

/// The study under test, held in memory: each file's bytes and what the transcoder would encode.
struct BenchStudy: @unchecked Sendable {
    // @unchecked: the frames are ArraySlices of `bytes`, immutable after loading.
    struct File {
        var key: String
        var bytes: [UInt8]
        var encoderInputs:
            (frames: [ArraySlice<UInt8>], layout: JPEG2000SampleLayout, options: JPEG2000EncodingOptions)?
    }

    var folder: URL
    var files: [File]

    var imageCount: Int { files.reduce(0) { $0 + ($1.encoderInputs == nil ? 0 : 1) } }
    var totalBytes: Int { files.reduce(0) { $0 + $1.bytes.count } }

    /// Reads every file under `folder` and finds its frames with the job's own transcoder settings.
    static func load(folder: URL, mode: TranscoderOptions.Mode, logger: Logger) async throws -> BenchStudy {
        let source = LocalFolderSource(root: folder)
        let transcoder = Transcoder(options: TranscoderOptions(mode: mode), logger: logger)
        var files: [File] = []
        for object in try await source.list() {
            let bytes = try await source.read(object)
            let inputs = try? transcoder.encoderInputs(bytes)
            files.append(File(key: object.key, bytes: bytes, encoderInputs: inputs ?? nil))
        }
        return BenchStudy(folder: folder, files: files)
    }
}
