// apus admin: updateSubGroup, deleteSubGroup (admin.md §5).

import ApusRemoting
import ArgumentParser
import Foundation
import NIOCore

struct AdminUpdateSubGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "updateSubGroup", abstract: "Create or update a subscription group (200 per master).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Consumer group.", valueName: "groupName"))
    var groupName: String
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker address (default: every master of the only cluster).", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name: every master of it.", valueName: "clusterName"))
    var clusterName: String?
    @Option(name: .customShort("s"), help: ArgumentHelp("Consume enable: true|false (default true).", valueName: "consumeEnable"))
    var consumeEnable: String?
    @Option(name: .customShort("m"), help: ArgumentHelp("Consume from min enable: true|false (default false).", valueName: "consumeFromMinEnable"))
    var consumeFromMinEnable: String?
    @Option(name: .customShort("d"), help: ArgumentHelp("Consume broadcast enable: true|false (default false).", valueName: "consumeBroadcastEnable"))
    var consumeBroadcastEnable: String?
    @Option(name: .customShort("q"), help: ArgumentHelp("Retry queue count (default 1).", valueName: "retryQueueNums"))
    var retryQueueNums: Int32 = 1
    @Option(name: .customShort("r"), help: ArgumentHelp("Retry max times (default 16).", valueName: "retryMaxTimes"))
    var retryMaxTimes: Int32 = 16
    @Option(name: .customShort("i"), help: ArgumentHelp("Broker id to consume from (default 0).", valueName: "brokerId"))
    var brokerId: Int64 = 0
    @Option(name: .customShort("w"), help: ArgumentHelp("Which broker when consume slowly (default 1).", valueName: "whichBrokerWhenConsumeSlowly"))
    var whichBrokerWhenConsumeSlowly: Int64 = 1
    @Option(name: .customShort("a"), help: ArgumentHelp("Notify consumer ids changed: true|false (default true).", valueName: "notifyConsumerIdsChanged"))
    var notifyConsumerIdsChanged: String?

    func run() async throws {
        try await options.run("UpdateSubGroupSubCommand") { session in
            let enable = javaBool(consumeEnable) ?? true, fromMin = javaBool(consumeFromMinEnable) ?? false
            let broadcast = javaBool(consumeBroadcastEnable) ?? false, notify = javaBool(notifyConsumerIdsChanged) ?? true
            let config: JSONValue = .object([
                ("brokerId", .int(brokerId)), ("consumeBroadcastEnable", .bool(broadcast)), ("consumeEnable", .bool(enable)),
                ("consumeFromMinEnable", .bool(fromMin)), ("groupName", .string(groupName)),
                ("notifyConsumerIdsChangedEnable", .bool(notify)), ("retryMaxTimes", .int(retryMaxTimes)),
                ("retryQueueNums", .int(retryQueueNums)), ("whichBrokerWhenConsumeSlowly", .int(whichBrokerWhenConsumeSlowly)),
            ])
            var writer = JSONWriter()
            writer.value(config)
            let targets = try await session.targetMasters(broker: brokerAddr, cluster: clusterName)
            var done: [String] = []
            var failure: Error?
            for target in targets {
                do {
                    _ = try await session.invoke(target.address, .updateAndCreateSubscriptionGroup, body: writer.buffer)
                    done.append(target.address)
                    if !session.json { print("create subscription group to \(target.address) success.") }
                } catch {
                    // As mqadmin with -c: report and go on with the next master; the exit code still says it failed.
                    if targets.count == 1 { throw error }
                    printError("create subscription group to \(target.address) failed: \(AdminSession.describe(error))")
                    failure = error
                }
            }
            if session.json {
                session.emit(.object([("brokers", .array(done.map { .string($0) })), ("subscriptionGroupConfig", config)]))
            } else {
                print("SubscriptionGroupConfig [groupName=\(groupName), consumeEnable=\(enable), consumeFromMinEnable=\(fromMin), "
                    + "consumeBroadcastEnable=\(broadcast), retryQueueNums=\(retryQueueNums), retryMaxTimes=\(retryMaxTimes), "
                    + "brokerId=\(brokerId), whichBrokerWhenConsumeSlowly=\(whichBrokerWhenConsumeSlowly), "
                    + "notifyConsumerIdsChangedEnable=\(notify)]")
            }
            if failure != nil { throw ExitCode.failure }
        }
    }
}

struct AdminDeleteSubGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deleteSubGroup",
        abstract: "Delete a subscription group (207 per master; for a cluster also its %RETRY% and %DLQ% topics).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Consumer group.", valueName: "groupName"))
    var groupName: String
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker address (default: every master of the only cluster).", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name: every master of it, then delete %RETRY%G and %DLQ%G there.", valueName: "clusterName"))
    var clusterName: String?
    @Option(name: .customShort("r"), help: ArgumentHelp("Also remove the group's offsets: true|false (default false).", valueName: "removeOffset"))
    var removeOffset: String?

    func run() async throws {
        try await options.run("DeleteSubscriptionGroupCommand") { session in
            let ext: ExtFields = ["groupName": groupName, "removeOffset": (javaBool(removeOffset) ?? false) ? "true" : "false"]
            var lines: [String] = [], brokers: [String] = []
            if let brokerAddr {
                _ = try await session.invoke(brokerAddr, .deleteSubscriptionGroup, ext)
                brokers.append(brokerAddr)
                lines.append("delete subscription group [\(groupName)] from broker [\(brokerAddr)] success.")
            } else {
                let info = try await session.clusterInfo()
                let cluster = try info.resolveCluster(clusterName)
                for master in info.addresses(cluster: cluster, mastersOnly: true) {
                    _ = try await session.invoke(master.address, .deleteSubscriptionGroup, ext)
                    brokers.append(master.address)
                    lines.append("delete subscription group [\(groupName)] from broker [\(master.address)] in cluster [\(cluster)] success.")
                }
                for topic in ["%RETRY%" + groupName, "%DLQ%" + groupName] {
                    lines += try await deleteTopic(session, topic: topic, cluster: cluster, info: info).text
                }
            }
            if session.json {
                session.emit(.object([("groupName", .string(groupName)), ("brokers", .array(brokers.map { .string($0) }))]))
            } else {
                lines.forEach { print($0) }
            }
        }
    }
}
