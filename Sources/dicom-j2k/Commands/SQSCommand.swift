import AWSClients
import ArgumentParser
import Foundation

/// `dicom-j2k sqs send|receive`: put messages on a queue and look at them by hand.
struct SQSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sqs",
        abstract: "Send and receive SQS messages (debugging aid; uses the worker's SQS client and configuration).",
        subcommands: [Send.self, Receive.self]
    )

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send",
            abstract: "Send one message; prints its message ID."
        )

        @Option(name: .customLong("queue-url"), help: "The queue's URL.")
        var queueURL: String

        @Option(help: "Seconds before the message becomes visible (0…900).")
        var delay: Int?

        @Argument(help: "The message body; - reads it from stdin (without its final newline).")
        var body: String

        @OptionGroup var aws: AWSCommandOptions

        func run() async throws {
            var text = body
            if body == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                // `echo` and editors end the input with a newline that is not part of the message.
                if text.hasSuffix("\n") { text.removeLast() }
            }
            let configuration = try aws.configuration()
            let logger = aws.logger
            let messageBody = text
            let id = try await withAWSHTTPClient { http in
                try await SQSClient(configuration: configuration, httpClient: http)
                    .sendMessage(queueURL: queueURL, body: messageBody, delaySeconds: delay, logger: logger)
            }
            print(id)
        }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receive",
            abstract: "Receive messages and print each as one JSON line (messageId, receiptHandle, body, attributes).",
            discussion:
                "Received messages stay on the queue and become visible again after the visibility timeout, unless --delete is given."
        )

        @Option(name: .customLong("queue-url"), help: "The queue's URL.")
        var queueURL: String

        @Option(help: "Seconds to wait for a message (long poll, 0…20).")
        var wait = 5

        @Option(help: "At most this many messages (1…10).")
        var max = 1

        @Option(help: "Seconds the messages stay hidden from other receivers (default: the queue's).")
        var visibility: Int?

        @Flag(help: "Delete the messages after printing them.")
        var delete = false

        @OptionGroup var aws: AWSCommandOptions

        func validate() throws {
            guard (0...20).contains(wait) else { throw ValidationError("--wait must be 0…20 seconds") }
            guard (1...10).contains(max) else { throw ValidationError("--max must be 1…10") }
        }

        func run() async throws {
            let configuration = try aws.configuration()
            let logger = aws.logger
            try await withAWSHTTPClient { http in
                let sqs = SQSClient(configuration: configuration, httpClient: http)
                let messages = try await sqs.receiveMessages(
                    queueURL: queueURL,
                    maxMessages: max,
                    waitTimeSeconds: wait,
                    visibilityTimeout: visibility,
                    logger: logger
                )
                if messages.isEmpty { printToStandardError("no message within \(wait) s") }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for message in messages {
                    let line = PrintedMessage(
                        messageId: message.messageID,
                        receiptHandle: message.receiptHandle,
                        body: message.body,
                        attributes: message.attributes
                    )
                    print(String(decoding: try encoder.encode(line), as: UTF8.self))
                    if delete {
                        try await sqs.deleteMessage(
                            queueURL: queueURL,
                            receiptHandle: message.receiptHandle,
                            logger: logger
                        )
                    }
                }
            }
        }

        struct PrintedMessage: Encodable {
            var messageId: String
            var receiptHandle: String
            var body: String
            var attributes: [String: String]
        }
    }
}
