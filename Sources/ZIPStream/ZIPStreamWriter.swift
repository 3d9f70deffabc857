/// Options of a ``ZIPStreamWriter``.
public struct ZIPStreamOptions: Sendable, Hashable {
    /// Write every entry, and the end of the archive, in ZIP64 form even when nothing needs it
    /// (for tests of readers; archives stay valid).
    public var forceZIP64: Bool

    /// Bytes of central directory collected before handing them to the sink in one write.
    public var centralDirectoryChunkSize: Int

    public init(forceZIP64: Bool = false, centralDirectoryChunkSize: Int = 64 * 1024) {
        self.forceZIP64 = forceZIP64
        self.centralDirectoryChunkSize = max(1024, centralDirectoryChunkSize)
    }
}

/// Figures of a finished archive.
public struct ZIPArchiveSummary: Sendable, Hashable {
    public var entryCount: Int
    /// Total archive size in bytes.
    public var byteCount: UInt64
    /// Whether the archive ends with ZIP64 end records.
    public var usesZIP64: Bool
}

/// A streaming ZIP writer: stored (uncompressed) entries written one after another straight to a
/// ``ZIPStreamSink``, which is never asked to seek.
///
/// Memory stays bounded: entry data goes to the sink as it comes, and only a small record per entry
/// (name, CRC, sizes, offset) is kept for the central directory. An entry whose bytes are all at hand
/// is written with ``addEntry(named:data:modified:)`` (sizes and CRC in the local header); an entry
/// produced in pieces with ``beginEntry(named:modified:expectedSize:)``, ``writeEntryData(_:)`` and
/// ``endEntry()`` (CRC and sizes in a data descriptor after the data, general purpose bit 3).
/// ZIP64 records are used where sizes, offsets or the entry count outgrow the 32/16-bit fields.
/// Names are stored as given, flagged UTF-8; make them safe and unique with ``ZIPEntryNamer``.
///
/// The writer is used by one task at a time (it is not `Sendable`); its methods run on the caller's
/// executor, so an actor can own one and call it.
public final class ZIPStreamWriter<Sink: ZIPStreamSink> {
    /// The sink, to read back what it collected (for example a ``ZIPMemorySink``).
    public private(set) var sink: Sink
    public let options: ZIPStreamOptions
    /// Bytes handed to the sink so far.
    public private(set) var bytesWritten: UInt64 = 0

    private struct CentralRecord {
        var name: [UInt8]
        var timestamp: ZIPTimestamp
        var crc: UInt32
        var size: UInt64
        var localHeaderOffset: UInt64
        var usesDataDescriptor: Bool
        /// The local header carried a ZIP64 extra field (so the data descriptor has 8-byte sizes).
        var zip64Local: Bool
    }

    private struct OpenEntry {
        var record: CentralRecord
        var crc = ZIPCRC32()
    }

    private enum State {
        case idle
        case inEntry(OpenEntry)
        case finished
        case failed
    }

    private var state = State.idle
    private var entries: [CentralRecord] = []
    private var names: Set<[UInt8]> = []

    public init(sink: Sink, options: ZIPStreamOptions = ZIPStreamOptions()) {
        self.sink = sink
        self.options = options
    }

    /// Number of entries written (or begun) so far.
    public var entryCount: Int { entries.count + (isInEntry ? 1 : 0) }

    private var isInEntry: Bool {
        if case .inEntry = state { return true }
        return false
    }

    /// Writes a whole entry whose bytes are at hand: local header with CRC and sizes, then the data.
    /// - Throws: ``ZIPStreamError`` for a bad or duplicate name or a writer in the wrong state; the
    ///   sink's own errors.
    public nonisolated(nonsending) func addEntry(named name: String, data: [UInt8], modified: ZIPTimestamp) async throws
    {
        try checkIdle("addEntry(\(name))")
        let nameBytes = try register(name)
        var crc = ZIPCRC32()
        crc.update(data)
        let size = UInt64(data.count)
        let record = CentralRecord(
            name: nameBytes,
            timestamp: modified,
            crc: crc.value,
            size: size,
            localHeaderOffset: bytesWritten,
            usesDataDescriptor: false,
            zip64Local: options.forceZIP64 || size >= ZIPConstants.max32
        )
        try await emit(localHeader(record))
        if !data.isEmpty { try await emit(data) }
        entries.append(record)
    }

    /// Starts an entry whose data follows in pieces through ``writeEntryData(_:)``.
    ///
    /// - Parameter expectedSize: the entry's size if known. When it is unknown or ≥ 4 GiB − 1, the
    ///   local header gets a ZIP64 extra field so the entry may grow to any size; when it is given
    ///   and small, the entry must stay below 4 GiB − 1 bytes.
    public nonisolated(nonsending) func beginEntry(
        named name: String,
        modified: ZIPTimestamp,
        expectedSize: UInt64? = nil
    ) async throws {
        try checkIdle("beginEntry(\(name))")
        let nameBytes = try register(name)
        let zip64 = options.forceZIP64 || (expectedSize.map { $0 >= ZIPConstants.max32 } ?? true)
        let record = CentralRecord(
            name: nameBytes,
            timestamp: modified,
            crc: 0,
            size: 0,
            localHeaderOffset: bytesWritten,
            usesDataDescriptor: true,
            zip64Local: zip64
        )
        try await emit(localHeader(record))
        state = .inEntry(OpenEntry(record: record))
    }

    /// Appends bytes to the open entry.
    public nonisolated(nonsending) func writeEntryData(_ bytes: [UInt8]) async throws {
        guard case .inEntry(var entry) = state else { throw stateError("writeEntryData") }
        let newSize = entry.record.size + UInt64(bytes.count)
        if !entry.record.zip64Local, newSize >= ZIPConstants.max32 {
            state = .failed
            throw ZIPStreamError.entryTooLarge(
                "\(String(decoding: entry.record.name, as: UTF8.self)) passed 4 GiB without a ZIP64 header"
            )
        }
        entry.crc.update(bytes)
        entry.record.size = newSize
        state = .inEntry(entry)
        if !bytes.isEmpty { try await emit(bytes) }
    }

    /// Ends the open entry with its data descriptor.
    public nonisolated(nonsending) func endEntry() async throws {
        guard case .inEntry(var entry) = state else { throw stateError("endEntry") }
        entry.record.crc = entry.crc.value
        var descriptor = ZIPRecordBuilder(capacity: 24)
        descriptor.append(ZIPConstants.dataDescriptorSignature)
        descriptor.append(entry.record.crc)
        if entry.record.zip64Local {
            descriptor.append(entry.record.size)
            descriptor.append(entry.record.size)
        } else {
            descriptor.append(UInt32(entry.record.size))
            descriptor.append(UInt32(entry.record.size))
        }
        state = .idle
        entries.append(entry.record)
        try await emit(descriptor.bytes)
    }

    /// Writes the central directory and the end records. The writer accepts nothing afterwards.
    @discardableResult
    public nonisolated(nonsending) func finish() async throws -> ZIPArchiveSummary {
        try checkIdle("finish")
        let directoryOffset = bytesWritten
        var chunk = ZIPRecordBuilder(capacity: options.centralDirectoryChunkSize + 1024)
        for record in entries {
            appendCentralHeader(record, to: &chunk)
            if chunk.bytes.count >= options.centralDirectoryChunkSize {
                try await emit(chunk.bytes)
                chunk = ZIPRecordBuilder(capacity: options.centralDirectoryChunkSize + 1024)
            }
        }
        if !chunk.bytes.isEmpty { try await emit(chunk.bytes) }
        let directorySize = bytesWritten - directoryOffset
        let zip64 =
            options.forceZIP64 || entries.count >= ZIPConstants.max16 || directorySize >= ZIPConstants.max32
            || directoryOffset >= ZIPConstants.max32
        try await emit(endRecords(directoryOffset: directoryOffset, directorySize: directorySize, zip64: zip64))
        state = .finished
        return ZIPArchiveSummary(entryCount: entries.count, byteCount: bytesWritten, usesZIP64: zip64)
    }

    // MARK: - Records

    private func localHeader(_ record: CentralRecord) -> [UInt8] {
        var header = ZIPRecordBuilder(capacity: 30 + record.name.count + 20)
        header.append(ZIPConstants.localFileHeaderSignature)
        header.append(record.zip64Local ? ZIPConstants.versionNeededZIP64 : ZIPConstants.versionNeededDefault)
        header.append(flags(record))
        header.append(UInt16(0))  // method: stored
        header.append(record.timestamp.dosTime)
        header.append(record.timestamp.dosDate)
        // With a data descriptor, CRC and sizes are zero here (APPNOTE 4.4.4, 4.4.8, 4.4.9); a
        // ZIP64 local header instead sets the sizes to the marker and puts them in the extra field.
        let knownSize: UInt64 = record.usesDataDescriptor ? 0 : record.size
        header.append(record.usesDataDescriptor ? 0 : record.crc)
        header.append(ZIPRecordBuilder.field32(knownSize, inZIP64: record.zip64Local))
        header.append(ZIPRecordBuilder.field32(knownSize, inZIP64: record.zip64Local))
        header.append(UInt16(record.name.count))
        header.append(UInt16(record.zip64Local ? 20 : 0))
        header.append(record.name)
        if record.zip64Local {
            header.append(ZIPConstants.zip64ExtraFieldTag)
            header.append(UInt16(16))
            header.append(knownSize)  // uncompressed
            header.append(knownSize)  // compressed
        }
        return header.bytes
    }

    private func appendCentralHeader(_ record: CentralRecord, to builder: inout ZIPRecordBuilder) {
        // The ZIP64 extra field holds, in this order, only the values whose 32-bit field is the marker.
        let sizesInZIP64 = record.zip64Local || record.size >= ZIPConstants.max32
        let offsetInZIP64 = options.forceZIP64 || record.localHeaderOffset >= ZIPConstants.max32
        var extra = ZIPRecordBuilder(capacity: 28)
        if sizesInZIP64 || offsetInZIP64 {
            extra.append(ZIPConstants.zip64ExtraFieldTag)
            extra.append(UInt16((sizesInZIP64 ? 16 : 0) + (offsetInZIP64 ? 8 : 0)))
            if sizesInZIP64 {
                extra.append(record.size)
                extra.append(record.size)
            }
            if offsetInZIP64 { extra.append(record.localHeaderOffset) }
        }
        let zip64 = sizesInZIP64 || offsetInZIP64
        builder.append(ZIPConstants.centralDirectorySignature)
        builder.append(ZIPConstants.versionMadeBy)
        builder.append(zip64 ? ZIPConstants.versionNeededZIP64 : ZIPConstants.versionNeededDefault)
        builder.append(flags(record))
        builder.append(UInt16(0))  // method: stored
        builder.append(record.timestamp.dosTime)
        builder.append(record.timestamp.dosDate)
        builder.append(record.crc)
        builder.append(ZIPRecordBuilder.field32(record.size, inZIP64: sizesInZIP64))
        builder.append(ZIPRecordBuilder.field32(record.size, inZIP64: sizesInZIP64))
        builder.append(UInt16(record.name.count))
        builder.append(UInt16(extra.bytes.count))
        builder.append(UInt16(0))  // comment length
        builder.append(UInt16(0))  // disk number start
        builder.append(UInt16(0))  // internal attributes
        builder.append(ZIPConstants.externalAttributes)
        builder.append(ZIPRecordBuilder.field32(record.localHeaderOffset, inZIP64: offsetInZIP64))
        builder.append(record.name)
        builder.append(extra.bytes)
    }

    private func endRecords(directoryOffset: UInt64, directorySize: UInt64, zip64: Bool) -> [UInt8] {
        var records = ZIPRecordBuilder(capacity: 98)
        let count = UInt64(entries.count)
        if zip64 {
            let zip64RecordOffset = bytesWritten
            records.append(ZIPConstants.zip64EndOfCentralDirectorySignature)
            records.append(UInt64(44))  // size of the rest of this record
            records.append(ZIPConstants.versionMadeBy)
            records.append(ZIPConstants.versionNeededZIP64)
            records.append(UInt32(0))  // this disk
            records.append(UInt32(0))  // disk with the central directory
            records.append(count)  // entries on this disk
            records.append(count)  // entries in total
            records.append(directorySize)
            records.append(directoryOffset)
            records.append(ZIPConstants.zip64EndOfCentralDirectoryLocatorSignature)
            records.append(UInt32(0))  // disk with the ZIP64 end record
            records.append(zip64RecordOffset)
            records.append(UInt32(1))  // total disks
        }
        let count16 = count >= UInt64(ZIPConstants.max16) ? UInt16(ZIPConstants.max16) : UInt16(count)
        records.append(ZIPConstants.endOfCentralDirectorySignature)
        records.append(UInt16(0))  // this disk
        records.append(UInt16(0))  // disk with the central directory
        records.append(count16)
        records.append(count16)
        records.append(ZIPRecordBuilder.field32(directorySize, inZIP64: false))
        records.append(ZIPRecordBuilder.field32(directoryOffset, inZIP64: false))
        records.append(UInt16(0))  // comment length
        return records.bytes
    }

    private func flags(_ record: CentralRecord) -> UInt16 {
        ZIPConstants.flagUTF8 | (record.usesDataDescriptor ? ZIPConstants.flagDataDescriptor : 0)
    }

    // MARK: - State

    private nonisolated(nonsending) func emit(_ bytes: [UInt8]) async throws {
        do {
            try await sink.write(bytes)
            bytesWritten += UInt64(bytes.count)
        } catch {
            state = .failed
            throw error
        }
    }

    private func register(_ name: String) throws -> [UInt8] {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= ZIPConstants.max16 else {
            throw ZIPStreamError.invalidEntryName("entry names must be 1...65535 UTF-8 bytes (\(bytes.count))")
        }
        guard names.insert(bytes).inserted else { throw ZIPStreamError.duplicateEntryName(name) }
        return bytes
    }

    private func checkIdle(_ call: String) throws {
        if case .idle = state { return }
        throw stateError(call)
    }

    private func stateError(_ call: String) -> ZIPStreamError {
        switch state {
        case .idle: .noOpenEntry(call)
        case .inEntry(let entry):
            .entryAlreadyOpen("\(call) while \(String(decoding: entry.record.name, as: UTF8.self)) is open")
        case .finished: .archiveFinished(call)
        case .failed: .writerFailed(call)
        }
    }
}
