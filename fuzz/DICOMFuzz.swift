// libFuzzer entry point over the DICOM module, compiled together with Sources/DICOM by
// scripts/fuzz.sh (outside SwiftPM). Any crash, sanitizer report or failed invariant is a finding.

/// Inputs inflate to at most this much, so a deflate bomb is an error, not an out-of-memory.
private let fuzzOptions: DICOMReadOptions = {
    var options = DICOMReadOptions()
    options.maximumInflatedSize = 16 << 20
    return options
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func dicomFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let file = try? DICOMFile(bytes: bytes, options: fuzzOptions) else { return 0 }
    exercise(file.fileMeta)
    exercise(file.dataSet)
    _ = file.dump(maxValueCharacters: 40)

    // Invariant: whatever we read and manage to write, we read back as the same data set.
    guard let encoded = try? file.encoded() else { return 0 }
    let again: DICOMFile
    do {
        again = try DICOMFile(bytes: encoded, options: fuzzOptions)
    } catch {
        fatalError("re-reading our own output failed: \(error)")
    }
    guard again.dataSet.writerNormalized() == file.dataSet.writerNormalized() else {
        fatalError("the written data set reads back differently")
    }
    return 0
}

/// Calls every typed getter on every element, recursively.
private func exercise(_ dataSet: DataSet) {
    for element in dataSet {
        _ = element.strings
        _ = element.ints
        _ = element.doubles
        _ = element.attributeTags
        if case .sequence(let items) = element.value { items.forEach(exercise) }
        if case .encapsulated(let pixels) = element.value {
            let frames = dataSet.int(.numberOfFrames) ?? 1
            _ = try? pixels.frameFragments(
                frameCount: min(max(frames, 1), 1 << 16),
                extendedOffsets: dataSet.extendedOffsetTable?.offsets
            )
        }
    }
    _ = dataSet.pixelData
}
