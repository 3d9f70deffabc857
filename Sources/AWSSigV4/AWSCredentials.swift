import Foundation

/// An AWS access key pair, with the session token that temporary credentials carry.
///
/// Lambda, ECS and EKS hand out temporary credentials: the session token must travel with every
/// request (and is covered by the signature), and ``expiration`` says when they stop working.
public struct AWSCredentials: Sendable, Equatable {
    /// The access key ID (`AKIA…` for long-term keys, `ASIA…` for temporary ones).
    public var accessKeyID: String
    /// The secret access key. Never logged.
    public var secretAccessKey: String
    /// The session token of temporary credentials (`AWS_SESSION_TOKEN`), or `nil`.
    public var sessionToken: String?
    /// When temporary credentials expire; `nil` for credentials that do not expire.
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

extension AWSCredentials: CustomStringConvertible {
    /// Shows the key ID only; the secret and the token never appear in logs.
    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), sessionToken: \(sessionToken == nil ? "none" : "set"))"
    }
}
