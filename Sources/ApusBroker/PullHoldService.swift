// PullHoldService: parked pulls per queue (long polling), for any transport; each is woken the moment a message
// arrives in its queue, or when its hold time runs out (one timeout sweep per event loop, ParkedPulls).

import ApusStore
import NIOCore
import Synchronization

final class PullHoldService: Sendable {
    /// Called once, on the event loop given to `hold`, when the pull should be answered (arrival, timeout, shutdown).
    typealias Wake = @Sendable () -> Void

    private struct Parked {
        var eventLoop: EventLoop
        var wake: Wake
    }

    private let state = Mutex(ParkedPulls<Parked>())

    /// Parks a pull until a message beyond `offset` arrives in the queue or `holdMillis` pass; `currentMax` closes the
    /// race with an arrival between the caller's read and the parking.
    func hold(topic: String, queueId: Int32, offset: Int64, holdMillis: Int64, on eventLoop: EventLoop,
              currentMax: @Sendable () -> Int64, wake: @escaping Wake) {
        let key = QueueKey(topic: topic, queueId: queueId)
        let deadline = (NIODeadline.now() + .milliseconds(holdMillis)).uptimeNanoseconds
        let (id, arm) = state.withLock {
            $0.park(Parked(eventLoop: eventLoop, wake: wake), key: key, offset: offset, loop: ObjectIdentifier(eventLoop),
                    deadline: deadline)
        }
        if let arm { armSweep(on: eventLoop, at: arm) }
        if currentMax() > offset, let parked = state.withLock({ $0.take(key, id) }) {
            eventLoop.execute { parked.wake() }
        }
    }

    /// Wakes the pulls parked on this queue that are waiting for an offset below `maxOffset`.
    func notifyArrival(topic: String, queueId: Int32, maxOffset: Int64) {
        let woken = state.withLock { $0.arrived(QueueKey(topic: topic, queueId: queueId), maxOffset: maxOffset) }
        for parked in woken {
            // Answered inline when the consumer lives on this thread (no queue hop on the latency path).
            if parked.eventLoop.inEventLoop { parked.wake() } else { parked.eventLoop.execute { parked.wake() } }
        }
    }

    /// Answers every parked pull now (shutdown).
    func wakeAll() {
        for parked in state.withLock({ $0.takeAll() }) {
            parked.eventLoop.execute { parked.wake() }
        }
    }

    var heldCount: Int { state.withLock { $0.count } }

    /// Arms `eventLoop`'s timeout sweep for `deadline`: it answers the pulls whose hold has run out and arms the next.
    private func armSweep(on eventLoop: EventLoop, at deadline: UInt64) {
        eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) { [self] in
            let (due, next) = state.withLock {
                $0.sweep(loop: ObjectIdentifier(eventLoop), armedAt: deadline, now: NIODeadline.now().uptimeNanoseconds)
            }
            if let next { armSweep(on: eventLoop, at: next) }
            for parked in due { parked.wake() }
        }
    }
}
