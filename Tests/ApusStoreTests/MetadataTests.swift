// Tests of the JSON metadata tables and AtomicFile.
import ApusMessage
@testable import ApusStore
import Foundation
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
