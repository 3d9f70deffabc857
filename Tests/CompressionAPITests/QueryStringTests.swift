import Testing

@testable import CompressionAPI

@Suite struct QueryStringTests {
    @Test func decodesPlusAndPercentAndKeepsOrder() throws {
        let pairs = try QueryString.parse("a=1+2&b=%2Fx%20y&c=&a=3")
        #expect(pairs.map(\.name) == ["a", "b", "c", "a"])
        #expect(pairs.map(\.value) == ["1 2", "/x y", "", "3"])
    }

    @Test func badPercentEncodingNamesTheParameter() {
        #expect(throws: APIError.invalidRequest("cannot be percent-decoded", field: "s3Uri")) {
            try QueryString.parse("s3Uri=%zz")
        }
    }

    @Test func filenamesAreSanitised() {
        #expect(APIService.sanitizedFilename("study 1\";rm.zip") == "study_1__rm.zip")
        #expect(APIService.sanitizedFilename("..") == "download.zip")
        #expect(APIService.sanitizedFilename("ÄÖ.zip") == "__.zip")
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEqual("secret", "secret"))
        #expect(!constantTimeEqual("secre", "secret"))
        #expect(!constantTimeEqual("secreT", "secret"))
        #expect(!constantTimeEqual("", "secret"))
    }
}
