// HTTPServer: Apus's HTTP/1.1 endpoint (Hummingbird 2, keep-alive) — `GET /metrics` in Prometheus text format and
// the ApsaraMQ HTTP API (MQRoutes).
// Every response carries a unique lowercase `x-mq-request-id` header (the ApsaraMQ convention). Runs as a
// swift-service-lifecycle Service beside the name server and the broker and stops on graceful shutdown.

import Glibc
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The HTTP port could not be bound: one line naming the flag.
public struct HTTPPortInUse: Error, CustomStringConvertible {
    public var host: String
    public var port: Int

    public var description: String { "--http-port \(port): address \(host):\(port) is already in use" }
}

/// Unique request ids: a random per-process prefix and a counter of at least 12 hex digits
/// (`5f3a9c1e-000000000000002a`), written straight into the string (joining pieces took 3,400 instructions).
final class RequestIDs: Sendable {
    private let prefix: [UInt8]
    private let counter = Atomic<UInt64>(0)

    init(prefix: UInt32 = .random(in: .min ... .max)) {
        self.prefix = Array(String(prefix, radix: 16).utf8)
    }

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        var width = 12
        while width < 16, n >> (4 * width) != 0 { width += 1 }
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: prefix.count + 1 + width) { out in
            _ = out.initialize(from: prefix)
            out[prefix.count] = UInt8(ascii: "-")
            for i in 0..<width {
                out[prefix.count + 1 + i] = digits.utf8Start[Int(n >> (4 * (width - 1 - i)) & 0xF)]
            }
            return prefix.count + 1 + width
        }
    }
}

struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headerName: HTTPField.Name { MQHeaders.requestIdName }
    let ids: RequestIDs
    /// The `HostId` of the XML error answering a request no route serves.
    var hostId = "apus"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = ids.next()
        do {
            var response = try await RequestIDStorage.$current.withValue(id) { try await next(request, context) }
            response.headers[Self.headerName] = id
            return response
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            // No route: the spec's XML error rather than the framework's empty 404.
            var response = MQEndpoint.error(MQError(.invalidRequestURL, "no resource at \(request.method) \(request.uri.path)"),
                                            requestId: id, hostId: hostId)
            response.headers[Self.headerName] = id
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[Self.headerName] = id
            return response
        } catch {
            var response = Response(status: .internalServerError)
            response.headers[Self.headerName] = id
            return response
        }
    }
}

public struct HTTPServer: Service {
    public let host: String
    public let port: Int
    let collector: MetricsCollector
    let mq: MQEndpoint?
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    /// `onRunning` gets the bound port (useful with port 0).
    /// `mq`: the ApsaraMQ HTTP API (`/topics/{topic}/messages`); nil serves /metrics only.
    public init(host: String, port: Int, collector: MetricsCollector, mq: MQEndpoint? = nil, logger: Logger,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.collector = collector
        self.mq = mq
        self.logger = logger
        self.onRunning = onRunning
    }

    /// The routes, for the server and for in-process tests.
    public static func router(collector: MetricsCollector, mq: MQEndpoint? = nil) -> Router<MQRequestContext> {
        let router = Router(context: MQRequestContext.self)
        router.add(middleware: RequestIDMiddleware<MQRequestContext>(ids: RequestIDs(), hostId: mq?.hostId ?? "apus"))
        router.get("/metrics") { _, _ -> Response in
            let text = collector.scrape()
            return Response(status: .ok,
                            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        mq?.register(on: router)
        return router
    }

    /// Serves the routes until graceful shutdown. Built from Hummingbird's server parts rather than its `Application`,
    /// whose `run()` adds a service that formats the `Date` header once a second for the life of the process: on a
    /// Swift concurrency thread, through Foundation's date formatting, for up to 0.26 ms a time. That woke an idle
    /// broker every second, and in W4 a client thread woken on the same vCPU waited behind it (round 38). The header is
    /// formatted here when a response is written, at most once a second (`HTTPDateHeader`).
    public func run() async throws {
        let responder = Self.router(collector: collector, mq: mq).buildResponder()
        let logger = self.logger
        let onRunning = self.onRunning
        let date = HTTPDateHeader()
        let server = try HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(90))).buildServer(
            // Idle keep-alive connections (slow or half-closed clients) are closed after 90 s, longer than the longest
            // long poll (30 s).
            configuration: .init(address: .hostname(host, port: port)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { request, writer, channel in
                let context = MQRequestContext(source: .init(channel: channel, logger: logger))
                var response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch let error as HTTPParserError {
                    throw error  // the channel answers 400 and closes
                } catch {
                    logger.debug("unhandled error answered 500", metadata: ["error": "\(error)"])
                    response = Response(status: .internalServerError)
                }
                response.headers[.date] = date.current()
                response.headers[.server] = "apus"  // HummingbirdCore's `serverName` setting is only read by `Application`
                do {
                    try await writer.write(response: response.head, body: response.body)
                } catch is HTTPParserError {
                    // A parse error of the request body met while writing: the response has started, so the channel
                    // must close it rather than write a 400 after it.
                    throw ResponseAbandoned()
                }
            },
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("http server started", metadata: ["port": "\(bound)"])
                await onRunning(bound)
            })
        do {
            try await server.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw HTTPPortInUse(host: host, port: port)
        }
    }
}

/// A response abandoned part-way; the connection is closed.
private struct ResponseAbandoned: Error {}

/// The `Date` header (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted at most once a second and
/// only when a response asks for it.
final class HTTPDateHeader: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    func current() -> String {
        let now = time(nil)
        return cached.withLock { cached in
            if cached.second != now { cached = (now, Self.format(now)) }
            return cached.text
        }
    }

    static func format(_ seconds: Int) -> String {
        var seconds = time_t(seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
