import Foundation
import Testing

@testable import EMF

@Suite struct EMFRecordTests {
    @Test func encodesOneLineThatCloudWatchUnderstands() throws {
        let record = EMFRecord(
            namespace: "DicomCompression",
            dimensions: [("library", "openjpeg"), ("outcome", "completed")],
            metrics: [
                .init("ProcessingTime", 12.5, .seconds),
                .init("OriginalBytes", 1_048_576, .bytes),
                .init("PSNRMin", .infinity, .none),
            ],
            properties: [("taskId", "t-1\n\"x\""), ("library", "must not override")],
            timestamp: 1_737_369_000_000
        )
        let line = record.encoded()
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let aws = try #require(object["_aws"] as? [String: Any])
        #expect((aws["Timestamp"] as? NSNumber)?.int64Value == 1_737_369_000_000)
        let directive = try #require((aws["CloudWatchMetrics"] as? [[String: Any]])?.first)
        #expect(directive["Namespace"] as? String == "DicomCompression")
        #expect(directive["Dimensions"] as? [[String]] == [["library", "outcome"]])
        let metrics = try #require(directive["Metrics"] as? [[String: String]])
        // The infinite PSNR is left out of both the directive and the values.
        #expect(
            metrics == [["Name": "ProcessingTime", "Unit": "Seconds"], ["Name": "OriginalBytes", "Unit": "Bytes"]]
        )
        #expect(object["PSNRMin"] == nil)
        #expect((object["ProcessingTime"] as? NSNumber)?.doubleValue == 12.5)
        #expect((object["OriginalBytes"] as? NSNumber)?.intValue == 1_048_576)
        #expect(object["library"] as? String == "openjpeg")
        #expect(object["outcome"] as? String == "completed")
        #expect(object["taskId"] as? String == "t-1\n\"x\"")
    }

    @Test func escapesControlCharactersAndWritesWholeNumbersPlainly() {
        #expect(EMFRecord.quote("a\u{1}b\\") == "\"a\\u0001b\\\\\"")
        #expect(EMFRecord.number(100) == "100")
        #expect(EMFRecord.number(0.25) == "0.25")
    }
}
