import NIOCore
import Synchronization

/// A bounded hand-over of parts from the writer (producer) to the upload loop (consumer).
///
/// `send` suspends while the buffer is full, which is what bounds the uploader's memory. Either side
/// can end it: `finish()` after the last part, `fail(_:)` when the other side has failed, so a
/// suspended producer or consumer is always woken. Cancellation of a waiting task fails the channel.
final class PartChannel: Sendable {
    struct Part: Sendable {
        var uploadID: String
        var number: Int
        var bytes: ByteBuffer
    }

    private struct State {
        var buffer: [Part] = []
        var finished = false
        var failure: (any Error)?
        var receiver: CheckedContinuation<Part?, Never>?
        var sender: CheckedContinuation<Void, any Error>?
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Hands `part` over, waiting while the buffer is full.
    /// - Throws: the failure that ended the channel, or `CancellationError`.
    func send(_ part: Part) async throws {
        while true {
            enum Step { case done, wait }
            let step: Step = try state.withLock { state in
                if let failure = state.failure { throw failure }
                if let receiver = state.receiver {
                    state.receiver = nil
                    receiver.resume(returning: part)
                    return .done
                }
                if state.buffer.count < capacity {
                    state.buffer.append(part)
                    return .done
                }
                return .wait
            }
            if step == .done { return }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow: (any Error)?? = state.withLock { state in
                        if let failure = state.failure { return .some(failure) }
                        if state.buffer.count < capacity { return .some(nil) }
                        state.sender = continuation
                        return nil
                    }
                    if let resumeNow {
                        if let error = resumeNow { continuation.resume(throwing: error) } else { continuation.resume() }
                    }
                }
            } onCancel: {
                self.fail(CancellationError())
            }
        }
    }

    /// The next part, or `nil` when the channel is finished (and drained) or has failed.
    func next() async -> Part? {
        enum Step {
            case part(Part)
            case end, wait
        }
        let step: Step = state.withLock { state in
            if state.failure != nil { return .end }
            if !state.buffer.isEmpty {
                let part = state.buffer.removeFirst()
                state.sender.take()?.resume()
                return .part(part)
            }
            return state.finished ? .end : .wait
        }
        switch step {
        case .part(let part): return part
        case .end: return nil
        case .wait: break
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Part?, Never>) in
                let immediate: Part?? = state.withLock { state in
                    if state.failure != nil { return .some(nil) }
                    if !state.buffer.isEmpty {
                        let part = state.buffer.removeFirst()
                        state.sender.take()?.resume()
                        return .some(part)
                    }
                    if state.finished { return .some(nil) }
                    state.receiver = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            self.fail(CancellationError())
        }
    }

    /// No more parts will be sent.
    func finish() {
        state.withLock { state in
            state.finished = true
            if state.buffer.isEmpty { state.receiver.take()?.resume(returning: nil) }
        }
    }

    /// Ends the channel with `error`; waiting senders throw it, waiting receivers get `nil`.
    func fail(_ error: any Error) {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
            state.receiver.take()?.resume(returning: nil)
            state.sender.take()?.resume(throwing: error)
        }
    }
}
