/// A value representation (PS3.5 §6.2): how a value is encoded.
public enum VR: String, Sendable, CaseIterable, CustomStringConvertible {
    case AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV
    case TM, UC, UI, UL, UN, UR, US, UT, UV

    /// The VR named by two ASCII bytes of an explicit VR header, if it is a known one.
    init?(_ first: UInt8, _ second: UInt8) {
        guard (0x41...0x5A).contains(first), (0x41...0x5A).contains(second) else { return nil }
        self.init(rawValue: String(decoding: [first, second], as: UTF8.self))
    }

    /// The two ASCII bytes written in an explicit VR header.
    var bytes: (UInt8, UInt8) {
        let utf8 = Array(rawValue.utf8)
        return (utf8[0], utf8[1])
    }

    /// Explicit VR headers of these VRs have two reserved bytes and a 32-bit length (PS3.5 §7.1.2);
    /// all others have a 16-bit length.
    public var hasLongLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .UC, .UN, .UR, .UT, .SV, .UV: true
        default: false
        }
    }

    /// Character-string VRs (padded with a space, or NUL for UI).
    public var isString: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: true
        default: false
        }
    }

    /// Text VRs that hold one value in which a backslash is an ordinary character.
    public var isSingleValuedText: Bool { self == .LT || self == .ST || self == .UT || self == .UR }

    /// The byte that pads an odd-length value to even length: NUL for UI, space for the other
    /// strings, NUL for binary values (PS3.5 §6.2).
    public var paddingByte: UInt8 { isString && self != .UI ? 0x20 : 0x00 }

    /// The size of one binary number (2 for US/SS/OW, 4 for UL/SL/FL/OF/OL, 8 for FD/SV/UV/OD/OV), which
    /// is also the unit swapped when converting from big endian. AT is two 16-bit numbers. 1 otherwise.
    public var wordSize: Int {
        switch self {
        case .US, .SS, .OW, .AT: 2
        case .UL, .SL, .FL, .OF, .OL: 4
        case .FD, .SV, .UV, .OD, .OV: 8
        default: 1
        }
    }

    /// A value length must be a multiple of this (4 for AT); 1 means any length.
    var lengthMultiple: Int { self == .AT ? 4 : wordSize }

    public var description: String { rawValue }
}
