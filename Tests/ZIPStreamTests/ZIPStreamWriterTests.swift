import Foundation
import TestSupport
import Testing
import ZIPStream

private let january20 = ZIPTimestamp(secondsSince1970: 1_737_369_000)  // 2025-01-20 10:30:00 UTC

@Suite struct ZIPStreamWriterTests {
    /// Entries written whole and in pieces, empty ones, non-ASCII names: Python's zipfile and
    /// `unzip -t` must read back exactly what was written.
    @Test(.needs(.python, .unzip), arguments: [false, true])
    func archivesReadBackByteExact(forceZIP64: Bool) async throws {
        try await withTemporaryDirectory { folder in
            let url = folder.appendingPathComponent("archive.zip")
            let writer = ZIPStreamWriter(sink: ZIPMemorySink(), options: .init(forceZIP64: forceZIP64))
            var expected: [ExpectedEntry] = []
            for index in 0..<6 {
                let content = entryContent(index, length: index * 997)
                let name = "series-1/IM\(index).dcm"
                try await writer.addEntry(named: name, data: content, modified: january20)
                expected.append(ExpectedEntry(name: name, content: content))
            }
            // Streamed entries, with and without a size hint, in uneven chunks.
            for (index, hint) in [(10, nil), (11, UInt64(5000)), (12, UInt64(0))] as [(Int, UInt64?)] {
                let content = entryContent(index, length: hint.map { Int($0) } ?? 70_001)
                let name = "streamed/Ü-\(index) ✓.bin"
                try await writer.beginEntry(named: name, modified: january20, expectedSize: hint)
                var offset = 0
                var chunk = 1
                while offset < content.count {
                    let end = min(content.count, offset + chunk)
                    try await writer.writeEntryData(Array(content[offset..<end]))
                    offset = end
                    chunk = chunk * 3 + 1
                }
                try await writer.endEntry()
                expected.append(ExpectedEntry(name: name, content: content))
            }
            let summary = try await writer.finish()
            #expect(summary.entryCount == expected.count)
            #expect(summary.usesZIP64 == forceZIP64)
            #expect(summary.byteCount == UInt64(writer.sink.bytes.count))
            try Data(writer.sink.bytes).write(to: url)

            do {

                let result = try checkWithPythonZipfile(url, expected: expected)
                #expect(result.mismatches == [])
                #expect(result.entries == expected.count)
                #expect(result.zip64_end_records == forceZIP64)
                // Forced: every entry has a ZIP64 extra; otherwise only the streamed one without a hint.
                #expect(result.zip64_extra_entries == (forceZIP64 ? expected.count : 1))
                #expect(Set(result.flags) == [0x800, 0x808])  // UTF-8, plus data descriptor when streamed
                #expect(result.first_date_time == [2025, 1, 20, 10, 30, 0])
            }
            do {
                let unzip = try testWithUnzip(url)
                #expect(unzip.status == 0, "\(unzip.stdout) \(unzip.stderr)")
            }
        }
    }

    /// More than 65,535 entries need the ZIP64 end records (the 16-bit count field overflows).
    @Test(.needs(.python, .unzip)) func moreThan65535EntriesUseZIP64EndRecords() async throws {
        try await withTemporaryDirectory { folder in
            let url = folder.appendingPathComponent("many.zip")
            let sink = try FileSink(url)
            let writer = ZIPStreamWriter(sink: sink)
            var expected: [ExpectedEntry] = []
            let count = 65_540
            expected.reserveCapacity(count)
            for index in 0..<count {
                let content = entryContent(index, length: index % 5)
                let name = "f/\(index).dcm"
                if index % 1000 == 0 {
                    try await writer.beginEntry(named: name, modified: january20, expectedSize: UInt64(content.count))
                    try await writer.writeEntryData(content)
                    try await writer.endEntry()
                } else {
                    try await writer.addEntry(named: name, data: content, modified: january20)
                }
                expected.append(ExpectedEntry(name: name, content: content))
            }
            let summary = try await writer.finish()
            try sink.close()
            #expect(summary.usesZIP64)
            #expect(summary.entryCount == count)
            do {
                let result = try checkWithPythonZipfile(url, expected: expected)
                #expect(result.mismatches == [])
                #expect(result.entries == count)
                #expect(result.zip64_end_records)
                #expect(result.zip64_extra_entries == 0)
            }
            do {
                let unzip = try testWithUnzip(url)
                #expect(unzip.status == 0, "\(unzip.stderr)")
            }
        }
    }

    /// An entry over 4 GiB and entries behind it at offsets over 4 GiB, written to a sparse file so
    /// the test needs neither the memory nor the disk: sizes and offsets go to ZIP64 fields.
    @Test(.needs(.python, .unzip)) func entriesAndOffsetsBeyondFourGiBUseZIP64Fields() async throws {
        try await withTemporaryDirectory { folder in
            let url = folder.appendingPathComponent("large.zip")
            let sink = try SparseFileSink(url)
            let writer = ZIPStreamWriter(sink: sink)
            let first = entryContent(1, length: 1000)
            try await writer.addEntry(named: "first.txt", data: first, modified: january20)
            let zeros = [UInt8](repeating: 0, count: 8 << 20)
            let bigSize = (UInt64(1) << 32) + UInt64(zeros.count)  // 4 GiB + 8 MiB
            try await writer.beginEntry(named: "big.bin", modified: january20)
            for _ in 0..<(bigSize / UInt64(zeros.count)) { try await writer.writeEntryData(zeros) }
            try await writer.endEntry()
            let after = entryContent(2, length: 3000)
            try await writer.addEntry(named: "after.txt", data: after, modified: january20)
            try await writer.beginEntry(named: "after-streamed.txt", modified: january20, expectedSize: 3000)
            try await writer.writeEntryData(after)
            try await writer.endEntry()
            let summary = try await writer.finish()
            try sink.close()
            #expect(summary.usesZIP64)
            #expect(summary.byteCount > bigSize)

            let expected = [
                ExpectedEntry(name: "first.txt", content: first),
                ExpectedEntry(name: "big.bin", size: bigSize),
                ExpectedEntry(name: "after.txt", content: after),
                ExpectedEntry(name: "after-streamed.txt", content: after),
            ]
            // Python reads every entry (the big one's CRC too); unzip, whose CRC takes ~10 s/GiB here,
            // tests the entries it finds through ZIP64 offsets.
            do {
                let result = try checkWithPythonZipfile(url, expected: expected)
                #expect(result.mismatches == [])
                #expect(result.zip64_end_records)
                #expect(result.zip64_extra_entries == 3)  // big.bin (sizes) and the two behind it (offsets)
                #expect(result.max_header_offset > UInt64(UInt32.max))
            }
            do {
                let unzip = try testWithUnzip(url, entries: ["first.txt", "after.txt", "after-streamed.txt"])
                #expect(unzip.status == 0, "\(unzip.stdout) \(unzip.stderr)")
            }
        }
    }

    @Test func misuseIsReportedNotCrashing() async throws {
        let writer = ZIPStreamWriter(sink: ZIPMemorySink())
        await #expect(throws: ZIPStreamError.noOpenEntry) { try await writer.writeEntryData([1]) }
        await #expect(throws: ZIPStreamError.noOpenEntry) { try await writer.endEntry() }
        await #expect(throws: ZIPStreamError.invalidEntryName) {
            try await writer.addEntry(named: "", data: [], modified: january20)
        }
        await #expect(throws: ZIPStreamError.invalidEntryName) {
            try await writer.addEntry(named: String(repeating: "a", count: 65_536), data: [], modified: january20)
        }
        try await writer.addEntry(named: "a", data: [1], modified: january20)
        await #expect(throws: ZIPStreamError.duplicateEntryName) {
            try await writer.addEntry(named: "a", data: [2], modified: january20)
        }
        try await writer.beginEntry(named: "b", modified: january20)
        await #expect(throws: ZIPStreamError.entryAlreadyOpen) {
            try await writer.addEntry(named: "c", data: [], modified: january20)
        }
        await #expect(throws: ZIPStreamError.entryAlreadyOpen) { try await writer.finish() }
        try await writer.endEntry()
        try await writer.finish()
        await #expect(throws: ZIPStreamError.archiveFinished) {
            try await writer.addEntry(named: "d", data: [], modified: january20)
        }
    }

    @Test func aFailingSinkMakesTheWriterUnusable() async throws {
        struct Broken: Error {}
        struct FailingSink: ZIPStreamSink {
            var budget: Int
            mutating func write(_ bytes: [UInt8]) throws {
                guard budget >= bytes.count else { throw Broken() }
                budget -= bytes.count
            }
        }
        let writer = ZIPStreamWriter(sink: FailingSink(budget: 40))
        await #expect(throws: Broken.self) {
            try await writer.addEntry(named: "x", data: [UInt8](repeating: 1, count: 100), modified: january20)
        }
        await #expect(throws: ZIPStreamError.writerFailed) { try await writer.finish() }
    }

    @Test func timestampsConvertToDOSFields() {
        let stamp = ZIPTimestamp(secondsSince1970: 1_737_382_530)  // 2025-01-20 14:15:30 UTC
        #expect(stamp == ZIPTimestamp(year: 2025, month: 1, day: 20, hour: 14, minute: 15, second: 30))
        #expect(
            ZIPTimestamp(secondsSince1970: 951_782_400)
                == ZIPTimestamp(year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0)
        )
        #expect(ZIPTimestamp(secondsSince1970: 0) == .dosEpoch)
        #expect(ZIPTimestamp(secondsSince1970: 10_000_000_000).year == 2107)
    }
}
