import Dispatch
import Synchronization

/// The wall-clock span of each phase of a job: from the first moment any file was in the phase to
/// the last. In the streaming pipeline the phases overlap, so their sum exceeds the job's time.
package final class PhaseClock: Sendable {
    package enum Phase: Int, CaseIterable, Sendable {
        case download, compression, upload
    }

    private let spans = Mutex([(start: UInt64, end: UInt64)?](repeating: nil, count: Phase.allCases.count))

    package init() {}

    /// Runs `body`, extending `phase`'s span to cover it.
    package func measure<T>(_ phase: Phase, _ body: () async throws -> T) async rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { record(phase, start: start, end: DispatchTime.now().uptimeNanoseconds) }
        return try await body()
    }

    package func record(_ phase: Phase, start: UInt64, end: UInt64) {
        spans.withLock { spans in
            if let span = spans[phase.rawValue] {
                spans[phase.rawValue] = (min(span.start, start), max(span.end, end))
            } else {
                spans[phase.rawValue] = (start, end)
            }
        }
    }

    /// Seconds from the phase's first start to its last end; 0 if it never ran.
    package func seconds(_ phase: Phase) -> Double {
        spans.withLock { spans in
            guard let span = spans[phase.rawValue] else { return 0 }
            return Double(span.end - span.start) / 1e9
        }
    }
}
