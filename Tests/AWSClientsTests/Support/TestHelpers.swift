import AWSClients
import AWSSigV4
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import Synchronization

/// Records the backoff sleeps of a ``RetryPolicy`` instead of waiting.
final class SleepRecorder: Sendable {
    private let recorded = Mutex<[Duration]>([])
    var delays: [Duration] { recorded.withLock { $0 } }

    func sleep(_ duration: Duration) async throws {
        recorded.withLock { $0.append(duration) }
        try Task.checkCancellation()
    }
}

/// A quiet logger for tests that do not inspect logs.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// A configuration pointing at `endpoint` with test credentials, instant retries and `random`
/// fixed, so delays can be checked.
func faultConfiguration(
    endpoint: String,
    maxAttempts: Int = 3,
    attemptTimeout: Duration = .seconds(10),
    sleeps: SleepRecorder,
    random: Double = 0.5,
    sessionToken: String? = nil
) throws -> AWSConfiguration {
    var configuration = try AWSConfiguration(environment: [
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_REGION": "us-east-1",
    ])
    if let sessionToken {
        configuration.credentials = .fixed(
            AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: sessionToken)
        )
    }
    configuration.retryPolicy = RetryPolicy.standard(maxAttempts: maxAttempts, baseDelay: .milliseconds(100))
        .withTestHooks(random: { random }, sleep: { try await sleeps.sleep($0) })
    configuration.attemptTimeout = attemptTimeout
    return configuration
}

/// Deterministic pseudo-random bytes: an AES-CTR keystream (AES-GCM over zeros) keyed by `seed`,
/// so 50 MB of test data take milliseconds even in a debug build.
func testBytes(count: Int, seed: UInt64) -> [UInt8] {
    var keyBytes = [UInt8](repeating: 0, count: 32)
    withUnsafeBytes(of: seed.littleEndian) { keyBytes.replaceSubrange(0..<8, with: $0) }
    let zeros = [UInt8](repeating: 0, count: count)
    do {
        let nonce = try AES.GCM.Nonce(data: [UInt8](repeating: 7, count: 12))
        let sealed = try AES.GCM.seal(zeros, using: SymmetricKey(data: keyBytes), nonce: nonce)
        return Array(sealed.ciphertext)
    } catch {
        fatalError("AES-GCM over zeros cannot fail: \(error)")
    }
}

/// The hex SHA-256 of bytes, to compare large bodies without holding two copies.
func sha256Hex(_ bytes: some DataProtocol) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}

/// An S3 `<Error>` document.
func s3ErrorBody(_ code: String, _ message: String = "test") -> ByteBuffer {
    ByteBuffer(
        string:
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>REQ123</RequestId></Error>"
    )
}
