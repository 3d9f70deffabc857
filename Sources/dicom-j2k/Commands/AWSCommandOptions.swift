import AWSClients
import ArgumentParser
import Foundation
import Logging

/// Options shared by the `s3` and `sqs` debug verbs. Everything else comes from the AWS SDKs'
/// environment variables (see docs/aws.md).
struct AWSCommandOptions: ParsableArguments {
    @Option(
        name: .customLong("endpoint-url"),
        help: "Endpoint of S3 and SQS, e.g. http://localhost:4566 (default: AWS_ENDPOINT_URL or AWS)."
    )
    var endpointURL: String?

    @Option(help: "AWS region (default: AWS_REGION or AWS_DEFAULT_REGION).")
    var region: String?

    @Flag(name: .shortAndLong, help: "Log requests and retries.")
    var verbose = false

    /// The configuration from the environment, with the command-line overrides applied.
    func configuration() throws -> AWSConfiguration {
        var environment = ProcessInfo.processInfo.environment
        if let endpointURL { environment["AWS_ENDPOINT_URL"] = endpointURL }
        if let region { environment["AWS_REGION"] = region }
        return try AWSConfiguration(environment: environment)
    }

    var logger: Logger {
        var logger = Logger(label: "dicom-j2k")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }
}

/// A command-line location: `s3://bucket/key` or a local path.
enum TransferLocation: CustomStringConvertible {
    case s3(S3URI)
    case local(String)

    init(_ argument: String) throws {
        if argument.hasPrefix("s3://") {
            guard let uri = S3URI(argument) else { throw ValidationError("\(argument) is not s3://bucket/key") }
            self = .s3(uri)
        } else {
            self = .local(argument)
        }
    }

    var description: String {
        switch self {
        case .s3(let uri): uri.description
        case .local(let path): path
        }
    }
}

/// Writes a line to standard error (progress and summaries that must not mix with data on stdout).
func printToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
