import ArgumentParser
import DICOM
import Foundation

/// `dicom-j2k dump FILE…`: lists each file's meta and data set; a file that does not parse is
/// reported with its typed error (code, tag, byte offset) and makes the exit status 1.
struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the elements of DICOM files (tag, VR, length, keyword, value preview).",
        discussion: "Exits with status 1 when any file cannot be read; its error names the tag and byte offset."
    )

    @Option(name: .long, help: "Clip value previews to this many characters.")
    var width = 64

    @Argument(help: "DICOM files to dump.")
    var files: [String]

    func run() async throws {
        var failures = 0
        for (index, path) in files.enumerated() {
            if files.count > 1 { print("\(index == 0 ? "" : "\n")== \(path)") }
            do {
                let file = try DICOMFile(contentsOf: path)
                print(file.dump(maxValueCharacters: max(8, width)), terminator: "")
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
