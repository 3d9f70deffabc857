import ArgumentParser
import DICOM
import Foundation

/// `dicom-j2k dump FILE…`: lists each file's meta and data set; a file that does not parse is
/// listed up to the damage, then reported with its typed error (code, tag, byte offset), and
/// makes the exit status 1.
struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the elements of DICOM files (tag, VR, length, keyword, value preview).",
        discussion: """
            A damaged file is listed as far as it reads, then its error, naming the tag and byte offset, \
            is printed (on stderr, and as a last "# Error:" line); the exit status is then 1.
            """
    )

    @Option(name: .long, help: "Clip value previews to this many characters.")
    var width = 64

    @Argument(help: "DICOM files to dump.")
    var files: [String]

    func run() async throws {
        var failures = 0
        for (index, path) in files.enumerated() {
            if files.count > 1 { print("\(index == 0 ? "" : "\n")== \(path)") }
            // A damaged file is listed as far as it reads, then its error (as dcmdump does), so
            // the listing shows where it goes wrong.
            let (file, error) = DICOMFile.readForInspection(contentsOf: path)
            if let file { print(file.dump(maxValueCharacters: max(8, width)), terminator: "") }
            if let error {
                failures += 1
                if file != nil { print("# Error: \(error)") }
                FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
