import ArgumentParser
import CompressionJob

/// The job options beyond the rate that `run` and `enqueue` share: codec, quality target, speed,
/// de-identification. One definition, so both verbs spell and check them alike.
struct EncodingFlags: ParsableArguments {
    @Flag(
        help:
            "De-identify (DICOM PS3.15 Basic profile; docs/deidentification.md). Files that cannot be de-identified are left out and reported."
    )
    var anonymize = false

    @Flag(help: "Write HTJ2K (.203, or .201 lossless) with OpenJPH instead of JPEG 2000 Part 1.")
    var htj2k = false

    @Option(help: "Instead of --rate: the smallest output whose every frame reaches this PSNR (dB).")
    var psnr: Double?

    @Option(help: "Instead of --rate: the smallest output whose every frame stays within this error (stored units).")
    var maxError: Int?

    @Flag(help: "Part 1 with code-block bypass: about a third faster for about 0.2 dB.")
    var fast = false

    func validate() throws {
        if let psnr, !(psnr > 0 && psnr <= 200) { throw ValidationError("--psnr must be above 0 and at most 200 dB") }
        if let maxError, !(0...65_535).contains(maxError) { throw ValidationError("--max-error must be 0…65535") }
        guard psnr == nil || maxError == nil else { throw ValidationError("--psnr and --max-error exclude each other") }
    }

    /// Sets these options on `options`.
    func apply(to options: inout JobOptions) {
        options.anonymize = anonymize
        options.transferSyntax = htj2k ? .htj2k : .j2k
        options.targetPSNR = psnr
        options.maxError = maxError
        options.encoderSpeed = fast ? .fast : .standard
    }

    /// The same options as job message fields (only those that differ from the defaults).
    var messageFields: [String: Any] {
        var fields: [String: Any] = [:]
        if anonymize { fields["anonymize"] = true }
        if htj2k { fields["transferSyntax"] = "htj2k" }
        if let psnr { fields["targetPSNR"] = psnr }
        if let maxError { fields["maxError"] = maxError }
        if fast { fields["encoderSpeed"] = "fast" }
        return fields
    }
}
