// apus bench: the W1–W4 workloads of shared/bench against a running broker, speaking remoting with pipelining; with
// `--protocol http`, the ApsaraMQ HTTP workloads (BenchHTTP.swift).

import ApusClient
import ApusGroups
import ApusHTTP
import ApusMessage
import ApusRemoting
import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark a running broker with the W1–W4 workloads of shared/bench (msgs/s, MB/s, latency).",
        discussion: """
            --protocol http runs the ApsaraMQ HTTP workloads against --http-endpoint instead: publish (--connections \
            keep-alive connections posting --size-byte bodies) and consume (a backlog of --count messages drained by \
            --consumers consumers of one group, 16 per GET, each batch acked by one DELETE). The HTTP requests are \
            signed with --access-key and --secret-key, the account of a broker with aclEnable; without them they carry \
            no valid signature, for a broker without aclEnable.
            """)

    enum BenchProtocol: String, ExpressibleByArgument, Sendable {
        case tcp, http
    }

    enum BenchSerialize: String, ExpressibleByArgument, Sendable {
        case rocketmq, json

        var type: SerializeType { self == .json ? .json : .rocketmq }
    }

    @Option(help: "tcp (remoting, workloads w1–w4, delay) or http (ApsaraMQ HTTP API, workloads publish, consume).")
    var `protocol`: BenchProtocol = .tcp
    @Option(help: "HTTP endpoint host:port of the broker under test (--protocol http).")
    var httpEndpoint = "127.0.0.1:8080"
    @Option(help: "Keep-alive HTTP connections of the publish workload (--protocol http).")
    var connections = 64
    @Option(help: "AccessKeyId that signs the HTTP requests (--protocol http; with --secret-key).")
    var accessKey: String?
    @Option(help: "SecretKey that signs the HTTP requests (--protocol http; with --access-key).")
    var secretKey: String?

    @Option(help: "Name server address of the broker under test.")
    var namesrv = "127.0.0.1:9876"
    @Option(help: """
        Workloads to run, comma-separated: w1,w2,w3,w4, and delay (timer messages due 1–10 s after sending); \
        with --protocol http: publish,consume (the default there).
        """)
    var workloads = "w1,w2,w3,w4"
    @Option(help: "Message body size in bytes.")
    var size = 1024
    @Option(help: "Messages for W1 and W2 (HTTP: for publish and for the consume backlog).")
    var count = 200_000
    @Option(help: "Messages for W3 (fan-out).")
    var count3 = 100_000
    @Option(help: "Unacknowledged sends in flight per producer.")
    var window = 1000
    @Option(help: "Producers (W1).")
    var producers = 1
    @Option(help: "Consumers in the W2 group (HTTP: in the consume workload's group).")
    var consumers = 2
    @Option(help: "Consumer groups in W3, one consumer each.")
    var fanout = 4
    @Option(help: "Queues per benchmark topic.")
    var queues: Int32 = 8
    @Option(help: "Messages a consumer asks for per pull (RocketMQ's pullBatchSize; the broker sends at most its maxTransferCountOnMessageInMemory, 64 by default).")
    var pullBatch: Int32 = PushConsumer.defaultPullBatchSize
    @Option(help: "Messages per send request (1 = one request per message; >1 = SEND_BATCH_MESSAGE).")
    var batch = 1
    @Option(help: "Send header format: rocketmq (binary, the Swift client's) or json (as the Java and C++ clients send).")
    var serialize: BenchSerialize = .rocketmq
    @Option(help: "W4 publish rate, messages per second.")
    var rate = 2000
    @Option(help: "W4 duration in seconds.")
    var duration = 10
    @Option(help: """
        W4: write every received message to this file, one line each in arrival order: its sequence number, its \
        publish-to-receive latency and its arrival on CLOCK_MONOTONIC, both in ns (to line the slowest up with a \
        scheduler trace).
        """)
    var latencyDump: String?
    @Option(help: "Give up on a workload after this many seconds.")
    var timeLimit = 60
    @Option(help: "Messages for the delay workload.")
    var delayCount = 100_000
    @Option(help: "PID of the broker process, to report its CPU use and resident memory.")
    var brokerPid: Int32?
    @Option(help: "Time slice the client's event loops ask for while mostly idle, µs (as the broker's loopSliceMicros); 0: the kernel's default.")
    var loopSliceMicros = 100

    func run() async throws {
        var logger = Logger(label: "apus.bench")
        logger.logLevel = .warning
        let group = makeEventLoops(2, namedFrom: "bench-loop-", sliceNanos: UInt64(max(0, loopSliceMicros)) * 1000)
        if self.protocol == .http {
            try await runHTTP(group: group)
            try? await group.shutdownGracefully()
            return
        }
        let runner = BenchRunner(options: self, group: group, logger: logger)
        if let pid = brokerPid, let rss = ProcessStats.residentMegabytes(pid) {
            print(String(format: "broker RSS before: %.1f MB", rss))
        }
        for workload in workloads.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            let cpu = ProcessStats(pid: brokerPid)
            let ownCPU = ProcessStats(pid: getpid())
            let line: String
            switch workload {
            case "w1": line = try await runner.w1()
            case "w2": line = try await runner.w2()
            case "w3": line = try await runner.w3()
            case "w4": line = try await runner.w4()
            case "delay": line = try await runner.delayed()
            default: throw ValidationError("unknown workload \(workload)")
            }
            let cpuText = (cpu.cpuPercent().map { String(format: "; broker CPU %.0f%%", $0) } ?? "")
                + (ownCPU.cpuPercent().map { String(format: ", bench client CPU %.0f%%", $0) } ?? "")
            print("\(workload.uppercased()): \(line)\(cpuText)")
        }
        if let pid = brokerPid, let rss = ProcessStats.residentMegabytes(pid) {
            print(String(format: "broker RSS after: %.1f MB", rss))
        }
        try? await group.shutdownGracefully()
    }
}

extension Bench {
    func runHTTP(group: EventLoopGroup) async throws {
        let parts = httpEndpoint.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--http-endpoint must be host:port") }
        var account: HTTPBenchAccount?
        switch (accessKey, secretKey) {
        case let (key?, secret?): account = HTTPBenchAccount(accessKey: key, signer: MQSigner(secret: secret))
        case (nil, nil): account = nil
        default: throw ValidationError("--access-key and --secret-key go together")
        }
        let runner = HTTPBenchRunner(host: String(parts[0]), port: port, connections: max(1, connections),
                                     consumers: max(1, consumers), size: size, count: count, timeLimit: timeLimit,
                                     brokerPid: brokerPid, account: account, group: group)
        let chosen = workloads == "w1,w2,w3,w4" ? "publish,consume" : workloads
        for workload in chosen.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            let cpu = ProcessStats(pid: brokerPid)
            let ownCPU = ProcessStats(pid: getpid())
            let line: String
            switch workload {
            case "publish": line = try await runner.publishWorkload()
            case "consume": line = try await runner.consumeWorkload()
            default: throw ValidationError("unknown HTTP workload \(workload) (publish, consume)")
            }
            let cpuText = (cpu.cpuPercent().map { String(format: "; broker CPU %.0f%%", $0) } ?? "")
                + (ownCPU.cpuPercent().map { String(format: ", bench client CPU %.0f%%", $0) } ?? "")
            print("HTTP \(workload.uppercased()): \(line)\(cpuText)")
        }
    }
}

/// CPU time of a process over a phase, from /proc.
struct ProcessStats {
    let pid: Int32?
    let startTicks: Double?
    let startTime = Date()

    init(pid: Int32?) {
        self.pid = pid
        startTicks = pid.flatMap(Self.cpuTicks)
    }

    func cpuPercent() -> Double? {
        guard let pid, let start = startTicks, let end = Self.cpuTicks(pid) else { return nil }
        let seconds = Date().timeIntervalSince(startTime)
        return (end - start) / Double(sysconf(Int32(_SC_CLK_TCK))) / seconds * 100
    }

    static func cpuTicks(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return user + system
    }

    static func residentMegabytes(_ pid: Int32) -> Double? { statusMegabytes(pid, "VmRSS:") }

    /// Resident anonymous memory (heap, stacks): RSS without the mapped files (commit log, queues).
    static func anonymousMegabytes(_ pid: Int32) -> Double? { statusMegabytes(pid, "RssAnon:") }

    private static func statusMegabytes(_ pid: Int32, _ field: String) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first
            return kb.map { $0 / 1024 }
        }
        return nil
    }
}

func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Latency percentiles in microseconds.
struct Percentiles {
    var p50 = 0.0, p99 = 0.0, p999 = 0.0, max = 0.0

    init(_ nanos: [UInt64]) {
        guard !nanos.isEmpty else { return }
        let sorted = nanos.sorted()
        func at(_ q: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1000 }
        p50 = at(0.50)
        p99 = at(0.99)
        p999 = at(0.999)
        max = Double(sorted.last!) / 1000
    }

    var text: String { String(format: "p50 %.1f / p99 %.1f / p999 %.1f us (max %.1f)", p50, p99, p999, max) }
}
