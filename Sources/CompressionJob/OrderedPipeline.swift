/// Runs `transform` over `items` concurrently, at most `window` at a time, and hands each result to
/// `consume` strictly in input order. The window bounds both the work in flight and the results
/// waiting for an earlier item, so memory stays bounded however uneven the item costs are.
///
/// - Parameters:
///   - items: the inputs, in the order their results must be consumed.
///   - window: how many items may be started but not yet consumed (≥ 1).
///   - transform: the per-item work; runs in child tasks.
///   - consume: receives `(index, result)` in order, on the calling task.
/// - Throws: the first error of `transform` or `consume`; remaining child tasks are cancelled.
package func orderedConcurrentMap<Item: Sendable, Result: Sendable>(
    _ items: [Item],
    window: Int,
    transform: @escaping @Sendable (Item) async throws -> Result,
    consume: (Int, Result) async throws -> Void
) async throws {
    let window = max(1, window)
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var nextToStart = 0
        var nextToConsume = 0
        var finished: [Int: Result] = [:]
        func startMore() {
            while nextToStart < items.count, nextToStart < nextToConsume + window {
                let index = nextToStart
                let item = items[index]
                group.addTask { (index, try await transform(item)) }
                nextToStart += 1
            }
        }
        startMore()
        while nextToConsume < items.count {
            guard let (index, result) = try await group.next() else { break }
            finished[index] = result
            while let ready = finished.removeValue(forKey: nextToConsume) {
                try await consume(nextToConsume, ready)
                nextToConsume += 1
                startMore()
            }
        }
    }
}
