// Body tests: the exact spec examples (route with unquoted keys, C++ heartbeat, lock body with LF) and encodings.

import ApusMessage
import ApusRemoting
import NIOCore
import Testing

@Test func routeDataParsesFastjsonUnquotedKeysAndOldFlagSpelling() throws {
    let text = #"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"orderTopicConf":"broker-a:4","queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":2,"writeQueueNums":4}]}"#
    let route = try TopicRouteData.decode(ByteBuffer(string: text))
    #expect(route.brokerDatas == [BrokerData(cluster: "DefaultCluster", brokerName: "broker-a",
                                             brokerAddrs: [0: "10.0.0.5:10911", 1: "10.0.0.6:10911"])])
    #expect(route.queueDatas == [QueueData(brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 2)])
}

@Test func routeDataEncodesStandardJSON() throws {
    let route = TopicRouteData(
        queueDatas: [QueueData(brokerName: "b", readQueueNums: 8, writeQueueNums: 8, perm: 6)],
        brokerDatas: [BrokerData(cluster: "C", brokerName: "b", brokerAddrs: [1: "127.0.0.1:20911", 0: "127.0.0.1:10911"])])
    let text = String(buffer: route.encode())
    #expect(text == #"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:20911"},"brokerName":"b","cluster":"C"}],"filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":8,"topicSynFlag":0,"topicSysFlag":0,"writeQueueNums":8}]}"#)
    #expect(!text.contains("orderTopicConf"))
    #expect(try TopicRouteData.decode(route.encode()) == route)
}

@Test func parsesTheExactCppHeartbeat() throws {
    let text = #"{"clientID":"22256-127.0.0.1@DEFAULT","consumerDataSet":[{"consumeFromWhere":0,"consumeType":1,"groupName":"GID_TAG","messageModel":1,"subscriptionDataSet":[{"subString":"*","subVersion":"1795561262109","topic":"%RETRY%GID_TAG"},{"codeSet":[0,0],"subString":"TagA || TagC","subVersion":"1795561262109","tagsSet":["TagA","TagC"],"topic":"TopicTest"}]}]}"# + "\n"
    let heartbeat = try HeartbeatData.decode(ByteBuffer(string: text))
    #expect(heartbeat.clientID == "22256-127.0.0.1@DEFAULT")
    #expect(heartbeat.producerDataSet.isEmpty)
    let consumer = try #require(heartbeat.consumerDataSet.first)
    #expect(consumer.groupName == "GID_TAG" && consumer.consumeType == .consumePassively)
    #expect(consumer.messageModel == .clustering && consumer.consumeFromWhere == 0 && !consumer.unitMode)
    #expect(consumer.subscriptionDataSet == [
        SubscriptionDataWire(topic: "%RETRY%GID_TAG", subString: "*", subVersion: 1_795_561_262_109),
        SubscriptionDataWire(topic: "TopicTest", subString: "TagA || TagC", tagsSet: ["TagA", "TagC"], codeSet: [0, 0],
                             subVersion: 1_795_561_262_109),
    ])

    let producer = try HeartbeatData.decode(ByteBuffer(string: #"{"clientID":"1-1.2.3.4@DEFAULT","producerDataSet":[{"groupName":"PG_TEST"}]}"# + "\n"))
    #expect(producer.producerDataSet == [ProducerData(groupName: "PG_TEST")] && producer.consumerDataSet.isEmpty)
}

@Test func heartbeatAcceptsJavaEnumNamesAndEncodesThem() throws {
    let java = #"{"clientID":"c","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_ACTIVELY","groupName":"G","messageModel":"BROADCASTING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":17,"tagsSet":[],"topic":"T"}],"unitMode":true}],"producerDataSet":[]}"#
    let heartbeat = try HeartbeatData.decode(ByteBuffer(string: java))
    let consumer = try #require(heartbeat.consumerDataSet.first)
    #expect(consumer.consumeType == .consumeActively && consumer.messageModel == .broadcasting)
    #expect(consumer.consumeFromWhere == 4 && consumer.unitMode)
    #expect(consumer.subscriptionDataSet.first?.expressionType == "TAG")
    #expect(consumer.subscriptionDataSet.first?.subVersion == 17)
    // Encoding writes Java's names and parses back to the same value.
    #expect(String(buffer: heartbeat.encode()) == java)
    #expect(try HeartbeatData.decode(heartbeat.encode()) == heartbeat)
}

@Test func heartbeatMissingKeysGetDefaults() throws {
    let heartbeat = try HeartbeatData.decode(ByteBuffer(string: #"{"consumerDataSet":[{"groupName":"G"}]}"#))
    #expect(heartbeat.clientID == "")
    #expect(heartbeat.consumerDataSet == [ConsumerData(groupName: "G")])
    #expect(throws: JSONError.self) { try HeartbeatData.decode(ByteBuffer(string: "[]")) }
}

@Test func lockBodiesParseCppFormAndEncodeQueueIdAsNumber() throws {
    let text = #"{"clientId":"123-127.0.0.1@DEFAULT","consumerGroup":"GID_ORDER","mqSet":[{"brokerName":"b","queueId":0,"topic":"t"},{"brokerName":"b","queueId":3,"topic":"t"}]}"# + "\n"
    let request = try LockBatchRequestBody.decode(ByteBuffer(string: text))
    #expect(request == LockBatchRequestBody(consumerGroup: "GID_ORDER", clientId: "123-127.0.0.1@DEFAULT",
                                            mqSet: [MessageQueue(topic: "t", brokerName: "b", queueId: 0),
                                                    MessageQueue(topic: "t", brokerName: "b", queueId: 3)]))
    #expect(try LockBatchRequestBody.decode(request.encode()) == request)

    let response = LockBatchResponseBody(lockOKMQSet: [MessageQueue(topic: "t", brokerName: "b", queueId: 3)])
    #expect(String(buffer: response.encode()) == #"{"lockOKMQSet":[{"brokerName":"b","queueId":3,"topic":"t"}]}"#)
    #expect(try LockBatchResponseBody.decode(response.encode()) == response)
}

@Test func consumerListSkipsNonStrings() throws {
    let body = ConsumerListBody(consumerIdList: ["a", "b"])
    #expect(String(buffer: body.encode()) == #"{"consumerIdList":["a","b"]}"#)
    #expect(try ConsumerListBody.decode(ByteBuffer(string: #"{"consumerIdList":["a",1,null,"b"]}"#)) == body)
}

@Test func registerBrokerBodyMatchesJavaShape() throws {
    let text = #"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4}}}}"#
    let body = try RegisterBrokerBody.decode(ByteBuffer(string: text))
    #expect(body.dataVersion == DataVersionWire(counter: 3, timestamp: 1_700_000_000_000))
    #expect(body.topicConfigTable == ["T": TopicConfigWire(topicName: "T", readQueueNums: 4, writeQueueNums: 4)])
    #expect(String(buffer: body.encode()) == text)
}

@Test func clusterInfoAndTopicListRoundTrip() throws {
    let info = ClusterInfo(
        brokerAddrTable: ["b": BrokerData(cluster: "C", brokerName: "b", brokerAddrs: [0: "1.2.3.4:10911"])],
        clusterAddrTable: ["C": ["b"]])
    #expect(String(buffer: info.encode()) == #"{"brokerAddrTable":{"b":{"brokerAddrs":{"0":"1.2.3.4:10911"},"brokerName":"b","cluster":"C"}},"clusterAddrTable":{"C":["b"]}}"#)
    #expect(try ClusterInfo.decode(info.encode()) == info)
    let topics = TopicList(topicList: ["A", "%RETRY%G"])
    #expect(try TopicList.decode(topics.encode()) == topics)
}
