// Tests of RetryPolicy decisions and DelayLevels parsing (spec §5.4, §5.5).
import Testing
import ApusGroups

private let policy = RetryPolicy()

private func decide(_ reconsume: Int32, level: Int32 = 0, max: Int32 = 16, queues: Int32 = 1) -> RetryPolicy.Decision {
    policy.decide(reconsumeTimes: reconsume, requestedDelayLevel: level, maxReconsumeTimes: max, retryQueueNums: queues)
}

@Test func brokerChosenLevelIsThreePlusReconsumeTimes() {
    // a message failed forever: 16 retries at levels 3…18, then the dead-letter queue
    #expect((0..<16).map { decide($0) } == (3...18).map { .retry(delayLevel: $0) })
    #expect(decide(16) == .deadLetter)
}

@Test func levelIsCappedAtTheMaximum() {
    #expect(decide(20, max: 30) == .retry(delayLevel: 18))
    #expect(decide(0, level: 25) == .retry(delayLevel: 18))
    #expect(decide(5, level: 2) == .retry(delayLevel: 2))
    #expect(RetryPolicy(maxDelayLevel: 4).decide(reconsumeTimes: 3, requestedDelayLevel: 0,
                                                 maxReconsumeTimes: 16, retryQueueNums: 1) == .retry(delayLevel: 4))
}

@Test func exhaustedOrNegativeLevelGoesToDeadLetter() {
    #expect(decide(3, max: 3) == .deadLetter)
    #expect(decide(0, level: -1) == .deadLetter)
}

@Test func groupWithoutRetryQueuesDrops() {
    #expect(decide(0, queues: 0) == .drop)
    #expect(decide(99, level: -1, queues: -1) == .drop)
}

@Test func defaultDelayLevelsParse() throws {
    let levels = try DelayLevels.parse(DelayLevels.defaultSpec)
    #expect(levels.count == 18)
    #expect(levels[0] == 1_000 && levels[2] == 10_000 && levels[4] == 60_000 && levels[17] == 7_200_000)
    #expect(try DelayLevels.parse("  1d\t2h ") == [86_400_000, 7_200_000])
}

@Test func badDelayLevelsAreRejected() {
    for bad in ["", "5", "5x", "s", "-1s", "1.5m", "1s 2q", "9999999999999999m"] {
        #expect(throws: DelayLevels.ParseError.self) { try DelayLevels.parse(bad) }
    }
}
