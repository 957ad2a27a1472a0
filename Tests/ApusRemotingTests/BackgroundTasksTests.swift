// BackgroundTasks tests: a shutdown's wait covers the tasks under way, and nothing starts once it has begun.

import ApusRemoting
import Synchronization
import Testing

@Test func stopWaitsForTasksUnderWayAndRefusesNewOnes() async throws {
    let tasks = BackgroundTasks()
    let (gate, open) = AsyncStream<Void>.makeStream()
    let finished = Mutex(false)
    let started = tasks.run {
        for await _ in gate { break }
        finished.withLock { $0 = true }
    }
    #expect(started)
    let stopper = Task { () -> Bool in
        await tasks.stopAndWait()
        return finished.withLock { $0 }
    }
    // The stop has begun once a new task is refused.
    let deadline = ContinuousClock.now + .seconds(10)
    while tasks.run({}), ContinuousClock.now < deadline { await Task.yield() }
    let refused = !tasks.run({})
    #expect(refused)
    open.yield()
    let waited = await stopper.value
    #expect(waited, "stopAndWait returned before the task under way finished")
    #expect(tasks.count == 0)
}
