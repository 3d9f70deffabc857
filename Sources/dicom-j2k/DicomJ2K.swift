import ArgumentParser

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
        ]
    )
}

enum DicomJ2KVersion {
    static let string = "0.1.0"
}
