/// The main-header facts of a raw J2K codestream that DICOM cares about (PS3.5 §8.2.4, §A.4.4).
struct CodestreamHeader: Equatable {
    var columns: Int
    var rows: Int
    var components: Int
    /// Ssiz of the first component: precision (bits) and sign.
    var precision: Int
    var isSigned: Bool
    /// Every component has the same precision and sign and no subsampling.
    var componentsAgree: Bool
    /// SGcod's multiple component transform byte.
    var multipleComponentTransform: Int
    /// SPcod's transformation: 0 = 9/7 irreversible, 1 = 5/3 reversible.
    var reversible: Bool
    /// SPcod's number of decomposition levels (resolutions − 1).
    var decompositionLevels: Int

    /// Parses SOC, SIZ and COD; `nil` when the bytes do not start a raw codestream that way (a JP2
    /// file, for example, starts with a signature box instead).
    init?(_ bytes: [UInt8]) {
        func u16(_ at: Int) -> Int? { at + 1 < bytes.count ? Int(bytes[at]) << 8 | Int(bytes[at + 1]) : nil }
        func u32(_ at: Int) -> Int? {
            guard let high = u16(at), let low = u16(at + 2) else { return nil }
            return high << 16 | low
        }
        guard u16(0) == 0xFF4F, u16(2) == 0xFF51, let sizLength = u16(4) else { return nil }
        let siz = 6  // after the marker and its length
        guard let xsiz = u32(siz + 2), let ysiz = u32(siz + 6), let xo = u32(siz + 10), let yo = u32(siz + 14),
            let count = u16(siz + 34), siz + 36 + 3 * count <= bytes.count
        else { return nil }
        columns = xsiz - xo
        rows = ysiz - yo
        components = count
        let first = bytes[siz + 36]
        precision = Int(first & 0x7F) + 1
        isSigned = first & 0x80 != 0
        componentsAgree = (0..<count).allSatisfy { index in
            let base = siz + 36 + 3 * index
            return bytes[base] == first && bytes[base + 1] == 1 && bytes[base + 2] == 1
        }
        // The next marker segment after SIZ; OpenJPEG writes COD right after it.
        var position = 4 + sizLength
        while let marker = u16(position), marker != 0xFF52 {
            guard let length = u16(position + 2), marker >> 8 == 0xFF, marker != 0xFF90 else { return nil }
            position += 2 + length
        }
        guard u16(position) == 0xFF52, position + 13 < bytes.count else { return nil }
        multipleComponentTransform = Int(bytes[position + 8])
        decompositionLevels = Int(bytes[position + 9])
        reversible = bytes[position + 13] == 1
    }
}
