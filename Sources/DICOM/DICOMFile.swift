#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits that keep hostile input from exhausting the stack or memory.
public struct DICOMReadOptions: Sendable {
    /// Sequences nested deeper than this are an error (real data rarely exceeds 5).
    public var maximumNestingDepth = 64
    /// A deflated data set may inflate to at most this many bytes; checked while inflating, before
    /// any of it is kept, so a deflate bomb costs CPU time up to this size but no memory.
    public var maximumInflatedSize = 1 << 30
    /// Asked every few thousand elements and every few MiB inflated; `true` stops reading with
    /// ``DICOMError/Code/cancelled``. For callers on threads outside Swift concurrency (a job's
    /// thread pool) that must give up a long parse when the job is cancelled.
    public var isCancelled: (@Sendable () -> Bool)?

    public init() {}
}

/// A DICOM file: file meta information (group 0002), the data set, and its transfer syntax.
///
/// Reading keeps one buffer (the input, or the inflated data set) and every value is a slice of it,
/// so Pixel Data is not copied. Writing always produces Explicit VR Little Endian (see
/// `DICOMFile+Writing.swift`).
public struct DICOMFile: Sendable {
    /// The 128-byte preamble, when the file had one.
    public var preamble: [UInt8]?
    /// The file meta elements as read (group 0002). Writing recomputes them.
    public var fileMeta: DataSet
    public var dataSet: DataSet
    /// The transfer syntax named in the file meta, or the one the data set was found to use when
    /// there is no meta or it names none. Set it before writing to change the output's syntax.
    public var transferSyntax: TransferSyntax
    /// How the data set was actually encoded. Differs from `transferSyntax.dataSetEncoding` when
    /// the file meta claimed Explicit VR but the data set is Implicit VR (or the reverse), which
    /// some writers get wrong and which the reader detects.
    public let sourceEncoding: DataSetEncoding

    /// A new file around `dataSet`.
    public init(
        dataSet: DataSet,
        transferSyntax: TransferSyntax = .explicitVRLittleEndian,
        fileMeta: DataSet = DataSet()
    ) {
        self.init(
            dataSet: dataSet,
            transferSyntax: transferSyntax,
            fileMeta: fileMeta,
            sourceEncoding: transferSyntax.dataSetEncoding
        )
    }

    private init(dataSet: DataSet, transferSyntax: TransferSyntax, fileMeta: DataSet, sourceEncoding: DataSetEncoding) {
        self.preamble = nil
        self.fileMeta = fileMeta
        self.dataSet = dataSet
        self.transferSyntax = transferSyntax
        self.sourceEncoding = sourceEncoding
    }

    /// Reads a Part 10 file, or leniently a bare data set without preamble and meta (Implicit or
    /// Explicit VR, either byte order, detected from the first element).
    ///
    /// Lenient where the meaning is clear: elements out of order are sorted, odd-length string and
    /// OB/UN values are kept (the writer pads them), trailing zero bytes are ignored, a meta group
    /// that mislabels Explicit/Implicit VR Little Endian is corrected. Strict where it is not: a
    /// duplicate tag, a length beyond its container, a value length the VR forbids.
    /// - Throws: ``DICOMError`` naming the problem, the tag and the byte offset.
    public init(bytes: [UInt8], options: DICOMReadOptions = DICOMReadOptions()) throws(DICOMError) {
        try self.init(bytes: bytes, options: options, partial: nil)
    }

    private init(bytes: [UInt8], options: DICOMReadOptions, partial: PartialRead?) throws(DICOMError) {
        let parser = DataSetParser(bytes: bytes, options: options, partial: partial)
        let magic: [UInt8] = Array("DICM".utf8)
        var position = 0
        var preamble: [UInt8]?
        var hasMagic = false
        if bytes.count >= 132, bytes[128..<132].elementsEqual(magic) {
            preamble = Array(bytes[0..<128])
            position = 132
            hasMagic = true
        } else if bytes.count >= 4, bytes[0..<4].elementsEqual(magic) {
            position = 4
            hasMagic = true
        }

        var fileMeta = DataSet()
        if bytes.count - position >= 2, parser.uint16(at: position, littleEndian: true) == 0x0002 {
            // The meta group is Explicit VR Little Endian; a few old writers used Implicit VR.
            let explicit = bytes.count - position < 6 || VR(bytes[position + 4], bytes[position + 5]) != nil
            let context = DataSetParser.Context(encoding: explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian)
            do throws(DICOMError) {
                (fileMeta, position) = try parser.parseDataSet(
                    from: position,
                    to: bytes.count,
                    end: .fileMeta,
                    context: context
                )
            } catch {
                throw DICOMError(
                    .invalidFileMeta,
                    "file meta information: \(error.message)",
                    tag: error.tag,
                    offset: error.offset
                )
            }
        } else if !hasMagic {
            guard Self.looksLikeDataSet(parser, at: position) else {
                throw DICOMError(
                    .notDICOM,
                    "no DICM prefix, no file meta, and the bytes do not start a data set",
                    offset: 0
                )
            }
        }

        var declared: TransferSyntax?
        if let uid = fileMeta.string(.transferSyntaxUID), !uid.isEmpty {
            guard UID.isValid(uid), fileMeta.strings(.transferSyntaxUID)?.count == 1 else {
                throw DICOMError(
                    .invalidFileMeta,
                    "Transfer Syntax UID is not a UID",
                    tag: .transferSyntaxUID,
                    offset: fileMeta[.transferSyntaxUID]?.offset
                )
            }
            declared = TransferSyntax(uid: uid)
        }
        var syntax: TransferSyntax
        var encoding: DataSetEncoding
        var parseBuffer = parser
        var start = position
        partial?.preamble = preamble
        partial?.fileMeta = fileMeta.elements
        if let declared, declared.isDeflated {
            partial?.syntax = declared
            partial?.encoding = .explicitVRLittleEndian
            let inflated = try Inflate.inflate(
                bytes[position...],
                limit: options.maximumInflatedSize,
                offset: position,
                isCancelled: options.isCancelled
            )
            parseBuffer = DataSetParser(bytes: inflated, options: options, partial: partial)
            start = 0
            syntax = declared
            encoding = .explicitVRLittleEndian
        } else if let declared {
            syntax = declared
            encoding = Self.checkedEncoding(declared.dataSetEncoding, parser, at: position)
        } else {
            encoding = Self.guessedEncoding(parser, at: position)
            syntax = Self.transferSyntax(for: encoding)
        }
        partial?.syntax = syntax
        partial?.encoding = encoding
        let context = DataSetParser.Context(encoding: encoding)
        let (dataSet, _) = try parseBuffer.parseDataSet(
            from: start,
            to: parseBuffer.bytes.count,
            end: .topLevel,
            context: context
        )

        self.preamble = preamble
        self.fileMeta = fileMeta
        self.dataSet = dataSet
        self.transferSyntax = syntax
        self.sourceEncoding = encoding
    }

    /// Reads like ``init(bytes:options:)``, but a damaged file gives back what was read before
    /// the error too: the file meta and the top-level elements in front of the one that failed
    /// (an element whose sequence fails is left out whole). What `dump` shows, as dcmdump does.
    /// - Returns: the file (`nil` only when nothing at all could be read) and the error, if any.
    public static func readForInspection(
        bytes: [UInt8],
        options: DICOMReadOptions = DICOMReadOptions()
    ) -> (file: DICOMFile?, error: DICOMError?) {
        let partial = PartialRead()
        do {
            return (try DICOMFile(bytes: bytes, options: options, partial: partial), nil)
        } catch {
            guard !partial.fileMeta.isEmpty || !partial.dataSet.isEmpty || partial.preamble != nil else {
                return (nil, error)
            }
            let syntax = partial.syntax ?? .explicitVRLittleEndian
            var file = DICOMFile(
                dataSet: DataSet(partial.dataSet),
                transferSyntax: syntax,
                fileMeta: DataSet(partial.fileMeta),
                sourceEncoding: partial.encoding ?? syntax.dataSetEncoding
            )
            file.preamble = partial.preamble
            return (file, error)
        }
    }

    /// ``readForInspection(bytes:options:)`` of the file at `path`.
    public static func readForInspection(
        contentsOf path: String,
        options: DICOMReadOptions = DICOMReadOptions()
    ) -> (file: DICOMFile?, error: DICOMError?) {
        do {
            return readForInspection(bytes: try readFile(path), options: options)
        } catch {
            return (nil, error)
        }
    }

    /// Reads the file at `path` into one buffer and parses it.
    public init(contentsOf path: String, options: DICOMReadOptions = DICOMReadOptions()) throws(DICOMError) {
        try self.init(bytes: Self.readFile(path), options: options)
    }

    // MARK: - Encoding detection

    /// A bare data set starts with a low group number (0002…0028 covers every real first element)
    /// in one byte order or the other.
    private static func looksLikeDataSet(_ parser: DataSetParser, at position: Int) -> Bool {
        guard parser.bytes.count - position >= 8 else { return false }
        let encoding = guessedEncoding(parser, at: position)
        let group = parser.uint16(at: position, littleEndian: encoding.isLittleEndian)
        return (0x0002...0x0028).contains(group)
    }

    /// The byte order whose reading of the first group number is smaller, explicit VR when two
    /// VR letters follow the tag.
    private static func guessedEncoding(_ parser: DataSetParser, at position: Int) -> DataSetEncoding {
        guard parser.bytes.count - position >= 8 else { return .implicitVRLittleEndian }
        let little = parser.uint16(at: position, littleEndian: true) <= parser.uint16(at: position, littleEndian: false)
        let explicit = VR(parser.bytes[position + 4], parser.bytes[position + 5]) != nil
        return DataSetEncoding(isExplicitVR: explicit, isLittleEndian: little)
    }

    /// Corrects the common mislabelling of Little Endian data sets: Explicit VR declared but no VR
    /// after the first tag, or Implicit VR declared but a VR follows and the implicit length
    /// would run past the end.
    private static func checkedEncoding(
        _ declared: DataSetEncoding,
        _ parser: DataSetParser,
        at position: Int
    ) -> DataSetEncoding {
        let bytes = parser.bytes
        guard declared.isLittleEndian, bytes.count - position >= 8 else { return declared }
        // Two upper-case letters: a VR, or one added to the standard after this code (read as UN).
        let hasVR = (0x41...0x5A).contains(bytes[position + 4]) && (0x41...0x5A).contains(bytes[position + 5])
        if declared.isExplicitVR && !hasVR { return .implicitVRLittleEndian }
        let knownVR = VR(bytes[position + 4], bytes[position + 5]) != nil
        if !declared.isExplicitVR && knownVR
            && Int(parser.uint32(at: position + 4, littleEndian: true)) > bytes.count - position - 8
        {
            return .explicitVRLittleEndian
        }
        return declared
    }

    private static func transferSyntax(for encoding: DataSetEncoding) -> TransferSyntax {
        switch (encoding.isExplicitVR, encoding.isLittleEndian) {
        case (true, true): .explicitVRLittleEndian
        case (true, false): .explicitVRBigEndian
        default: .implicitVRLittleEndian
        }
    }

    // MARK: - File input

    private static func readFile(_ path: String) throws(DICOMError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw fileError(path, "cannot open") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw fileError(path, "cannot stat") }
        let size = Int(info.st_size)
        guard size >= 0 else { throw fileError(path, "negative size") }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < size {
                let result = read(descriptor, base + done, size - done)
                if result < 0 && errno == EINTR { continue }
                if result <= 0 { break }
                done += result
            }
            failed = done < size
            count = done
        }
        guard !failed else { throw fileError(path, "short read") }
        return bytes
    }

    private static func fileError(_ path: String, _ what: String) -> DICOMError {
        DICOMError(.fileUnreadable, "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
