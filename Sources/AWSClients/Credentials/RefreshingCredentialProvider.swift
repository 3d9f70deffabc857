import AWSSigV4
import Foundation
import Logging

/// Caches expiring credentials and fetches new ones before they expire.
///
/// Concurrent callers share one refresh: while a fetch is under way, every caller awaits the same
/// one. If a refresh fails while the cached credentials are still valid, those are returned (and the
/// failure logged), so a brief outage of the credentials endpoint does not fail requests.
public actor RefreshingCredentialProvider: AWSCredentialProvider {
    private enum State {
        case empty
        case cached(AWSCredentials)
        case refreshing(Task<AWSCredentials, any Error>, previous: AWSCredentials?)
    }

    private var state = State.empty
    private let fetch: @Sendable (Logger) async throws -> AWSCredentials
    private let refreshMargin: Duration
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - refreshMargin: refresh when the credentials expire within this time (default 5 minutes).
    ///   - now: the clock; injectable for tests.
    ///   - fetch: gets fresh credentials.
    public init(
        refreshMargin: Duration = .seconds(300),
        now: @escaping @Sendable () -> Date = { Date() },
        fetch: @escaping @Sendable (Logger) async throws -> AWSCredentials
    ) {
        self.refreshMargin = refreshMargin
        self.now = now
        self.fetch = fetch
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        switch state {
        case .cached(let credentials) where !needsRefresh(credentials):
            return credentials
        case .cached(let credentials):
            return try await refresh(previous: credentials, logger: logger)
        case .empty:
            return try await refresh(previous: nil, logger: logger)
        case .refreshing(let task, let previous):
            return try await awaitRefresh(task, previous: previous, logger: logger)
        }
    }

    private func refresh(previous: AWSCredentials?, logger: Logger) async throws -> AWSCredentials {
        let fetch = self.fetch
        // The task is shared by every caller that arrives while it runs; it is awaited, never orphaned.
        let task = Task { try await fetch(logger) }
        state = .refreshing(task, previous: previous)
        logger.debug("refreshing AWS credentials")
        return try await awaitRefresh(task, previous: previous, logger: logger)
    }

    private func awaitRefresh(
        _ task: Task<AWSCredentials, any Error>,
        previous: AWSCredentials?,
        logger: Logger
    ) async throws -> AWSCredentials {
        do {
            let fresh = try await task.value
            state = .cached(fresh)
            return fresh
        } catch {
            if let previous, !isExpired(previous) {
                state = .cached(previous)
                logger.info(
                    "credential refresh failed; using the cached credentials until they expire",
                    metadata: ["error": "\(error)"]
                )
                return previous
            }
            state = .empty
            throw error
        }
    }

    private func needsRefresh(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        let margin = Double(refreshMargin.components.seconds) + Double(refreshMargin.components.attoseconds) / 1e18
        return expiration.timeIntervalSince(now()) <= margin
    }

    private func isExpired(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration <= now()
    }
}
