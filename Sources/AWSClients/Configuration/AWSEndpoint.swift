import Foundation

/// Where a service is reached: scheme, host and port, from a URL such as `http://localhost:4566`.
public struct AWSEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// The host name or IP address (IPv6 without brackets).
    public var host: String
    /// The port, or `nil` for the scheme's default.
    public var port: Int?
    /// True for an endpoint given in the configuration (LocalStack, MinIO, a VPC endpoint…);
    /// false for the default AWS endpoint. Custom endpoints use path-style S3 addressing.
    public var isCustom: Bool

    public init(scheme: String, host: String, port: Int? = nil, isCustom: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.isCustom = isCustom
    }

    /// Parses an endpoint URL: scheme `http` or `https`, a host, an optional port, no path.
    /// - Throws: ``AWSClientError/Code/configuration`` naming `variable` when the URL is not one.
    public init(url string: String, variable: String) throws(AWSClientError) {
        let trimmed = string.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw AWSClientError(.configuration, "\(variable)=\(string) is not an http(s) URL with a host")
        }
        let path = url.path
        guard path.isEmpty || path == "/", url.query == nil else {
            throw AWSClientError(.configuration, "\(variable)=\(string) must not have a path or query")
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.init(scheme: scheme, host: bareHost, port: url.port, isCustom: true)
    }

    /// The default AWS endpoint of `service` in `region` (`https://s3.eu-west-1.amazonaws.com`).
    public static func aws(service: String, region: String) -> AWSEndpoint {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return AWSEndpoint(scheme: "https", host: "\(service).\(region).\(suffix)", isCustom: false)
    }

    /// `host` or `host:port` as the `Host` header carries it (default ports omitted).
    public func hostHeader(host: String? = nil) -> String {
        let name = host ?? self.host
        let bracketed = name.contains(":") ? "[\(name)]" : name
        guard let port, port != (scheme == "https" ? 443 : 80) else { return bracketed }
        return "\(bracketed):\(port)"
    }

    /// `scheme://host[:port]`, optionally with another host (virtual-hosted S3 buckets).
    public func origin(host: String? = nil) -> String { "\(scheme)://\(hostHeader(host: host))" }

    public var description: String { origin() }
}
