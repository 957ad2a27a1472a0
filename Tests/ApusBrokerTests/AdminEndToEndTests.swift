// Admin codes over loopback remoting: a C++-speaking consumer and a producer heartbeat, then an admin client asks
// for the groups of a topic (300), consume stats (208), connections (203, 204), resets offsets (222 → the consumer
// receives 220 in the C++ list form), relays 307/309 to the consumer, deletes the topic on the broker (215) and the
// name server (216), changes and lists the broker config (25, 26), uses the name server's KV config and write
// permission; unknown codes answer 3.

import ApusMessage
import ApusRemoting
import Logging
import NIOCore
import Synchronization
import Testing

@Test func adminCodesOverRemoting() async throws {
    let h = try await BrokerHarness()
    let received = Mutex<[RemotingCommand]>([])
    let consumer = try await RemotingClient.connect(host: "127.0.0.1", port: h.brokerPort, group: h.group, logger: h.logger,
                                                    onRequest: { command, client in
        received.withLock { $0.append(command) }
        // A Java consumer answers 307/309; this one echoes what it was sent, with a remark of its own.
        if command.code == RequestCode.getConsumerRunningInfo.rawValue || command.code == RequestCode.consumeMessageDirectly.rawValue {
            client.respond(.response(to: command, code: .success, remark: "from the client", extFields: command.extFields,
                                     body: command.body ?? ByteBuffer(string: #"{"properties":{}}"#)))
        }
    })
    let admin = try await RemotingClient.connect(host: "127.0.0.1", port: h.brokerPort, group: h.group, logger: h.logger)
    let namesrv = try await RemotingClient.connect(host: "127.0.0.1", port: h.namesrvPort, group: h.group, logger: h.logger)
    func ask(_ client: RemotingClient, _ command: RemotingCommand) async throws -> RemotingCommand {
        try await client.request(command, timeout: .seconds(10))
    }

    let created = try await ask(admin, .request(code: .updateAndCreateTopic,
                                                header: CreateTopicRequestHeader(topic: "E2E", readQueueNums: 2, writeQueueNums: 2)))
    #expect(created.code == ResponseCode.success.rawValue)

    var heartbeat = RemotingCommand.request(code: .heartBeat, header: TopicRequestHeader(topic: "unused"), body: HeartbeatData(
        clientID: "127.0.0.1@cpp", producerDataSet: [ProducerData(groupName: "PE")],
        consumerDataSet: [ConsumerData(groupName: "GE", subscriptionDataSet: [SubscriptionDataWire(topic: "E2E", subString: "*")])]
    ).encode())
    heartbeat.language = "CPP"
    heartbeat.version = 0
    #expect(try await ask(consumer, heartbeat).code == ResponseCode.success.rawValue)
    for queueId: Int32 in 0...1 {
        let commit = try await ask(consumer, .request(code: .updateConsumerOffset, header: UpdateConsumerOffsetRequestHeader(
            consumerGroup: "GE", topic: "E2E", queueId: queueId, commitOffset: 0)))
        #expect(commit.code == ResponseCode.success.rawValue)
    }

    let who = try await ask(admin, .request(code: .queryTopicConsumeByWho, header: TopicRequestHeader(topic: "E2E")))
    #expect(try GroupList.decode(#require(who.body)).groupList == ["GE"])
    let badTopic = try await ask(admin, .request(code: .updateAndCreateTopic, header: CreateTopicRequestHeader(topic: "TBW102")))
    #expect(badTopic.code == ResponseCode.systemError.rawValue && badTopic.remark == "The topic[TBW102] is conflict with system topic.")
    let system = try await ask(namesrv, RemotingCommand(code: RequestCode.getSystemTopicListFromNs.rawValue))
    #expect(try TopicList.decode(#require(system.body)).brokerAddr == "127.0.0.1:\(h.brokerPort)")

    let stats = try await ask(admin, .request(code: .getConsumeStats, header: GetConsumeStatsRequestHeader(consumerGroup: "GE")))
    #expect(stats.code == ResponseCode.success.rawValue)
    let statsBody = try ConsumeStatsBody.decode(#require(stats.body))
    #expect(statsBody.offsetTable.keys.sorted().map(\.queueId) == [0, 1])

    let connections = try await ask(admin, .request(code: .getConsumerConnectionList,
                                                    header: GetConsumerConnectionListRequestHeader(consumerGroup: "GE")))
    let view = try ConsumerConnectionBody.decode(#require(connections.body))
    #expect(view.connectionSet.map(\.language) == ["CPP"] && view.connectionSet.first?.clientId == "127.0.0.1@cpp")
    #expect(view.connectionSet.first?.clientAddr.hasPrefix("127.0.0.1:") == true)
    #expect(view.messageModel == "CLUSTERING" && view.subscriptionTable["E2E"]?.subString == "*")
    let offline = try await ask(admin, .request(code: .getConsumerConnectionList,
                                                header: GetConsumerConnectionListRequestHeader(consumerGroup: "Nobody")))
    #expect(offline.code == ResponseCode.consumerNotOnline.rawValue && offline.remark == "the consumer group[Nobody] not online")

    let producers = try await ask(admin, .request(code: .getProducerConnectionList,
                                                  header: GetProducerConnectionListRequestHeader(producerGroup: "PE")))
    #expect(try ProducerConnectionBody.decode(#require(producers.body)).connectionSet.map(\.clientId) == ["127.0.0.1@cpp"])

    let reset = try await ask(admin, .request(code: .invokeBrokerToResetOffset,
                                              header: ResetOffsetRequestHeader(topic: "E2E", group: "GE", timestamp: -1, isForce: true)))
    #expect(reset.code == ResponseCode.success.rawValue)
    #expect(try ResetOffsetBody.decode(#require(reset.body)).offsetTable.count == 2)
    try await waitFor("RESET_CONSUMER_CLIENT_OFFSET") {
        received.withLock { $0.contains { $0.code == RequestCode.resetConsumerClientOffset.rawValue } }
    }
    let notice = try #require(received.withLock { $0.first { $0.code == RequestCode.resetConsumerClientOffset.rawValue } })
    #expect(notice.isOneway)
    #expect(try notice.decodeHeader(ResetOffsetRequestHeader.self) == ResetOffsetRequestHeader(topic: "E2E", group: "GE",
                                                                                                timestamp: -1, isForce: false))
    #expect(try ResetOffsetBodyForC.decode(#require(notice.body)).offsetTable.count == 2, "the C++ member gets the list form")

    let deleted = try await ask(admin, .request(code: .deleteTopicInBroker, header: TopicRequestHeader(topic: "E2E")))
    #expect(deleted.code == ResponseCode.success.rawValue)
    let stats202 = try await ask(admin, .request(code: .getTopicStatsInfo, header: TopicRequestHeader(topic: "E2E")))
    #expect(stats202.code == ResponseCode.topicNotExist.rawValue && stats202.remark == "topic[E2E] not exist")
    let nsDeleted = try await ask(namesrv, .request(code: .deleteTopicInNamesrv,
                                                    header: DeleteTopicFromNamesrvRequestHeader(topic: "E2E")))
    #expect(nsDeleted.code == ResponseCode.success.rawValue)
    #expect(h.nameServer.route(topic: "E2E") == nil)

    let updated = try await ask(admin, RemotingCommand(code: RequestCode.updateBrokerConfig.rawValue,
                                                       body: ByteBuffer(string: "defaultTopicQueueNums=4\n")))
    #expect(updated.code == ResponseCode.success.rawValue)
    let config = try await ask(admin, RemotingCommand(code: RequestCode.getBrokerConfig.rawValue))
    #expect(try config.decodeHeader(GetBrokerConfigResponseHeader.self).version.hasPrefix(#"{"counter":1,"timestamp":"#))
    #expect(String(buffer: try #require(config.body)).contains("defaultTopicQueueNums=4\n"))
    #expect(String(buffer: try #require(config.body)).contains("brokerName=broker-a\n"))

    let running = try await ask(admin, .request(code: .getConsumerRunningInfo, header: GetConsumerRunningInfoRequestHeader(
        consumerGroup: "GE", clientId: "127.0.0.1@cpp", jstackEnable: false)))
    #expect(running.code == ResponseCode.success.rawValue && running.remark == "from the client")
    #expect(running.body.map { String(buffer: $0) } == #"{"properties":{}}"#)
    #expect(running.extFields["jstackEnable"] == "false", "relayed unchanged")
    let notOnline = try await ask(admin, .request(code: .getConsumerRunningInfo, header: GetConsumerRunningInfoRequestHeader(
        consumerGroup: "GE", clientId: "someone-else")))
    #expect(notOnline.code == ResponseCode.systemError.rawValue && notOnline.remark == "The Consumer <GE> <someone-else> not online")
    let direct = try await ask(admin, .request(code: .consumeMessageDirectly, header: ConsumeMessageDirectlyRequestHeader(
        consumerGroup: "GE", clientId: "127.0.0.1@cpp", msgId: "not-an-id", brokerName: "whatever")))
    #expect(direct.code == ResponseCode.success.rawValue && direct.extFields["brokerName"] == "broker-a")

    let unknown = try await ask(admin, RemotingCommand(code: 351))
    #expect(unknown.code == ResponseCode.requestCodeNotSupported.rawValue && unknown.remark == " request type 351 not supported")
    let nsUnknown = try await ask(namesrv, RemotingCommand(code: 318))
    #expect(nsUnknown.code == ResponseCode.requestCodeNotSupported.rawValue)

    // Name-server KV config as `mqadmin updateOrderConf` uses it.
    let put = try await ask(namesrv, .request(code: .putKVConfig, header: KVConfigRequestHeader(
        namespace: "ORDER_TOPIC_CONFIG", key: "T", value: "broker-a:4")))
    #expect(put.code == ResponseCode.success.rawValue)
    let got = try await ask(namesrv, .request(code: .getKVConfig, header: KVConfigRequestHeader(namespace: "ORDER_TOPIC_CONFIG", key: "T")))
    #expect(got.extFields["value"] == "broker-a:4")
    let missing = try await ask(namesrv, .request(code: .getKVConfig, header: KVConfigRequestHeader(namespace: "ORDER_TOPIC_CONFIG", key: "X")))
    #expect(missing.code == ResponseCode.queryNotFound.rawValue && missing.remark == "No config item, Namespace: ORDER_TOPIC_CONFIG Key: X")
    let wipe = try await ask(namesrv, .request(code: .wipeWritePermOfBroker, header: BrokerNameRequestHeader(brokerName: "broker-a")))
    #expect(try wipe.decodeHeader(WritePermCountHeader.self).count > 0)

    await consumer.close()
    await admin.close()
    await namesrv.close()
    await h.stop()
}
