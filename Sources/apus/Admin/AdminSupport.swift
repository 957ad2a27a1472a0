// `apus admin`: mqadmin's subcommands over the RocketMQ admin request codes (admin.md §11). Shared plumbing: the
// command group, the common options (-n, --json), one session of connections to the name server and brokers,
// errors reduced to one line and a non-zero exit, Java-style column formatting and JSON output.

import ApusMessage
import ApusRemoting
import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administer a cluster the way mqadmin does (same subcommand names, flags and printed layouts).",
        discussion: "-n defaults to $NAMESRV_ADDR, else 127.0.0.1:9876. Where mqadmin insists on -b or -c, Apus "
            + "defaults to every master of the only cluster. --json prints the same data as JSON.",
        subcommands: [
            AdminClusterList.self, AdminTopicList.self, AdminTopicRoute.self, AdminTopicStatus.self, AdminUpdateTopic.self, AdminDeleteTopic.self,
            AdminUpdateSubGroup.self, AdminDeleteSubGroup.self,
            AdminConsumerProgress.self, AdminConsumerConnection.self, AdminConsumerStatus.self, AdminProducerConnection.self,
            AdminResetOffsetByTime.self, AdminSkipAccumulatedMessage.self,
            AdminQueryMsgById.self, AdminQueryMsgByKey.self, AdminQueryMsgByUniqueKey.self, AdminQueryMsgByOffset.self,
            AdminBrokerStatus.self, AdminGetBrokerConfig.self, AdminUpdateBrokerConfig.self, AdminStatsAll.self,
            AdminAlertList.self,
        ])
}

extension Apus {
    /// As ArgumentParser's default, except that a usage error of `apus admin …` is one line on stderr (exit 64)
    /// instead of the message followed by the usage text.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let arguments = CommandLine.arguments.dropFirst()
            if arguments.first == "admin", exitCode(for: error) == .validationFailure {
                let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                let names = Admin.configuration.subcommands.compactMap { $0.configuration.commandName }
                let command = arguments.dropFirst().first.flatMap { names.contains($0) ? " \($0)" : nil } ?? ""
                printError("error: \(message) (see 'apus admin\(command) --help')")
                exit(withError: ExitCode.validationFailure)
            }
            exit(withError: error)
        }
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// A failure reported as one line.
struct AdminError: Error, CustomStringConvertible {
    var description: String
    /// The remoting response code, when the server answered with an error.
    var code: Int32?

    init(_ description: String, code: Int32? = nil) {
        self.description = description
        self.code = code
    }

    /// mqadmin's `CODE: n  DESC: remark`.
    static func remote(_ response: RemotingCommand, address: String) -> AdminError {
        let remark = (response.remark ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return AdminError("CODE: \(response.code)  DESC: \(remark) (\(address))", code: response.code)
    }

    var isNotSupported: Bool { code == ResponseCode.requestCodeNotSupported.rawValue }
}

struct AdminOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .customLong("namesrvAddr")],
            help: "Name server address(es), 'host:port[;host:port]' (default: $NAMESRV_ADDR, else 127.0.0.1:9876).")
    var namesrvAddr: String?
    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    var nameServers: [String] {
        let text = namesrvAddr ?? ProcessInfo.processInfo.environment["NAMESRV_ADDR"] ?? "127.0.0.1:9876"
        let list = text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return list.isEmpty ? ["127.0.0.1:9876"] : list
    }

    /// Runs `body` with a session; any error becomes one line `NAME command failed: …` and exit code 1.
    func run(_ name: String, _ body: (AdminSession) async throws -> Void) async throws {
        let session = AdminSession(nameServers: nameServers, json: json)
        do {
            try await body(session)
        } catch let exit as ExitCode {
            await session.shutdown()
            throw exit
        } catch {
            await session.shutdown()
            printError("\(name) command failed: \(AdminSession.describe(error))")
            throw ExitCode.failure
        }
        await session.shutdown()
    }
}

/// Connections of one command run (created on first use, closed at the end) and the requests it sends.
final class AdminSession {
    let nameServers: [String]
    let json: Bool
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let logger: Logger
    private var clients: [String: RemotingClient] = [:]
    /// Default request timeout (DefaultMQAdminExt: 5000 ms).
    static let timeoutMillis: Int64 = 5000

    init(nameServers: [String], json: Bool) {
        self.nameServers = nameServers
        self.json = json
        var logger = Logger(label: "apus.admin")
        logger.logLevel = .critical
        self.logger = logger
    }

    func shutdown() async {
        for client in clients.values { await client.close() }
        clients = [:]
        try? await group.shutdownGracefully()
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? AdminError { return error.description }
        if let error = error as? RemotingError { return "\(error)" }
        return String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
    }

    private func client(_ address: String) async throws -> RemotingClient {
        if let client = clients[address], client.isActive { return client }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              port > 0, port < 65536 else {
            throw AdminError("invalid address '\(address)' (expected host:port)")
        }
        let host = String(address[..<colon])
        do {
            let client = try await RemotingClient.connect(host: host, port: port, group: group, logger: logger)
            clients[address] = client
            return client
        } catch {
            let text = String(describing: error).lowercased()
            let reason = text.contains("refused") ? "connection refused"
                : text.contains("timeout") || text.contains("timed out") ? "connect timeout" : AdminSession.describe(error)
            throw AdminError("cannot connect to \(address): \(reason)")
        }
    }

    /// Sends a request and returns the response whatever its code.
    func send(_ address: String, _ code: RequestCode, _ ext: ExtFields = [:], body: ByteBuffer? = nil,
              language: String = "JAVA", timeoutMillis: Int64 = AdminSession.timeoutMillis) async throws -> RemotingCommand {
        try await send(address, rawCode: code.rawValue, ext, body: body, language: language, timeoutMillis: timeoutMillis)
    }

    /// For codes the shared `RequestCode` does not list (PUT_KV_CONFIG).
    func send(_ address: String, rawCode code: Int32, _ ext: ExtFields = [:], body: ByteBuffer? = nil,
              language: String = "JAVA", timeoutMillis: Int64 = AdminSession.timeoutMillis) async throws -> RemotingCommand {
        let client = try await client(address)
        let request = RemotingCommand(code: code, language: language, extFields: ext, body: body)
        do {
            return try await client.request(request, timeout: .milliseconds(timeoutMillis))
        } catch RemotingError.timeout {
            throw AdminError("timeout after \(timeoutMillis) ms waiting for \(address) (request code \(code))")
        } catch {
            throw AdminError("request code \(code) to \(address) failed: \(AdminSession.describe(error))")
        }
    }

    /// PUT_KV_CONFIG (admin.md §3.6).
    static let putKVConfigCode: Int32 = 100

    /// Sends a request; a response code other than SUCCESS throws `CODE: n  DESC: remark`.
    func invoke(_ address: String, _ code: RequestCode, _ ext: ExtFields = [:], body: ByteBuffer? = nil,
                language: String = "JAVA", timeoutMillis: Int64 = AdminSession.timeoutMillis) async throws -> RemotingCommand {
        let response = try await send(address, code, ext, body: body, language: language, timeoutMillis: timeoutMillis)
        guard response.code == ResponseCode.success.rawValue else { throw AdminError.remote(response, address: address) }
        return response
    }

    /// A name-server request: the first name server of the list that can be reached answers.
    func invokeNameServer(_ code: RequestCode, _ ext: ExtFields = [:], body: ByteBuffer? = nil) async throws -> RemotingCommand {
        var lastError: Error = AdminError("no name server address")
        for address in nameServers {
            let response: RemotingCommand
            do { response = try await send(address, code, ext, body: body) } catch {
                lastError = error
                continue
            }
            guard response.code == ResponseCode.success.rawValue else { throw AdminError.remote(response, address: address) }
            return response
        }
        throw lastError
    }

    /// The response body as JSON (an empty body is an empty object).
    /// Object-valued keys (fastjson's and the C++ client's MessageQueue map keys) are read as their JSON text.
    static func json(_ response: RemotingCommand) throws -> JSONValue {
        guard let body = response.body, body.readableBytes > 0 else { return .object([]) }
        if let value = try? JSONParser.parse(body) { return value }
        do { return try JSONParser.parse(quoteObjectKeys(String(buffer: body))) } catch {
            throw AdminError("cannot parse the response body as JSON: \(error)")
        }
    }

    // MARK: cluster and routes

    func clusterInfo() async throws -> ClusterInfoView {
        try ClusterInfoView(AdminSession.json(await invokeNameServer(.getBrokerClusterInfo)))
    }

    func route(_ topic: String) async throws -> TopicRouteData {
        let response = try await invokeNameServer(.getRouteinfoByTopic, GetRouteInfoRequestHeader(topic: topic).extFields())
        guard let body = response.body else { throw AdminError("empty route of topic \(topic)") }
        do { return try TopicRouteData.decode(body) } catch {
            throw AdminError("cannot parse the route of topic \(topic): \(error)")
        }
    }

    /// Master (id 0) address of every broker name of a route, else any address (Java `selectBrokerAddr`).
    static func brokerAddresses(_ route: TopicRouteData) -> [(brokerName: String, address: String)] {
        route.brokerDatas.sorted { $0.brokerName < $1.brokerName }.compactMap { data in
            guard let address = data.brokerAddrs[0] ?? data.brokerAddrs.sorted(by: { $0.key < $1.key }).first?.value else {
                return nil
            }
            return (data.brokerName, address)
        }
    }

    /// The brokers a group's requests go to: the route of `%RETRY%{group}` (admin.md §1.1).
    func groupBrokers(_ group: String) async throws -> [(brokerName: String, address: String)] {
        try await AdminSession.brokerAddresses(route("%RETRY%" + group))
    }

    /// Masters to write to: `-b ADDR`, else the masters of `-c CLUSTER`, else the masters of the only cluster.
    func targetMasters(broker: String?, cluster: String?) async throws -> [(cluster: String, address: String)] {
        if let broker { return [("", broker)] }
        let info = try await clusterInfo()
        let name = try info.resolveCluster(cluster)
        let masters = info.addresses(cluster: name, mastersOnly: true)
        guard !masters.isEmpty else { throw AdminError("cluster \(name) has no master broker") }
        return masters.map { (name, $0.address) }
    }

    /// Every address (masters and slaves) for `-b`/`-c`/the only cluster; `prefixed` = several rows expected.
    func targetAddresses(broker: String?, cluster: String?) async throws -> [String] {
        if let broker { return [broker] }
        let info = try await clusterInfo()
        let name = try info.resolveCluster(cluster)
        return info.addresses(cluster: name, mastersOnly: false).map(\.address)
    }
}

/// GET_BROKER_CLUSTER_INFO (106) body.
struct ClusterInfoView {
    struct Broker {
        var name: String
        var cluster: String
        var addresses: [(id: Int64, address: String)]
    }

    var brokers: [String: Broker] = [:]
    var clusters: [String: [String]] = [:]

    init(_ json: JSONValue) throws {
        for (name, data) in json["brokerAddrTable"]?.objectValue ?? [] {
            var addresses: [(id: Int64, address: String)] = []
            for (id, address) in data["brokerAddrs"]?.objectValue ?? [] {
                if let id = Int64(id), let address = address.stringValue { addresses.append((id, address)) }
            }
            addresses.sort { $0.id < $1.id }
            brokers[name] = Broker(name: name, cluster: data["cluster"]?.stringValue ?? "", addresses: addresses)
        }
        for (cluster, names) in json["clusterAddrTable"]?.objectValue ?? [] {
            clusters[cluster] = (names.arrayValue ?? []).compactMap(\.stringValue).sorted()
        }
    }

    func resolveCluster(_ cluster: String?) throws -> String {
        if let cluster {
            guard clusters[cluster] != nil else {
                throw AdminError("[error] Make sure the specified clusterName exists or the name server connected to is correct.")
            }
            return cluster
        }
        switch clusters.count {
        case 0: throw AdminError("no broker is registered with the name server")
        case 1: return clusters.keys.first!
        default: throw AdminError("several clusters (\(clusters.keys.sorted().joined(separator: ", "))): give -b ADDR or -c CLUSTER")
        }
    }

    func addresses(cluster: String, mastersOnly: Bool) -> [(brokerName: String, id: Int64, address: String)] {
        (clusters[cluster] ?? []).flatMap { name -> [(brokerName: String, id: Int64, address: String)] in
            guard let broker = brokers[name] else { return [] }
            return broker.addresses.filter { !mastersOnly || $0.id == 0 }.map { (name, $0.id, $0.address) }
        }
    }

    func cluster(ofBroker name: String) -> String? {
        clusters.first { $0.value.contains(name) }?.key ?? brokers[name]?.cluster
    }
}

/// A MessageQueue map key: the compact JSON of the queue (standard form of admin.md §1.3).
struct QueueKey: Comparable, Hashable {
    var topic: String
    var brokerName: String
    var queueId: Int32

    init?(_ key: String) {
        guard let json = try? JSONParser.parse(key), let topic = json["topic"]?.stringValue,
              let brokerName = json["brokerName"]?.stringValue, let queueId = json["queueId"]?.int32Value else { return nil }
        self.init(topic: topic, brokerName: brokerName, queueId: queueId)
    }

    init(topic: String, brokerName: String, queueId: Int32) {
        self.topic = topic
        self.brokerName = brokerName
        self.queueId = queueId
    }

    static func < (a: QueueKey, b: QueueKey) -> Bool {
        (a.topic, a.brokerName, a.queueId) < (b.topic, b.brokerName, b.queueId)
    }

    var json: JSONValue {
        .object([("brokerName", .string(brokerName)), ("queueId", .number(Int64(queueId))), ("topic", .string(topic))])
    }

    /// A `{MessageQueue: value}` table.
    static func table(_ json: JSONValue?) -> [(QueueKey, JSONValue)] {
        (json?.objectValue ?? []).compactMap { key, value in QueueKey(key).map { ($0, value) } }
    }
}

// MARK: formatting

/// Java `%-Ns`: left-justified, never truncated.
func left(_ value: String, _ width: Int) -> String {
    value.count >= width ? value : value + String(repeating: " ", count: width - value.count)
}

/// Java `%Ns`.
func right(_ value: String, _ width: Int) -> String {
    value.count >= width ? value : String(repeating: " ", count: width - value.count) + value
}

/// `String(format:)` for one double.
func fixed(_ value: Double, _ format: String) -> String { String(format: format, value) }

/// Local-time `yyyy-MM-dd HH:mm:ss,SSS` (mqadmin's UtilAll.timeMillisToHumanString2) or another pattern.
func formatTime(_ millis: Int64, _ pattern: String = "yyyy-MM-dd HH:mm:ss,SSS") -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone.current
    formatter.dateFormat = pattern
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
}

/// Java MQVersion name of a version ordinal (V4_0_0_SNAPSHOT = 212; two ordinals per version).
func versionName(_ ordinal: Int64) -> String {
    if ordinal >= 612 { return "HIGHER_VERSION" }
    if ordinal == 63 { return "V3_1_8" }
    guard ordinal >= 212 else { return "V\(ordinal)" }
    let index = (ordinal - 212) / 2
    let name = "V\(4 + index / 100)_\(index / 10 % 10)_\(index % 10)"
    return (ordinal - 212) % 2 == 0 ? name + "_SNAPSHOT" : name
}

/// PermName.perm2String: R, W, X or '-'.
func permString(_ perm: Int32) -> String {
    (perm & 4 != 0 ? "R" : "-") + (perm & 2 != 0 ? "W" : "-") + (perm & 1 != 0 ? "X" : "-")
}

extension AdminSession {
    func emit(_ value: JSONValue) {
        var writer = JSONWriter()
        writer.value(value)
        print(writer.text)
    }
}

extension JSONValue {
    static func int(_ value: some BinaryInteger) -> JSONValue { .number(Int64(value)) }
    static func double(_ value: Double) -> JSONValue { value.isFinite ? .number(String(value)) : .number("0") }

    var double: Double { stringValue.flatMap(Double.init) ?? 0 }
    var int: Int64 { int64Value ?? 0 }
}

/// Java properties text → ordered pairs (comments and blank lines skipped, `key=value` or `key:value`).
func parseProperties(_ text: String) -> [(String, String)] {
    text.split(whereSeparator: \.isNewline).compactMap { line in
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix("!") else { return nil }
        guard let separator = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else { return (trimmed, "") }
        return (String(trimmed[..<separator]).trimmingCharacters(in: .whitespaces),
                String(trimmed[trimmed.index(after: separator)...]).trimmingCharacters(in: .whitespaces))
    }
}

/// mqadmin boolean option values: "true" (any case) is true, anything else false.
func javaBool(_ text: String?) -> Bool? { text.map { $0.lowercased() == "true" } }

/// Rewrites object keys that are themselves JSON objects (fastjson and the C++ client write `{{"brokerName":…}:…}`
/// for MessageQueue map keys, admin.md §1.3) as JSON strings holding that object's text.
func quoteObjectKeys(_ text: String) -> String {
    let bytes = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 64)
    var stack: [UInt8] = []
    var expectKey = false
    var i = 0
    let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    while i < bytes.count {
        let c = bytes[i]
        if c == quote {
            let start = i
            i += 1
            while i < bytes.count && bytes[i] != quote { i += bytes[i] == backslash ? 2 : 1 }
            i = min(i + 1, bytes.count)
            out += bytes[start..<i]
            expectKey = false
            continue
        }
        if c == openBrace && expectKey && stack.last == openBrace {
            let start = i
            var depth = 0, inString = false
            while i < bytes.count {
                let d = bytes[i]
                if inString {
                    if d == backslash { i += 1 } else if d == quote { inString = false }
                } else if d == quote {
                    inString = true
                } else if d == openBrace {
                    depth += 1
                } else if d == closeBrace {
                    depth -= 1
                    if depth == 0 { i += 1; break }
                }
                i += 1
            }
            out.append(quote)
            for b in bytes[start..<min(i, bytes.count)] where b != UInt8(ascii: "\n") && b != UInt8(ascii: "\r") && b != UInt8(ascii: "\t") {
                if b == quote || b == backslash { out.append(backslash) }
                out.append(b)
            }
            out.append(quote)
            expectKey = false
            continue
        }
        switch c {
        case openBrace: stack.append(c); expectKey = true
        case UInt8(ascii: "["): stack.append(c); expectKey = false
        case closeBrace, UInt8(ascii: "]"): _ = stack.popLast(); expectKey = false
        case UInt8(ascii: ","): expectKey = stack.last == openBrace
        case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): break
        default: expectKey = false
        }
        out.append(c)
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}
