// Admin body and header tests: the JSON shapes of admin.md (quoted MessageQueue keys, sorted keys, enums as names,
// numbers as numbers), lenient decoding of what the tools send, and the admin request headers.

import ApusMessage
import ApusRemoting
import NIOCore
import Testing

private let q0 = MessageQueue(topic: "TopicTest", brokerName: "broker-a", queueId: 0)
private let q1 = MessageQueue(topic: "TopicTest", brokerName: "broker-a", queueId: 1)

@Test func messageQueueKeyIsFastjsonsCompactObject() throws {
    #expect(q0.jsonKey == #"{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}"#)
    #expect(MessageQueue(jsonKey: q0.jsonKey) == q0)
    #expect(MessageQueue(jsonKey: "TopicTest") == nil)
}

@Test func consumeStatsEncodeAsAdminSpecShows() throws {
    let body = ConsumeStatsBody(offsetTable: [
        q1: OffsetWrapperWire(brokerOffset: 50, consumerOffset: 50, lastTimestamp: 0),
        q0: OffsetWrapperWire(brokerOffset: 100, consumerOffset: 90, lastTimestamp: 1_700_000_000_000),
    ], consumeTps: 2.5)
    let text = String(buffer: body.encode())
    #expect(text == #"{"consumeTps":2.5,"offsetTable":{"{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"TopicTest\"}":{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000},"{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"TopicTest\"}":{"brokerOffset":50,"consumerOffset":50,"lastTimestamp":0}}}"#)
    #expect(try ConsumeStatsBody.decode(body.encode()) == body)
    #expect(String(buffer: ConsumeStatsBody(offsetTable: [:], consumeTps: 0).encode()) == #"{"consumeTps":0.0,"offsetTable":{}}"#)
    #expect(String(buffer: ConsumeStatsBody(offsetTable: [:], consumeTps: .nan).encode()) == #"{"consumeTps":0.0,"offsetTable":{}}"#)
}

@Test func topicStatsTableEncodesQuotedQueueKeys() throws {
    let body = TopicStatsTable(offsetTable: [q0: TopicOffsetWire(minOffset: 0, maxOffset: 100, lastUpdateTimestamp: 1_700_000_000_123)])
    #expect(String(buffer: body.encode())
        == #"{"offsetTable":{"{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"TopicTest\"}":{"lastUpdateTimestamp":1700000000123,"maxOffset":100,"minOffset":0}}}"#)
    #expect(try TopicStatsTable.decode(body.encode()) == body)
}

@Test func resetOffsetBodiesInJavaAndCppForms() throws {
    let java = ResetOffsetBody(offsetTable: [q1: 7, q0: 42])
    #expect(String(buffer: java.encode())
        == #"{"offsetTable":{"{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"TopicTest\"}":42,"{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"TopicTest\"}":7}}"#)
    #expect(try ResetOffsetBody.decode(java.encode()) == java)
    let c = ResetOffsetBodyForC(offsetTable: [q0: 42])
    #expect(String(buffer: c.encode()) == #"{"offsetTable":[{"brokerName":"broker-a","offset":42,"queueId":0,"topic":"TopicTest"}]}"#)
    #expect(try ResetOffsetBodyForC.decode(c.encode()) == c)
}

@Test func subscriptionGroupConfigFromMqadminAndDefaults() throws {
    let text = #"{"brokerId":0,"consumeBroadcastEnable":false,"consumeEnable":true,"consumeFromMinEnable":false,"groupName":"GID_B","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}"#
    let config = try SubscriptionGroupConfigWire.decode(ByteBuffer(string: text))
    #expect(config == SubscriptionGroupConfigWire(groupName: "GID_B", consumeFromMinEnable: false, consumeBroadcastEnable: false))
    #expect(String(buffer: config.encode()) == text, "written back in fastjson's key order")
    let sparse = try SubscriptionGroupConfigWire.decode(ByteBuffer(string: #"{"groupName":"G","retryMaxTimes":"3"}"#))
    #expect(sparse == SubscriptionGroupConfigWire(groupName: "G", retryMaxTimes: 3))
    #expect(throws: (any Error).self) { try SubscriptionGroupConfigWire.decode(ByteBuffer(string: "[]")) }

    let wrapper = SubscriptionGroupWrapper(subscriptionGroupTable: ["G": sparse], dataVersion: DataVersionWire(counter: 1, timestamp: 5))
    #expect(String(buffer: wrapper.encode())
        == #"{"dataVersion":{"counter":1,"timestamp":5},"subscriptionGroupTable":{"G":{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"G","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}}"#)
    #expect(try SubscriptionGroupWrapper.decode(wrapper.encode()) == wrapper)
}

@Test func topicConfigWrapperAsGetAllTopicConfig() throws {
    let wrapper = TopicConfigSerializeWrapper(
        topicConfigTable: ["TopicTest": TopicConfigWire(topicName: "TopicTest", readQueueNums: 4, writeQueueNums: 4)],
        dataVersion: DataVersionWire(counter: 3, timestamp: 1_700_000_000_000))
    #expect(String(buffer: wrapper.encode())
        == #"{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}"#)
    #expect(try TopicConfigSerializeWrapper.decode(wrapper.encode()) == wrapper)
}

@Test func consumerAndProducerConnectionsAsAdminSpecShows() throws {
    let connection = ConnectionWire(clientId: "10.0.0.9@4242", clientAddr: "10.0.0.9:50001", language: "JAVA", version: 409)
    let body = ConsumerConnectionBody(
        connectionSet: [connection],
        subscriptionTable: ["TopicTest": SubscriptionDataWire(topic: "TopicTest", subString: "*", subVersion: 1_700_000_000_000,
                                                               expressionType: "TAG")],
        consumeType: "CONSUME_PASSIVELY", messageModel: "CLUSTERING", consumeFromWhere: ConsumeFromWhereName.name(of: 0))
    #expect(String(buffer: body.encode())
        == #"{"connectionSet":[{"clientAddr":"10.0.0.9:50001","clientId":"10.0.0.9@4242","language":"JAVA","version":409}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"TopicTest":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000000,"tagsSet":[],"topic":"TopicTest"}}}"#)
    #expect(try ConsumerConnectionBody.decode(body.encode()) == body)
    #expect(ConsumeFromWhereName.name(of: 4) == "CONSUME_FROM_FIRST_OFFSET" && ConsumeFromWhereName.name(of: 99) == "CONSUME_FROM_LAST_OFFSET")

    let producers = ProducerConnectionBody(connectionSet: [connection])
    #expect(String(buffer: producers.encode())
        == #"{"connectionSet":[{"clientAddr":"10.0.0.9:50001","clientId":"10.0.0.9@4242","language":"JAVA","version":409}]}"#)
    #expect(try ProducerConnectionBody.decode(producers.encode()) == producers)
}

@Test func kvTableValuesAreStrings() throws {
    let table = KVTable(table: ["putTps": "0.0 0.0 0.0", "brokerVersion": "401"])
    #expect(String(buffer: table.encode()) == #"{"table":{"brokerVersion":"401","putTps":"0.0 0.0 0.0"}}"#)
    #expect(try KVTable.decode(table.encode()) == table)
}

@Test func adminRequestHeaders() throws {
    #expect(try TopicRequestHeader(extFields: ["topic": "T"]) == TopicRequestHeader(topic: "T"))
    #expect(throws: HeaderError.missing(field: "topic")) { try TopicRequestHeader(extFields: [:]) }
    #expect(try DeleteTopicFromNamesrvRequestHeader(extFields: ["topic": "T", "clusterName": ""]).clusterName == nil)
    #expect(try DeleteTopicFromNamesrvRequestHeader(extFields: ["topic": "T", "clusterName": "C"]).clusterName == "C")
    let delete = try DeleteSubscriptionGroupRequestHeader(extFields: ["groupName": "G", "removeOffset": "true"])
    #expect(delete == DeleteSubscriptionGroupRequestHeader(groupName: "G", removeOffset: true))
    #expect(try DeleteSubscriptionGroupRequestHeader(extFields: delete.extFields()) == delete)
    #expect(try GetConsumeStatsRequestHeader(extFields: ["consumerGroup": "G", "topic": " "]).topic == nil)
    #expect(try GetConsumeStatsRequestHeader(extFields: ["consumerGroup": "G", "topic": "T"]).topic == "T")
    #expect(try GetConsumerConnectionListRequestHeader(extFields: ["consumerGroup": "G"]).consumerGroup == "G")
    #expect(try GetProducerConnectionListRequestHeader(extFields: ["producerGroup": "P"]).producerGroup == "P")
    let reset = try ResetOffsetRequestHeader(extFields: ["topic": "T", "group": "G", "timestamp": "-1", "isForce": "true"])
    #expect(reset == ResetOffsetRequestHeader(topic: "T", group: "G", timestamp: -1, isForce: true))
}

@Test func groupListProducerTableAndSystemTopicList() throws {
    let groups = GroupList(groupList: ["GID_A", "GID_B"])
    #expect(String(buffer: groups.encode()) == #"{"groupList":["GID_A","GID_B"]}"#)
    #expect(try GroupList.decode(groups.encode()) == groups)
    let producers = ProducerTableInfo(data: ["PG_A": [ProducerInfoWire(clientId: "10.0.0.9@4242", remoteIP: "/10.0.0.9:50002",
                                                                       language: "JAVA", version: 409, lastUpdateTimestamp: 1_700_000_000_000)]])
    #expect(String(buffer: producers.encode())
        == #"{"data":{"PG_A":[{"clientId":"10.0.0.9@4242","language":"JAVA","lastUpdateTimestamp":1700000000000,"remoteIP":"/10.0.0.9:50002","version":409}]}}"#)
    #expect(try ProducerTableInfo.decode(producers.encode()) == producers)
    let system = TopicList(topicList: ["DefaultCluster", "broker-a"], brokerAddr: "10.0.0.5:10911")
    #expect(String(buffer: system.encode()) == #"{"brokerAddr":"10.0.0.5:10911","topicList":["DefaultCluster","broker-a"]}"#)
    #expect(try TopicList.decode(system.encode()) == system)
    #expect(String(buffer: TopicList(topicList: ["T"]).encode()) == #"{"topicList":["T"]}"#)
}

@Test func brokerStatsDataAsViewBrokerStatsData() throws {
    let body = BrokerStatsData(statsMinute: BrokerStatsItemWire(sum: 60, tps: 1.0, avgpt: 0.0),
                               statsHour: BrokerStatsItemWire(sum: 0, tps: 0, avgpt: 0),
                               statsDay: BrokerStatsItemWire(sum: 60, tps: 0.5, avgpt: 2.5))
    #expect(String(buffer: body.encode())
        == #"{"statsDay":{"avgpt":2.5,"sum":60,"tps":0.5},"statsHour":{"avgpt":0.0,"sum":0,"tps":0.0},"statsMinute":{"avgpt":0.0,"sum":60,"tps":1.0}}"#)
    #expect(try BrokerStatsData.decode(body.encode()) == body)
    #expect(try ViewBrokerStatsDataRequestHeader(extFields: ["statsName": "TOPIC_PUT_NUMS", "statsKey": "T"])
        == ViewBrokerStatsDataRequestHeader(statsName: "TOPIC_PUT_NUMS", statsKey: "T"))
}

@Test func consumeStatsListAsBrokerConsumeStats() throws {
    let stats = ConsumeStatsBody(offsetTable: [q0: OffsetWrapperWire(brokerOffset: 3, consumerOffset: 1, lastTimestamp: 5)], consumeTps: 0)
    let body = ConsumeStatsList(brokerAddr: "10.0.0.5:10911", consumeStatsList: [.init(group: "GID_A", stats: [stats])], totalDiff: 2)
    #expect(String(buffer: body.encode())
        == #"{"brokerAddr":"10.0.0.5:10911","consumeStatsList":[{"GID_A":[{"consumeTps":0.0,"offsetTable":{"{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"TopicTest\"}":{"brokerOffset":3,"consumerOffset":1,"lastTimestamp":5}}}]}],"totalDiff":2}"#)
    #expect(try ConsumeStatsList.decode(body.encode()) == body)
    #expect(try WritePermCountHeader(extFields: ["wipeTopicCount": "3"]) == WritePermCountHeader(kind: .wipe, count: 3))
    #expect(WritePermCountHeader(kind: .add, count: 2).extFields() == ["addTopicCount": "2"])
    #expect(try KVConfigRequestHeader(extFields: ["namespace": "N", "key": ""]) == KVConfigRequestHeader(namespace: "N"))
}

@Test func consumeTimeSpanAndConsumeQueueBodies() throws {
    #expect(javaTimeSpanText(1_700_000_000_123) == "2023-11-14#22:13:20:123")
    #expect(javaTimeSpanText(0) == "1970-01-01#00:00:00:000")
    #expect(javaTimeSpanText(-1) == "1969-12-31#23:59:59:999")
    let span = QueryConsumeTimeSpanBody(consumeTimeSpanSet: [QueueTimeSpanWire(
        messageQueue: q0, minTimeStamp: 0, maxTimeStamp: 1_700_000_000_123, consumeTimeStamp: 0, delayTime: 5)])
    #expect(String(buffer: span.encode())
        == #"{"consumeTimeSpanSet":[{"consumeTimeStamp":0,"consumeTimeStampStr":"1970-01-01#00:00:00:000","delayTime":5,"maxTimeStamp":1700000000123,"maxTimeStampStr":"2023-11-14#22:13:20:123","messageQueue":{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"},"minTimeStamp":0,"minTimeStampStr":"1970-01-01#00:00:00:000"}]}"#)
    #expect(try QueryConsumeTimeSpanBody.decode(span.encode()) == span)
    let cq = QueryConsumeQueueResponseBody(subscriptionData: nil, queueData: [ConsumeQueueDataWire(physicOffset: 4096, physicSize: 193, tagsCode: 2_598_919)],
                                           maxQueueIndex: 10, minQueueIndex: 0)
    #expect(String(buffer: cq.encode())
        == #"{"maxQueueIndex":10,"minQueueIndex":0,"queueData":[{"eval":false,"physicOffset":4096,"physicSize":193,"tagsCode":2598919}]}"#)
    #expect(try QueryConsumeQueueResponseBody.decode(cq.encode()) == cq)
}

@Test func apusAdditionsTo208And203RoundTripInKeysJavaIgnores() throws {
    // 208: the oldest unconsumed store time in the OffsetWrapper (only when known), broadcasting's observed positions.
    let stats = ConsumeStatsBody(
        offsetTable: [q0: OffsetWrapperWire(brokerOffset: 3, consumerOffset: 1, lastTimestamp: 5, oldestUnconsumedTimestamp: 7)],
        consumeTps: 0, broadcasting: true,
        observedPositions: [ObservedPositionWire(clientId: "c1", topic: "TopicTest", queueId: 0, nextOffset: 2, lastPull: 9, brokerOffset: 3)])
    #expect(String(buffer: stats.encode())
        == #"{"apusBroadcasting":true,"apusObservedPositions":[{"brokerOffset":3,"clientId":"c1","lastPull":9,"nextOffset":2,"queueId":0,"topic":"TopicTest"}],"consumeTps":0.0,"offsetTable":{"{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"TopicTest\"}":{"brokerOffset":3,"consumerOffset":1,"lastTimestamp":5,"oldestUnconsumedTimestamp":7}}}"#)
    #expect(try ConsumeStatsBody.decode(stats.encode()) == stats)

    // 203: the consistency verdict.
    let verdict = SubscriptionVerdictWire(differences: [.init(
        aspect: "expression", topic: "TopicTest",
        variants: [.init(value: "TagA", clientIds: ["c1"]), .init(value: "TagB", clientIds: ["c2", "c3"])],
        text: "expression of TopicTest differs: TagA by c1; TagB by c2,c3")])
    let connection = ConsumerConnectionBody(connectionSet: [], subscriptionTable: [:], consumeType: "CONSUME_PASSIVELY",
                                            messageModel: "CLUSTERING", consumeFromWhere: "CONSUME_FROM_LAST_OFFSET", verdict: verdict)
    let text = String(buffer: connection.encode())
    #expect(text.hasPrefix(#"{"apusSubscriptionVerdict":{"consistent":false,"differences":[{"aspect":"expression","text":"expression of TopicTest differs: TagA by c1; TagB by c2,c3","topic":"TopicTest","variants":[{"clientIds":["c1"],"value":"TagA"},{"clientIds":["c2","c3"],"value":"TagB"}]}]},"connectionSet":[]"#))
    #expect(try ConsumerConnectionBody.decode(connection.encode()) == connection)
    let consistent = ConsumerConnectionBody(connectionSet: [], subscriptionTable: [:], consumeType: "", messageModel: "",
                                            consumeFromWhere: "", verdict: SubscriptionVerdictWire(differences: []))
    #expect(String(buffer: consistent.encode()).hasPrefix(#"{"apusSubscriptionVerdict":{"consistent":true,"differences":[]},"#))
}
