import Foundation
import Testing

@testable import AWSSigV4

struct SigV4EncodingTests {
    @Test func encodesEverythingButUnreserved() {
        #expect(SigV4Encoding.uriEncode("A-z_0.9~") == "A-z_0.9~")
        #expect(SigV4Encoding.uriEncode("a b+c") == "a%20b%2Bc")
        #expect(SigV4Encoding.uriEncode("=&?#%") == "%3D%26%3F%23%25")
        #expect(SigV4Encoding.uriEncode("ключ") == "%D0%BA%D0%BB%D1%8E%D1%87")
        #expect(SigV4Encoding.uriEncode("a/b") == "a%2Fb")
        #expect(SigV4Encoding.uriEncode("a/b", encodeSlash: false) == "a/b")
        #expect(SigV4Encoding.uriEncode("\u{1}") == "%01")
    }

    @Test func decodesEscapesAndRejectsMalformedOnes() {
        #expect(SigV4Encoding.percentDecode("a%20b%2Bc") == "a b+c")
        #expect(SigV4Encoding.percentDecode("a+b", plusIsSpace: true) == "a b")
        #expect(SigV4Encoding.percentDecode("a+b") == "a+b")
        #expect(SigV4Encoding.percentDecode("%D0%BA") == "к")
        #expect(SigV4Encoding.percentDecode("%2") == nil)
        #expect(SigV4Encoding.percentDecode("%zz") == nil)
        #expect(SigV4Encoding.percentDecode("%FF") == nil)  // not UTF-8
    }

    @Test func canonicalQuerySortsByEncodedNameThenValue() {
        let query = SigV4Encoding.canonicalQuery([("b", "2"), ("a", "x y"), ("a", "+"), ("c", "")])
        #expect(query == "a=%2B&a=x%20y&b=2&c=")
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"),
        (1_440_938_160, "20150830T123600Z"),
        (1_456_747_199, "20160229T115959Z"),  // leap day
        (951_782_400, "20000229T000000Z"),  // leap year divisible by 400
        (4_107_542_400, "21000301T000000Z"),  // 2100 is not a leap year
        (-1, "19691231T235959Z"),
        (1_369_353_600.999, "20130524T000000Z"),  // fractions are dropped
    ])
    func timestamps(seconds: Double, expected: String) {
        let timestamp = SigV4Timestamp(Date(timeIntervalSince1970: seconds))
        #expect(timestamp.dateTime == expected)
        #expect(timestamp.date == String(expected.prefix(8)))
    }
}
