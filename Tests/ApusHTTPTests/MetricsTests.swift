// The metrics exposition without sockets (a snapshot rendered to Prometheus text: exporter names, labels and values),
// and the HTTP routes through HummingbirdTesting (/metrics, x-mq-request-id on every response, including 404s).

@testable import ApusBroker
import ApusGroups
@testable import ApusHTTP
import Hummingbird
import HummingbirdTesting
import Foundation
import Glibc
import Logging
import Synchronization
import Testing

private func sampleSnapshot() -> MetricsSnapshot {
    MetricsSnapshot(
        clusterName: "DefaultCluster", brokerName: "broker-a", brokerAddress: "127.0.0.1:10911",
        topics: [
            .init(name: "T", kind: .normal, maxOffsetSum: 42, putTps: 1.5, putSizeTps: 300),
            .init(name: "%RETRY%G", kind: .retry, maxOffsetSum: 3, putTps: 0, putSizeTps: 0),
            .init(name: "%DLQ%G", kind: .deadLetter, maxOffsetSum: 1, putTps: 0, putSizeTps: 0),
        ],
        groups: [.init(name: "G", clientAddrs: ["10.0.0.1:5000", "10.0.0.2:5000"], clientIds: ["c1", "c2"],
                       messageModel: .clustering, inconsistencies: 1)],
        consumptions: [
            .init(topic: "T", group: "G", diff: 17, consumerOffsetSum: 25, latencyMillis: 1234, consumeTps: 2.25,
                  consumeSizeTps: 64, sendBackNums: 0),
            .init(topic: "%RETRY%G", group: "G", diff: 2, consumerOffsetSum: 1, latencyMillis: 0, consumeTps: 0,
                  consumeSizeTps: 0, sendBackNums: 3),
        ],
        producerCounts: ["PG": 2], brokerPutTps: 10.5, brokerGetTps: 9.25,
        runtime: ["brokerVersionDesc": "V4_9_4", "brokerVersion": "401", "bootTimestamp": "1700000000000",
                  "putTps": "1.0 2.0 3.0", "msgPutTotalTodayNow": "77", "commitLogMaxOffset": "4096",
                  "putMessageDistributeTime": "[<=0ms]:5 [0~10ms]:6 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 [200~500ms]:0 "
                      + "[500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 [5~10s]:0 [10s~]:0 ",
                  "remainHowManyDataToFlush": "1.5 KiB", "commitLogDirCapacity": "Total : 2.0 GiB, Free : 1.0 GiB."],
        retryTotal: 4, deadLetterTotal: 1, broadcastSendBackDropped: 2,
        clientLags: [.init(group: "BG", clientId: "bc1", topic: "BT", queueId: 0, lag: 3)],
        requestLatency: [RequestLatencySnapshot(code: 10, cumulativeCounts: Array(repeating: 1, count: 16), count: 2,
                                                sumSeconds: 7.5)])
}

/// `name{labels} value` lines of the exposition, comments dropped.
private func samples(_ text: String) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        result[String(line[..<space])] = value
    }
    return result
}

@Test func snapshotRendersExporterNamesLabelsAndValues() {
    let text = MetricsCollector.render(sampleSnapshot())
    let s = samples(text)
    #expect(s[#"rocketmq_group_diff{group="G",topic="T",countOfOnlineConsumers="2",msgModel="1"}"#] == 17)
    #expect(s[#"rocketmq_group_retrydiff{group="G",topic="%RETRY%G",countOfOnlineConsumers="2",msgModel="1"}"#] == 2)
    #expect(s[#"rocketmq_group_count{caddr="10.0.0.1:5000,10.0.0.2:5000",localaddr="c1,c2",group="G"}"#] == 2)
    #expect(s[#"rocketmq_group_get_latency_by_storetime{cluster="DefaultCluster",broker="broker-a",topic="T",group="G"}"#] == 1234)
    #expect(s[#"rocketmq_consumer_offset{cluster="DefaultCluster",broker="broker-a",topic="T",group="G"}"#] == 25)
    #expect(s[#"rocketmq_consumer_tps{cluster="DefaultCluster",broker="broker-a",topic="T",group="G"}"#] == 2.25)
    #expect(s[#"rocketmq_send_back_nums{cluster="DefaultCluster",broker="broker-a",topic="%RETRY%G",group="G"}"#] == 3)
    #expect(s[#"rocketmq_producer_offset{cluster="DefaultCluster",broker="broker-a",topic="T"}"#] == 42)
    #expect(s[#"rocketmq_producer_tps{cluster="DefaultCluster",broker="broker-a",topic="T"}"#] == 1.5)
    #expect(s[#"rocketmq_topic_retry_offset{cluster="DefaultCluster",broker="broker-a",topic="%RETRY%G"}"#] == 3)
    #expect(s[#"rocketmq_topic_dlq_offset{cluster="DefaultCluster",broker="broker-a",group="G"}"#] == 1)
    #expect(s[#"rocketmq_producer_count{cluster="DefaultCluster",broker="broker-a",group="PG"}"#] == 2)
    #expect(s[#"rocketmq_broker_tps{cluster="DefaultCluster",brokerIP="127.0.0.1:10911",broker="broker-a"}"#] == 10.5)
    #expect(s[#"rocketmq_broker_qps{cluster="DefaultCluster",brokerIP="127.0.0.1:10911",broker="broker-a"}"#] == 9.25)
    let runtime = #"{cluster="DefaultCluster",brokerIP="127.0.0.1:10911",brokerHost="",des="V4_9_4",boottime="1700000000000",broker_version="401"}"#
    #expect(s["rocketmq_brokeruntime_msg_put_total_today_now" + runtime] == 77)
    #expect(s["rocketmq_brokeruntime_commitlog_maxoffset" + runtime] == 4096)
    #expect(s["rocketmq_brokeruntime_put_tps10" + runtime] == 1)
    #expect(s["rocketmq_brokeruntime_put_tps600" + runtime] == 3)
    #expect(s["rocketmq_brokeruntime_pmdt_0ms" + runtime] == 5)
    #expect(s["rocketmq_brokeruntime_pmdt_0to10ms" + runtime] == 6)
    #expect(s["rocketmq_brokeruntime_remain_howmanydata_toflush" + runtime] == 1536)
    #expect(s["rocketmq_brokeruntime_commitlogdir_capacity_total" + runtime] == 2_147_483_648)
    #expect(s["rocketmq_brokeruntime_commitlogdir_capacity_free" + runtime] == 1_073_741_824)
    #expect(s["apus_retry_total"] == 4)
    #expect(s["apus_dlq_total"] == 1)
    #expect(s["apus_broadcast_sendback_dropped_total"] == 2)
    #expect(s[#"apus_subscription_inconsistent{group="G"}"#] == 1)
    #expect(s[#"apus_broadcast_client_lag{group="BG",client="bc1",topic="BT",queueId="0"}"#] == 3)
    #expect(s[#"apus_request_duration_seconds_bucket{code="10",le="+Inf"}"#] == 2)
    #expect(s[#"apus_request_duration_seconds_bucket{code="10",le="5.0"}"#] == 1)
    #expect(s[#"apus_request_duration_seconds_sum{code="10"}"#] == 7.5)
    #expect(s[#"apus_request_duration_seconds_count{code="10"}"#] == 2)
    #expect(text.contains("# TYPE rocketmq_group_diff gauge"))
    #expect(text.contains("# TYPE apus_retry_total counter"))
    #expect(text.contains("# TYPE apus_request_duration_seconds histogram"))
}

@Test func extraProvidersAddLabelledGauges() {
    let collector = MetricsCollector(snapshot: { sampleSnapshot() })
    collector.addProvider {
        [LabelledGauge(name: "apus_alert_firing", labels: ["rule": "ConsumerFallingBehind", "group": "G", "topic": "T"],
                       value: 1)]
    }
    let s = samples(collector.scrape())
    #expect(s[#"apus_alert_firing{group="G",rule="ConsumerFallingBehind",topic="T"}"#] == 1)
}

@Test func metricsRouteServesTextWithUniqueRequestIds() async throws {
    let collector = MetricsCollector(snapshot: { sampleSnapshot() })
    let app = Application(router: HTTPServer.router(collector: collector))
    try await app.test(.router) { client in
        let first = try await client.execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(String(buffer: response.body).contains(#"rocketmq_group_diff{group="G",topic="T""#))
            return response.headers[RequestIDMiddleware<BasicRequestContext>.headerName]
        }
        let second = try await client.execute(uri: "/missing", method: .get) { response in
            // No route: the spec's XML error, not an empty framework 404.
            #expect(response.status == .badRequest)
            #expect((try? XMLReader.parse(String(buffer: response.body)))?.child("Code")?.text == "InvalidRequestURL")
            return response.headers[RequestIDMiddleware<BasicRequestContext>.headerName]
        }
        #expect(first != nil && second != nil)
        #expect(first != second)
    }
}

@Test func theDateHeaderIsRFC9110sIMFFixdate() {
    #expect(HTTPDateHeader.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    #expect(HTTPDateHeader.format(1_796_083_200) == "Tue, 01 Dec 2026 00:00:00 GMT")
}

@Test func theServerAnswersOverASocketWithDateAndServerHeaders() async throws {
    let bound = Mutex(0)
    let server = HTTPServer(host: "127.0.0.1", port: 0, collector: MetricsCollector(snapshot: { sampleSnapshot() }),
                            logger: Logger(label: "test"), onRunning: { port in bound.withLock { $0 = port } })
    let running = Task { try await server.run() }
    defer { running.cancel() }
    let deadline = ContinuousClock.now + .seconds(20)
    while bound.withLock({ $0 }) == 0 {
        guard ContinuousClock.now < deadline else { Issue.record("the server did not listen"); return }
        try await Task.sleep(for: .milliseconds(10))
    }
    let answer = try rawRequest(port: bound.withLock { $0 }, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    let head = answer.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
    #expect(head.first == "HTTP/1.1 200 OK")
    let fields = Dictionary(head.dropFirst().map { line -> (String, String) in
        let parts = line.split(separator: ":", maxSplits: 1)
        return (parts[0].lowercased(), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
    }, uniquingKeysWith: { first, _ in first })
    #expect(fields["server"] == "apus")
    let now = Int(time(nil))
    #expect([HTTPDateHeader.format(now - 1), HTTPDateHeader.format(now)].contains(fields["date"] ?? ""))
    #expect(answer.contains("rocketmq_broker_tps"))
}

/// One request over a plain socket; the whole answer up to the server's close.
private func rawRequest(port: Int, _ text: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    _ = text.withCString { send(fd, $0, strlen($0), 0) }
    var answer: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { break }
        answer += chunk[0..<n]
    }
    return String(decoding: answer, as: UTF8.self)
}
