/// DICOM unique identifiers (PS3.5 §9).
public enum UID {
    /// A new UID under the 2.25 root: the decimal value of a random (version 4) UUID, as
    /// PS3.5 §B.2 describes. At most 44 characters.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// ``generate()`` with a given source of randomness (for reproducible tests).
    public static func generate(using generator: inout some RandomNumberGenerator) -> String {
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        // RFC 9562 version 4, variant 10xx.
        high = (high & ~0xF000) | 0x4000
        low = (low & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
        return "2.25." + decimal(high: high, low: low)
    }

    /// Whether `uid` is well formed: 1…64 characters, dot-separated numeric components without
    /// leading zeros.
    public static func isValid(_ uid: String) -> Bool {
        let utf8 = Array(uid.utf8)
        guard !utf8.isEmpty, utf8.count <= 64 else { return false }
        for component in utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !component.isEmpty, component.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
            if component.count > 1 && component.first == UInt8(ascii: "0") { return false }
        }
        return true
    }

    /// The 128-bit number high·2⁶⁴ + low in decimal.
    static func decimal(high: UInt64, low: UInt64) -> String {
        // Four 32-bit limbs, most significant first; divide by 10 repeatedly.
        var limbs: [UInt64] = [high >> 32, high & 0xFFFF_FFFF, low >> 32, low & 0xFFFF_FFFF]
        var digits: [UInt8] = []
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for index in limbs.indices {
                let current = remainder << 32 | limbs[index]
                limbs[index] = current / 10
                remainder = current % 10
            }
            digits.append(UInt8(remainder) + UInt8(ascii: "0"))
        }
        return digits.isEmpty ? "0" : String(decoding: digits.reversed(), as: UTF8.self)
    }
}
