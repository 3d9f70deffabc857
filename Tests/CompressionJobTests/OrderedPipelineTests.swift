import Synchronization
import Testing

@testable import CompressionJob

@Suite struct OrderedPipelineTests {
    @Test func consumesInOrderWithBoundedWindow() async throws {
        let inFlight = Mutex((now: 0, peak: 0))
        var consumed: [Int] = []
        try await orderedConcurrentMap(Array(0..<50), window: 4) { item in
            inFlight.withLock {
                $0.now += 1
                $0.peak = max($0.peak, $0.now)
            }
            // Later items finish first, so results must wait for earlier ones.
            try await Task.sleep(for: .milliseconds((50 - item) % 7))
            inFlight.withLock { $0.now -= 1 }
            return item * 10
        } consume: { index, result in
            #expect(result == index * 10)
            consumed.append(index)
        }
        #expect(consumed == Array(0..<50))
        #expect(inFlight.withLock { $0.peak } <= 4)
        #expect(inFlight.withLock { $0.peak } >= 2)
    }

    struct Boom: Error {}

    @Test func firstErrorStopsTheRun() async {
        var consumed: [Int] = []
        await #expect(throws: Boom.self) {
            try await orderedConcurrentMap(Array(0..<100), window: 3) { item in
                if item == 5 { throw Boom() }
                return item
            } consume: { index, _ in
                consumed.append(index)
            }
        }
        #expect(consumed.count <= 5)
    }

    @Test func emptyInputConsumesNothing() async throws {
        try await orderedConcurrentMap([Int](), window: 2) {
            $0
        } consume: { _, _ in
            Issue.record("consumed")
        }
    }
}
