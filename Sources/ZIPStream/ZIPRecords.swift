import CZlib

// The byte layouts of PKWARE's APPNOTE.TXT (6.3.x): local file header (4.3.7), data descriptor
// (4.3.9), central directory header (4.3.12), ZIP64 end of central directory record and locator
// (4.3.14, 4.3.15), end of central directory record (4.3.16), ZIP64 extra field (4.5.3).

enum ZIPConstants {
    static let localFileHeaderSignature: UInt32 = 0x0403_4B50
    static let dataDescriptorSignature: UInt32 = 0x0807_4B50
    static let centralDirectorySignature: UInt32 = 0x0201_4B50
    static let zip64EndOfCentralDirectorySignature: UInt32 = 0x0606_4B50
    static let zip64EndOfCentralDirectoryLocatorSignature: UInt32 = 0x0706_4B50
    static let endOfCentralDirectorySignature: UInt32 = 0x0605_4B50
    static let zip64ExtraFieldTag: UInt16 = 0x0001

    /// "Made by" Unix (3) with spec version 4.5, so external attributes carry Unix permissions.
    static let versionMadeBy: UInt16 = 3 << 8 | 45
    /// 2.0 (stored entries, data descriptors), 4.5 (ZIP64).
    static let versionNeededDefault: UInt16 = 20
    static let versionNeededZIP64: UInt16 = 45
    /// Bit 3: sizes and CRC follow the data in a data descriptor. Bit 11: the name is UTF-8.
    static let flagDataDescriptor: UInt16 = 1 << 3
    static let flagUTF8: UInt16 = 1 << 11
    /// A regular file, rw-r--r--, in the high 16 bits.
    static let externalAttributes: UInt32 = 0o100644 << 16

    /// The 32-bit and 16-bit "see the ZIP64 record" markers.
    static let max32: UInt64 = 0xFFFF_FFFF
    static let max16: Int = 0xFFFF
}

/// Little-endian record building.
struct ZIPRecordBuilder {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func append(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func append(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func append(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func append(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// `value` if it fits below the 32-bit marker, else the marker itself.
    static func field32(_ value: UInt64, inZIP64: Bool) -> UInt32 {
        inZIP64 || value >= ZIPConstants.max32 ? UInt32(ZIPConstants.max32) : UInt32(value)
    }
}

/// A running CRC-32 (zlib's).
struct ZIPCRC32 {
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            guard var base = buffer.baseAddress else { return }
            var remaining = buffer.count
            var crc = uLong(value)
            // zlib's length parameter is 32-bit; feed large buffers in slices.
            while remaining > 0 {
                let chunk = min(remaining, 1 << 30)
                crc = crc32(crc, base, uInt(chunk))
                base += chunk
                remaining -= chunk
            }
            value = UInt32(truncatingIfNeeded: crc)
        }
    }
}
