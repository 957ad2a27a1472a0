// Tests for RouteInfoTable: registration, route building, data versions, expiry and disconnects.

import ApusNameServer
import ApusRemoting
import Testing

private func topic(_ name: String, queues: Int32 = 4, perm: Int32 = 6) -> TopicConfigWire {
    TopicConfigWire(topicName: name, readQueueNums: queues, writeQueueNums: queues, perm: perm,
                    topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false)
}

private func registration(_ topics: [TopicConfigWire], version: Int64 = 1, name: String = "broker-a",
                          addr: String = "127.0.0.1:10911", id: Int64 = 0) -> BrokerRegistration {
    BrokerRegistration(clusterName: "DefaultCluster", brokerName: name, brokerAddr: addr, brokerId: id,
                       topics: topics, dataVersion: DataVersionWire(counter: version, timestamp: 1))
}

@Test func registeredTopicHasRouteWithBrokerAddress() {
    var table = RouteInfoTable()
    table.register(registration([topic("T", queues: 8), topic("TBW102", queues: 8, perm: 7)]), connection: 1, now: 0)
    let route = table.route(topic: "T")
    #expect(route?.queueDatas.map(\.readQueueNums) == [8])
    #expect(route?.brokerDatas.first?.brokerAddrs[0] == "127.0.0.1:10911")
    #expect(table.route(topic: "TBW102")?.queueDatas.first?.perm == 7)
    #expect(table.route(topic: "missing") == nil)
}

@Test func newDataVersionReplacesTopicsAndDropsRemovedOnes() {
    var table = RouteInfoTable()
    table.register(registration([topic("A"), topic("B")], version: 1), connection: 1, now: 0)
    table.register(registration([topic("A", queues: 2)], version: 2), connection: 1, now: 1)
    #expect(table.route(topic: "A")?.queueDatas.first?.writeQueueNums == 2)
    #expect(table.route(topic: "B") == nil)
}

@Test func sameDataVersionOnlyRefreshesLiveness() {
    var table = RouteInfoTable(expiryMillis: 100)
    table.register(registration([topic("A")], version: 1), connection: 1, now: 0)
    table.register(registration([], version: 1), connection: 1, now: 90)
    #expect(table.route(topic: "A") != nil)
    #expect(table.expire(now: 150).isEmpty)
}

@Test func silentBrokerExpiresWithItsTopics() {
    var table = RouteInfoTable(expiryMillis: 120_000)
    table.register(registration([topic("A")]), connection: 1, now: 0)
    #expect(table.expire(now: 100_000).isEmpty)
    #expect(table.expire(now: 120_001) == ["127.0.0.1:10911"])
    #expect(table.route(topic: "A") == nil)
    #expect(table.clusterInfo.brokerAddrTable.isEmpty)
}

@Test func closedRegistrationConnectionRemovesBroker() {
    var table = RouteInfoTable()
    table.register(registration([topic("A")], name: "a", addr: "127.0.0.1:1"), connection: 1, now: 0)
    table.register(registration([topic("A")], name: "b", addr: "127.0.0.1:2"), connection: 2, now: 0)
    #expect(table.route(topic: "A")?.queueDatas.map(\.brokerName) == ["a", "b"])
    #expect(table.connectionClosed(1) == ["127.0.0.1:1"])
    #expect(table.route(topic: "A")?.queueDatas.map(\.brokerName) == ["b"])
    #expect(table.route(topic: "A")?.brokerDatas.map(\.brokerName) == ["b"])
}

@Test func slaveRegistrationAddsAddressButNotTopics() {
    var table = RouteInfoTable()
    table.register(registration([topic("A")]), connection: 1, now: 0)
    table.register(registration([topic("B")], addr: "127.0.0.1:10921", id: 1), connection: 2, now: 0)
    #expect(table.route(topic: "A")?.brokerDatas.first?.brokerAddrs == [0: "127.0.0.1:10911", 1: "127.0.0.1:10921"])
    #expect(table.route(topic: "B") == nil)
}

@Test func deleteTopicRemovesItEverywhereOrOnlyFromOneCluster() {
    var table = RouteInfoTable()
    table.register(registration([topic("T"), topic("U")]), connection: 1, now: 0)
    table.register(BrokerRegistration(clusterName: "Other", brokerName: "broker-b", brokerAddr: "127.0.0.2:10911", brokerId: 0,
                                      topics: [topic("T")], dataVersion: DataVersionWire(counter: 1, timestamp: 1)),
                   connection: 2, now: 0)
    table.deleteTopic("T", clusterName: "Other")
    #expect(table.route(topic: "T")?.queueDatas.map(\.brokerName) == ["broker-a"], "only the named cluster's brokers lose it")
    table.deleteTopic("T", clusterName: "NoSuchCluster")
    #expect(table.route(topic: "T") != nil)
    table.deleteTopic("T", clusterName: nil)
    #expect(table.route(topic: "T") == nil && !table.topics.contains("T"))
    #expect(table.topics.contains("U"))
    table.deleteTopic("NeverExisted", clusterName: nil)
}

@Test func systemTopicListHasClusterAndBrokerNamesAndAMasterAddress() {
    var table = RouteInfoTable()
    #expect(table.systemTopicList.topics.isEmpty && table.systemTopicList.brokerAddr == nil)
    table.register(registration([topic("T")], addr: "127.0.0.1:20911", id: 1), connection: 1, now: 0)
    table.register(registration([topic("T")]), connection: 2, now: 0)
    #expect(table.systemTopicList.topics == ["DefaultCluster", "broker-a"])
    #expect(table.systemTopicList.brokerAddr == "127.0.0.1:10911")
}

@Test func topicsByClusterAndWritePermission() {
    var table = RouteInfoTable()
    table.register(registration([topic("T"), topic("U", perm: 4)]), connection: 1, now: 0)
    table.register(BrokerRegistration(clusterName: "Other", brokerName: "broker-b", brokerAddr: "127.0.0.2:10911", brokerId: 0,
                                      topics: [topic("V")], dataVersion: DataVersionWire(counter: 1, timestamp: 1)),
                   connection: 2, now: 0)
    #expect(table.topics(inCluster: "DefaultCluster") == ["T", "U"])
    #expect(table.topics(inCluster: "Other") == ["V"] && table.topics(inCluster: "Nope").isEmpty)
    #expect(table.wipeWritePermission(brokerName: "broker-a") == 2)
    #expect(table.route(topic: "T")?.queueDatas.first?.perm == 4 && table.route(topic: "U")?.queueDatas.first?.perm == 4)
    #expect(table.route(topic: "V")?.queueDatas.first?.perm == 6, "other brokers untouched")
    #expect(table.addWritePermission(brokerName: "broker-a") == 2)
    #expect(table.route(topic: "U")?.queueDatas.first?.perm == 6, "exactly read | write")
    #expect(table.wipeWritePermission(brokerName: "nobody") == 0)
    // Until the broker registers a changed data version.
    _ = table.wipeWritePermission(brokerName: "broker-a")
    table.register(registration([topic("T"), topic("U", perm: 4)], version: 2), connection: 1, now: 1)
    #expect(table.route(topic: "T")?.queueDatas.first?.perm == 6)
}

@Test func kvConfigTable() {
    var kv = KVConfigTable()
    kv.put(namespace: "ORDER_TOPIC_CONFIG", key: "T", value: "broker-a:4")
    #expect(kv.get(namespace: "ORDER_TOPIC_CONFIG", key: "T") == "broker-a:4")
    #expect(kv.list(namespace: "ORDER_TOPIC_CONFIG") == ["T": "broker-a:4"])
    kv.delete(namespace: "ORDER_TOPIC_CONFIG", key: "T")
    #expect(kv.get(namespace: "ORDER_TOPIC_CONFIG", key: "T") == nil && kv.list(namespace: "ORDER_TOPIC_CONFIG") == nil)
}
