// Stand-in until wip/api's Sources/CompressionAPI/QueueSnapshot.swift arrives; delete this file on that merge.
/// The queue's state as `GET /queue` and the `queue` verb report it.
package struct QueueSnapshot: Sendable, Codable, Equatable {
    package var depth: Int
    package var inFlight: Int
    package var oldestQueuedAge: Double?
    package var meanProcessingTime: Double?
    package var estimatedWait: Double?

    package init(
        depth: Int,
        inFlight: Int,
        oldestQueuedAge: Double?,
        meanProcessingTime: Double?,
        estimatedWait: Double?
    ) {
        self.depth = depth
        self.inFlight = inFlight
        self.oldestQueuedAge = oldestQueuedAge
        self.meanProcessingTime = meanProcessingTime
        self.estimatedWait = estimatedWait
    }
}
