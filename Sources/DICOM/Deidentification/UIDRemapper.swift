/// Replaces UIDs consistently for one job: the same original UID always gives the same new UID, so
/// a study stays one study and references between instances still resolve after de-identification
/// (PS3.15 E.1.1, action U).
///
/// A new UID is `2.25.` + the decimal value of a 128-bit UUID (RFC 9562 version 8, "custom")
/// whose bits are the HMAC-SHA-256 of the original UID under the remapper's key. One random key
/// per job: no shared state (every thread of the job can hold a copy), no table that grows with
/// the study, and without the key the new UIDs cannot be linked back to the originals.
/// A remapper made with the same key maps the same way (so a job can be split across workers if
/// the key travels with it); a fresh ``init()`` never links to any other job.
public struct UIDRemapper: Sendable {
    private let key: [UInt8]

    /// A remapper with a fresh random 256-bit key.
    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(key: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// A remapper with a given key (for tests, or for a job split across processes). Keep it secret:
    /// whoever has it can test a guessed original UID against a new one.
    public init(key: [UInt8]) {
        self.key = key
    }

    /// The new UID for `original`; equal inputs (ignoring the padding a UI value may carry) give
    /// equal outputs. Empty values stay empty.
    public func map(_ original: String) -> String {
        let trimmed = Self.trimmed(original)
        guard !trimmed.isEmpty else { return "" }
        return uid(for: Array(trimmed.utf8))
    }

    /// A UID for an instance derived from `original` for `purpose` (for example the lossy
    /// version of an image): consistent like ``map(_:)``, and never equal to `map(original)`.
    public func derived(from original: String, purpose: String) -> String {
        // A UID never contains NUL, so "purpose NUL uid" cannot collide with a plain UID.
        uid(for: Array(purpose.utf8) + [0] + Array(Self.trimmed(original).utf8))
    }

    private func uid(for message: [UInt8]) -> String {
        let digest = SHA256.hmac(key: key, message: message)
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(digest[index])
            low = low << 8 | UInt64(digest[8 + index])
        }
        // RFC 9562 version 8 (vendor-specific), variant 10xx.
        high = (high & ~0xF000) | 0x8000
        low = (low & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
        return "2.25." + UID.decimal(high: high, low: low)
    }

    /// Without the NUL or space padding and surrounding spaces a stored UI value may have.
    static func trimmed(_ value: String) -> Substring {
        var text = Substring(value)
        while let last = text.last, last == "\0" || last == " " { text.removeLast() }
        while let first = text.first, first == " " { text.removeFirst() }
        return text
    }
}
