extension DataSet {
    /// This data set as the writer would write it and the reader read it back: what the writer
    /// changes on purpose applied (group lengths and, at the top level, group 0002 dropped; odd
    /// values and fragments padded to even length; values too long for a 16-bit length as UN).
    ///
    /// The round-trip invariant of the tests and the fuzzer: for any data set we read,
    /// `read(write(d)).dataSet == d.writerNormalized()` (compare both sides normalized when the
    /// read-back carries offsets).
    package func writerNormalized(topLevel: Bool = true) -> DataSet {
        var result = DataSet()
        for var element in self where !element.tag.isGroupLength && !(topLevel && element.tag.group == 0x0002) {
            switch element.value {
            case .bytes(let bytes):
                if bytes.count % 2 == 1 { element.value = .bytes(bytes + [element.vr.paddingByte]) }
                if !element.vr.hasLongLength && bytes.count + bytes.count % 2 > 0xFFFF { element.vr = .UN }
            case .sequence(let items):
                element.value = .sequence(items.map { $0.writerNormalized(topLevel: false) })
            case .encapsulated(var pixels):
                pixels.fragments = pixels.fragments.map { $0.count % 2 == 1 ? $0 + [0] : $0 }
                element.value = .encapsulated(pixels)
            }
            result.insert(element)
        }
        return result
    }
}
