import AWSClients
import Foundation
import Transcoder

/// A job message (the SQS body, docs/contracts.md "The job message"), parsed and validated, with
/// the defaults of the configuration applied.
package struct JobRequest: Sendable, Equatable {
    package var taskId: String
    package var source: S3URI
    package var target: S3URI
    package var options: JobOptions

    package init(taskId: String, source: S3URI, target: S3URI, options: JobOptions) {
        self.taskId = taskId
        self.source = source
        self.target = target
        self.options = options
    }

    /// The fields a message may carry; any other field fails the message.
    package static let knownFields: Set<String> = [
        "taskId", "s3SourceUri", "s3TargetUri", "compressionRate", "compressionLibrary", "anonymize",
        "outputFilename", "overwriteExisting", "qualityCheck", "transferSyntax", "targetPSNR", "maxError",
        "encoderSpeed",
    ]

    /// The task id a message without `taskId` gets.
    package static func defaultTaskId(messageId: String) -> String { "comp-" + messageId }

    /// The task id of a message, as far as it can be read: its valid `taskId`, else the default.
    /// Used to name the failed result of a message that does not parse.
    package static func bestEffortTaskId(body: String, messageId: String) -> String {
        if case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)),
            case .string(let taskId)? = object["taskId"], isValidTaskId(taskId)
        {
            return taskId
        }
        return defaultTaskId(messageId: messageId)
    }

    /// `[A-Za-z0-9._-]{1,128}`.
    package static func isValidTaskId(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    /// Parses and validates a message body.
    /// - Parameters:
    ///   - body: the UTF-8 JSON object.
    ///   - messageId: the SQS message id (the default task id is `comp-` + it).
    ///   - configuration: the default source and target.
    /// - Throws: ``JobError/Code/invalidMessage`` naming the field (unknown, wrong type, out of range, missing).
    package static func parse(
        body: String,
        messageId: String,
        configuration: WorkerConfiguration
    ) throws(JobError) -> JobRequest {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
        } catch {
            throw JobError(.invalidMessage, "the message body is not JSON")
        }
        guard case .object(let object) = value else {
            throw JobError(.invalidMessage, "the message body is not a JSON object")
        }
        if let unknown = object.keys.filter({ !knownFields.contains($0) }).sorted().first {
            throw JobError(.invalidMessage, "unknown field", field: String(unknown.prefix(64)))
        }
        let fields = MessageFields(object)

        let taskId = try fields.string("taskId") ?? defaultTaskId(messageId: messageId)
        guard isValidTaskId(taskId) else {
            throw JobError(.invalidMessage, "must be 1 to 128 of A-Z a-z 0-9 . _ -", field: "taskId")
        }
        let source = try fields.s3URI("s3SourceUri")
        let target = try fields.s3URI("s3TargetUri")

        var options = JobOptions()
        let rate = try fields.number("compressionRate")
        if let rate {
            guard rate >= 1, rate <= 10_000 else {
                throw JobError(.invalidMessage, "must be a number from 1 to 10000", field: "compressionRate")
            }
            options.compressionRate = rate
        }
        if let name = try fields.string("compressionLibrary") {
            guard let library = TranscoderLibraryName.parse(name) else {
                throw JobError(
                    .invalidMessage,
                    "must be one of " + TranscoderLibraryName.accepted.joined(separator: ", "),
                    field: "compressionLibrary"
                )
            }
            options.compressionLibrary = library
        }
        options.anonymize = try fields.bool("anonymize") ?? false
        if let name = try fields.string("outputFilename") {
            guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), name != ".", name != "..",
                !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw JobError(
                    .invalidMessage,
                    "must be a plain file name (no /, no control characters, at most 255 bytes)",
                    field: "outputFilename"
                )
            }
            options.outputFilename = name
        }
        options.overwriteExisting = try fields.bool("overwriteExisting") ?? false
        if let text = try fields.string("qualityCheck") {
            guard let mode = JobOptions.QualityCheck(rawValue: text) else {
                throw JobError(.invalidMessage, "must be none, sample or all", field: "qualityCheck")
            }
            options.qualityCheck = mode
        }
        if let text = try fields.string("transferSyntax") {
            guard let syntax = JobOptions.TransferSyntax(rawValue: text) else {
                throw JobError(.invalidMessage, "must be j2k or htj2k", field: "transferSyntax")
            }
            options.transferSyntax = syntax
        }
        if let text = try fields.string("encoderSpeed") {
            guard let speed = JobOptions.EncoderSpeed(rawValue: text) else {
                throw JobError(.invalidMessage, "must be standard or fast", field: "encoderSpeed")
            }
            options.encoderSpeed = speed
        }
        if let psnr = try fields.number("targetPSNR") {
            guard psnr > 0, psnr <= 200 else {
                throw JobError(.invalidMessage, "must be a number of dB above 0 and at most 200", field: "targetPSNR")
            }
            options.targetPSNR = psnr
        }
        if let maxError = try fields.number("maxError") {
            guard maxError >= 0, maxError <= 65_535, maxError == maxError.rounded() else {
                throw JobError(.invalidMessage, "must be a whole number from 0 to 65535", field: "maxError")
            }
            options.maxError = Int(maxError)
        }
        // The quality targets replace the rate: asking for two of them is a mistake, not a choice.
        let targets = [
            rate.map { _ in "compressionRate" }, options.targetPSNR.map { _ in "targetPSNR" },
            options.maxError.map { _ in "maxError" },
        ].compactMap { $0 }
        if targets.count > 1 {
            throw JobError(.invalidMessage, "excludes \(targets[0])", field: targets[1])
        }
        // Missing URIs last, so a wrong value elsewhere is reported first.
        guard let source = source ?? configuration.defaultSourceURI else {
            throw JobError(.invalidMessage, "missing, and DEFAULT_SOURCE_URI is not set", field: "s3SourceUri")
        }
        guard let target = target ?? configuration.defaultTargetURI else {
            throw JobError(.invalidMessage, "missing, and DEFAULT_TARGET_URI is not set", field: "s3TargetUri")
        }
        return JobRequest(taskId: taskId, source: source, target: target, options: options)
    }
}

/// The library names a message may use (the alias included).
private enum TranscoderLibraryName {
    static let accepted = JobOptions.Library.acceptedNames
    static func parse(_ name: String) -> JobOptions.Library? { JobOptions.Library(name: name) }
}

/// Typed access to the fields of a message object; each accessor names its field in its error.
private struct MessageFields {
    let object: [String: JSONValue]
    init(_ object: [String: JSONValue]) { self.object = object }

    func string(_ field: String) throws(JobError) -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw JobError(.invalidMessage, "must be a string, not \(other.typeName)", field: field)
        }
    }

    func number(_ field: String) throws(JobError) -> Double? {
        switch object[field] {
        case nil, .null?: return nil
        case .number(let number)?:
            guard number.isFinite else { throw JobError(.invalidMessage, "must be a finite number", field: field) }
            return number
        case let other?: throw JobError(.invalidMessage, "must be a number, not \(other.typeName)", field: field)
        }
    }

    func bool(_ field: String) throws(JobError) -> Bool? {
        switch object[field] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw JobError(.invalidMessage, "must be true or false, not \(other.typeName)", field: field)
        }
    }

    /// `s3://bucket/prefix/`; a prefix without the final `/` gets one (it names a folder).
    func s3URI(_ field: String) throws(JobError) -> S3URI? {
        guard let text = try string(field) else { return nil }
        guard text.utf8.count <= 1100, let uri = S3URI(text), !uri.key.hasPrefix("/"),
            Self.isBucketName(uri.bucket),
            !uri.key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw JobError(.invalidMessage, "must be an s3://bucket/prefix/ URI", field: field)
        }
        return uri.key.isEmpty || uri.key.hasSuffix("/") ? uri : S3URI(bucket: uri.bucket, key: uri.key + "/")
    }

    /// S3's rules, loosely: 3 to 63 of lower-case letters, digits, dots and hyphens.
    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "-")
            }
    }
}

/// Any JSON value; decoding a message into it keeps the types the producer sent, so a string
/// where a number belongs is reported instead of converted.
package enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
