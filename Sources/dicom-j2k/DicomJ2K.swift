import ArgumentParser
import Foundation
import LambdaRuntime

/// The `dicom-j2k` command-line tool: the worker's run modes, the local job and debug verbs.
@main
struct DicomJ2K: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicom-j2k",
        abstract: "Compress CT/DICOM studies to JPEG 2000, locally or as an SQS/Lambda worker.",
        version: DicomJ2KVersion.string,
        subcommands: [
            // Each verb lives in its own file under Commands/.
            RunCommand.self,
            EnqueueCommand.self,
            StatusCommand.self,
            ResultsCommand.self,
            QueueCommand.self,
            TranscodeCommand.self,
            SampleStudyCommand.self,
            BenchCommand.self,
            DumpCommand.self,
            S3Command.self,
            SQSCommand.self,
            PollCommand.self,
            LambdaCommand.self,
            ServeCommand.self,
        ]
    )

    /// No verb: the container's entrypoint. Lambda mode where Lambda set `AWS_LAMBDA_RUNTIME_API`,
    /// else the SQS poller.
    func run() async throws {
        if ProcessInfo.processInfo.environment[LambdaRuntime.runtimeAPIVariable]?.isEmpty == false {
            try await LambdaCommand.parse([]).run()
        } else {
            try await PollCommand.parse([]).run()
        }
    }
}

enum DicomJ2KVersion {
    static let string = "0.1.0"
}
