// Tests of the JSON metadata tables and AtomicFile.
import ApusMessage
@testable import ApusStore
import Foundation
import Synchronization
import Testing

private func json(_ path: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(fileBytes(path)))) as? [String: Any] ?? [:]
}

@Test func atomicFileReplacesWholeContentAndLeavesNoTemporary() throws {
    let dir = temporaryDirectory()
    let path = dir + "/data.json"
    #expect(AtomicFile.read(path) == nil)
    try AtomicFile.write(Array("first".utf8), to: path)
    try AtomicFile.write(Array("second".utf8), to: path)
    #expect(AtomicFile.read(path) == Array("second".utf8))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["data.json"])
}

@Test func topicTablePersistsAndBumpsDataVersion() throws {
    let path = temporaryDirectory() + "/config/topics.json"
    let table = try TopicConfigTable(path: path)
    let topic = TopicConfig(topicName: "TopicTest", readQueueNums: 4, writeQueueNums: 4, perm: Permission.read | Permission.write)
    #expect(try table.put(topic))
    #expect(try !table.put(topic))
    #expect(table.dataVersion.counter == 1)
    try table.put(TopicConfig(topicName: "Ordered", readQueueNums: 8, writeQueueNums: 8, perm: 6, order: true))
    try table.remove("Missing")
    #expect(table.dataVersion.counter == 2)
    let file = json(path)
    let entry = (file["topicConfigTable"] as? [String: Any])?["TopicTest"] as? [String: Any]
    #expect(entry?["readQueueNums"] as? Int == 4 && entry?["perm"] as? Int == 6 && entry?["topicFilterType"] as? String == "SINGLE_TAG")
    #expect((file["dataVersion"] as? [String: Any])?["counter"] as? Int == 2)

    let reloaded = try TopicConfigTable(path: path)
    #expect(reloaded.get("TopicTest") == topic)
    #expect(reloaded.all().map(\.topicName) == ["Ordered", "TopicTest"])
    #expect(reloaded.dataVersion == table.dataVersion)
    try reloaded.remove("Ordered")
    #expect(try TopicConfigTable(path: path).all().map(\.topicName) == ["TopicTest"])
}

/// Lookups remember the last topic found: a change or removal must be seen by the very next lookup.
@Test func topicLookupsSeeEveryChangeAtOnce() throws {
    let table = try TopicConfigTable(path: temporaryDirectory() + "/config/topics.json")
    let writable = TopicConfig(topicName: "T", readQueueNums: 4, writeQueueNums: 4, perm: Permission.read | Permission.write)
    #expect(table.get("T") == nil)
    try table.put(writable)
    #expect(table.get("T") == writable)
    #expect(table.get("T") == writable)
    var readOnly = writable
    readOnly.perm = Permission.read
    try table.put(readOnly, persistence: .background)
    #expect(table.get("T") == readOnly)
    try table.put(TopicConfig(topicName: "U", readQueueNums: 1, writeQueueNums: 1, perm: 6))
    #expect(table.get("U")?.topicName == "U")
    #expect(table.get("T") == readOnly)
    #expect(table.get("TT") == nil && table.get("") == nil)
    try table.remove("T")
    #expect(table.get("T") == nil)
    #expect(table.get("U")?.topicName == "U")
    try table.persistNow()
}

/// A send looks its topic up by the bytes it arrived as: the same answers as `get`, every change seen at once.
@Test func sendTargetsAreFoundByTopicBytes() throws {
    let table = try TopicConfigTable(path: temporaryDirectory() + "/config/topics.json")
    func target(_ name: String) -> (topicName: String, perm: Int32, readQueueNums: Int32, writeQueueNums: Int32)? {
        Array(name.utf8).withUnsafeBufferPointer { table.sendTarget(utf8: $0) }.map {
            ($0.topicName, $0.limits.perm, $0.limits.readQueueNums, $0.limits.writeQueueNums)
        }
    }
    #expect(target("T") == nil)
    try table.put(TopicConfig(topicName: "T", readQueueNums: 8, writeQueueNums: 4, perm: Permission.read | Permission.write))
    for _ in 0..<2 {  // found in the table, then remembered
        let found = try #require(target("T"))
        #expect(found.topicName == "T" && found.readQueueNums == 8 && found.writeQueueNums == 4)
        #expect(found.perm == Permission.read | Permission.write)
    }
    try table.put(TopicConfig(topicName: "T", readQueueNums: 8, writeQueueNums: 4, perm: Permission.read), persistence: .background)
    #expect(target("T")?.perm == Permission.read)
    #expect(target("TT") == nil && target("") == nil)
    try table.put(TopicConfig(topicName: "主题", readQueueNums: 1, writeQueueNums: 1, perm: 6))
    #expect(target("主题")?.topicName == "主题")
    #expect(target("T")?.readQueueNums == 8)
    try table.remove("T")
    #expect(target("T") == nil)
    try table.persistNow()
}

@Test func consumerOffsetsPersistInRocketMQShape() throws {
    let path = temporaryDirectory() + "/config/consumerOffset.json"
    let table = try ConsumerOffsetTable(path: path)
    table.commit(group: "G1", topic: "TopicTest", queueId: 0, offset: 12)
    table.commit(group: "G1", topic: "TopicTest", queueId: 1, offset: 5)
    table.commit(group: "G2", topic: "TopicTest", queueId: 0, offset: 3)
    #expect(table.query(group: "G1", topic: "TopicTest", queueId: 1) == 5)
    #expect(table.query(group: "G1", topic: "TopicTest", queueId: 2) == nil)
    try table.persist()
    let offsets = json(path)["offsetTable"] as? [String: [String: Int]]
    #expect(offsets?["TopicTest@G1"] == ["0": 12, "1": 5])
    #expect(offsets?["TopicTest@G2"] == ["0": 3])

    // Unchanged: persist writes nothing (the file keeps its inode-level content untouched).
    try FileManager.default.removeItem(atPath: path)
    try table.persist()
    #expect(!FileManager.default.fileExists(atPath: path))
    table.commit(group: "G1", topic: "TopicTest", queueId: 0, offset: 13)
    try table.persist()
    let reloaded = try ConsumerOffsetTable(path: path)
    #expect(reloaded.offsets(group: "G1", topic: "TopicTest") == [0: 13, 1: 5])
    #expect(reloaded.query(group: "G2", topic: "TopicTest", queueId: 0) == 3)
}

@Test func subscriptionGroupsAreCreatedWithDefaultsAndReloaded() throws {
    let path = temporaryDirectory() + "/config/subscriptionGroup.json"
    let table = try SubscriptionGroupTable(path: path)
    #expect(table.get("G") == nil)
    let created = try table.getOrCreate("G")
    #expect(created == SubscriptionGroupConfig(groupName: "G"))
    #expect(created.retryMaxTimes == 16 && created.retryQueueNums == 1 && created.consumeBroadcastEnable)
    let entry = (json(path)["subscriptionGroupTable"] as? [String: Any])?["G"] as? [String: Any]
    #expect(entry?["whichBrokerWhenConsumeSlowly"] as? Int == 1)
    let reloaded = try SubscriptionGroupTable(path: path)
    #expect(reloaded.all() == [created])
}

/// A write hook: records the dataVersion counter of every snapshot written, can hold the first write until
/// released, can fail the first write.
private final class WriteProbe: Sendable {
    let versions = Mutex<[Int64]>([])
    let firstWriteEntered = DispatchSemaphore(value: 0)
    let releaseFirstWrite = DispatchSemaphore(value: 0)
    let holdFirst: Bool
    let failFirst: Bool

    init(holdFirst: Bool = false, failFirst: Bool = false) {
        self.holdFirst = holdFirst
        self.failFirst = failFirst
    }

    func write(_ bytes: [UInt8], _ path: String) throws {
        let first = versions.withLock { $0.isEmpty }
        if first && holdFirst {
            firstWriteEntered.signal()
            _ = releaseFirstWrite.wait(timeout: .now() + 30)
        }
        let counter = ((try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["dataVersion"] as? [String: Any])?["counter"]
        versions.withLock { $0.append((counter as? Int).map(Int64.init) ?? -1) }
        if first && failFirst { throw StoreError("injected failure") }
        try AtomicFile.write(bytes, to: path)
    }
}

private func topic(_ name: String) -> TopicConfig { TopicConfig(topicName: name, readQueueNums: 1, writeQueueNums: 1, perm: 6) }

/// A synchronous change is visible to lookups at once, while its file write is still on its way to disk — also for
/// the topic the table remembers from the last lookup.
@Test func topicLookupsSeeAChangeWhoseWriteIsStillOnDisk() throws {
    let path = temporaryDirectory() + "/config/topics.json"
    try TopicConfigTable(path: path).put(topic("T"))
    let probe = WriteProbe(holdFirst: true)
    let table = try TopicConfigTable(path: path, logger: testLogger, write: probe.write)
    #expect(table.get("T") == topic("T"))
    let readOnly = TopicConfig(topicName: "T", readQueueNums: 1, writeQueueNums: 1, perm: Permission.read)
    let putReturned = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        _ = try? table.put(readOnly, persistence: .synchronous)
        putReturned.signal()
    }
    #expect(probe.firstWriteEntered.wait(timeout: .now() + 10) == .success)
    #expect(table.get("T") == readOnly)
    probe.releaseFirstWrite.signal()
    #expect(putReturned.wait(timeout: .now() + 10) == .success)
}

@Test func tableLockIsNotHeldWhileWriting() throws {
    let path = temporaryDirectory() + "/config/topics.json"
    let probe = WriteProbe(holdFirst: true)
    let table = try TopicConfigTable(path: path, logger: testLogger, write: probe.write)
    let putReturned = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        _ = try? table.put(topic("Admin"), persistence: .synchronous)
        putReturned.signal()
    }
    #expect(probe.firstWriteEntered.wait(timeout: .now() + 10) == .success)
    // The write of "Admin" is stuck on disk: other callers still read and change the table at once.
    let others = DispatchSemaphore(value: 0)
    let seen = Mutex<TopicConfig?>(nil)
    DispatchQueue.global().async {
        let admin = table.get("Admin")
        _ = try? table.put(topic("%RETRY%G"), persistence: .background)
        _ = table.all()
        seen.withLock { $0 = admin }
        others.signal()
    }
    #expect(others.wait(timeout: .now() + 10) == .success)
    #expect(seen.withLock { $0 } == topic("Admin") && table.get("%RETRY%G") != nil)
    #expect(putReturned.wait(timeout: .now()) == .timedOut)  // a synchronous put answers only once durable
    probe.releaseFirstWrite.signal()
    #expect(putReturned.wait(timeout: .now() + 10) == .success)
    try table.persistNow()
    #expect(probe.versions.withLock { $0 } == [1, 2])
    #expect(try TopicConfigTable(path: path).all().map(\.topicName) == ["%RETRY%G", "Admin"])
}

@Test func olderSnapshotNeverReplacesNewer() throws {
    let path = temporaryDirectory() + "/config/topics.json"
    let probe = WriteProbe(holdFirst: true)
    let table = try TopicConfigTable(path: path, logger: testLogger, write: probe.write)
    try table.put(topic("T1"), persistence: .background)
    #expect(probe.firstWriteEntered.wait(timeout: .now() + 10) == .success)
    try table.put(topic("T2"), persistence: .background)
    try table.put(topic("T3"), persistence: .background)
    probe.releaseFirstWrite.signal()
    try table.persistNow()
    // Version 2 was never written on its own: the writer took the newest snapshot.
    #expect(probe.versions.withLock { $0 } == [1, 3])
    #expect((json(path)["dataVersion"] as? [String: Any])?["counter"] as? Int == 3)
}

@Test func concurrentChangesAreWrittenInVersionOrder() throws {
    let path = temporaryDirectory() + "/config/subscriptionGroup.json"
    let probe = WriteProbe()
    let table = try SubscriptionGroupTable(path: path, logger: testLogger, write: probe.write)
    DispatchQueue.concurrentPerform(iterations: 40) { i in
        _ = try? table.getOrCreate("G\(i)", persistence: i % 3 == 0 ? .synchronous : .background)
    }
    try table.persistNow()
    let versions = probe.versions.withLock { $0 }
    #expect(zip(versions, versions.dropFirst()).allSatisfy { $0 < $1 } && versions.last == 40)
    #expect(table.dataVersion.counter == 40)
    let reloaded = try SubscriptionGroupTable(path: path)
    #expect(reloaded.all() == table.all() && reloaded.all().count == 40)
}

@Test func failedSynchronousWriteIsRetriedByTheNextCall() throws {
    let path = temporaryDirectory() + "/config/topics.json"
    let table = try TopicConfigTable(path: path, logger: testLogger, write: WriteProbe(failFirst: true).write)
    #expect(throws: StoreError.self) { try table.put(topic("T")) }
    #expect(table.get("T") == topic("T"))  // applied in memory, not durable yet
    #expect(try !table.put(topic("T")))  // nothing changes, but the pending version is written now
    #expect(try TopicConfigTable(path: path).get("T") == topic("T"))
}

@Test func backgroundPersistenceReachesDisk() throws {
    let dir = temporaryDirectory() + "/config"
    let offsets = try ConsumerOffsetTable(path: dir + "/consumerOffset.json")
    offsets.commit(group: "G", topic: "T", queueId: 0, offset: 7)
    try offsets.persist(.background)
    #expect(eventually { (try? ConsumerOffsetTable(path: dir + "/consumerOffset.json"))?.query(group: "G", topic: "T", queueId: 0) == 7 })

    let groups = try SubscriptionGroupTable(path: dir + "/subscriptionGroup.json")
    #expect(try groups.getOrCreate("G", persistence: .background) == SubscriptionGroupConfig(groupName: "G"))
    #expect(eventually { (try? SubscriptionGroupTable(path: dir + "/subscriptionGroup.json"))?.get("G") != nil })
}

@Test func subscriptionGroupsFromOlderFilesTakeDefaults() throws {
    let path = temporaryDirectory() + "/subscriptionGroup.json"
    writeFileBytes(Array("""
        {"dataVersion":{"counter":3,"timestamp":0},
         "subscriptionGroupTable":{"Old":{"groupName":"Old","consumeEnable":false,"retryQueueNums":2},"Bare":{}}}
        """.utf8), path)
    let table = try SubscriptionGroupTable(path: path)
    #expect(table.get("Old") == SubscriptionGroupConfig(groupName: "Old", consumeEnable: false, retryQueueNums: 2))
    #expect(table.get("Old")?.retryMaxTimes == 16 && table.get("Bare") == SubscriptionGroupConfig(groupName: "Bare"))
    var changed = SubscriptionGroupConfig(groupName: "Bare", retryMaxTimes: 3, brokerId: 1)
    #expect(try table.put(changed))
    #expect(try !table.put(changed))
    changed.notifyConsumerIdsChangedEnable = false
    try table.put(changed)
    #expect(table.dataVersion.counter == 5)
    #expect(try SubscriptionGroupTable(path: path).get("Bare") == changed)
}

@Test func aGroupsConsumeSwitchesFollowEveryChangeAtOnce() throws {
    let table = try SubscriptionGroupTable(path: temporaryDirectory() + "/config/subscriptionGroup.json")
    #expect(table.consumeSwitches("G") == nil)
    try table.getOrCreate("G")
    #expect(table.consumeSwitches("G") == .init(consumeEnable: true, consumeBroadcastEnable: true))
    #expect(table.consumeSwitches("G") == .init(consumeEnable: true, consumeBroadcastEnable: true), "read again")
    try table.put(SubscriptionGroupConfig(groupName: "G", consumeEnable: false))
    #expect(table.consumeSwitches("G") == .init(consumeEnable: false, consumeBroadcastEnable: true))
    try table.put(SubscriptionGroupConfig(groupName: "G", consumeBroadcastEnable: false))
    #expect(table.consumeSwitches("G") == .init(consumeEnable: true, consumeBroadcastEnable: false))
    #expect(table.consumeSwitches("H") == nil)
    try table.remove("G")
    #expect(table.consumeSwitches("G") == nil)
}
