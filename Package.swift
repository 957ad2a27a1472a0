// swift-tools-version:6.0
// Apus: a RocketMQ-protocol message broker in Swift. Targets follow DESIGN.md's layering.
import PackageDescription

/// Release builds skip dynamic exclusivity checks on the hot paths (they cost ~5% of a request); debug builds and
/// tests keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "apus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "apus", targets: ["apus"]),
        .library(name: "ApusClient", targets: ["ApusClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        .target(name: "CCRC"),
        .target(name: "ApusMessage", dependencies: [
            "CZlib",
            "CCRC",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: hotPath),
        .target(name: "ApusStore", dependencies: [
            "ApusMessage",
            "CLinux",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: hotPath),
        .target(name: "ApusRemoting", dependencies: [
            "ApusMessage",
            "CLinux",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: hotPath),
        .target(name: "ApusGroups", dependencies: ["ApusMessage"]),
        .target(name: "ApusNameServer", dependencies: [
            "ApusMessage", "ApusRemoting",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ApusBroker", dependencies: [
            "ApusMessage", "ApusStore", "ApusRemoting", "ApusGroups",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HeapModule", package: "swift-collections"),
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], swiftSettings: hotPath),
        .target(name: "ApusClient", dependencies: [
            "ApusMessage", "ApusRemoting", "ApusGroups",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: hotPath),
        .target(name: "ApusHTTP", dependencies: [
            "ApusBroker", "ApusGroups", "ApusMessage", "ApusRemoting",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "apus", dependencies: [
            "ApusBroker", "ApusHTTP", "CLinux",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), "ApusNameServer", "ApusClient", "ApusGroups", "ApusRemoting", "ApusMessage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: hotPath),
        .testTarget(name: "ApusMessageTests", dependencies: [
            "ApusMessage",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "ApusStoreTests", dependencies: ["ApusStore", "ApusMessage"]),
        .testTarget(name: "ApusRemotingTests", dependencies: [
            "ApusRemoting", "ApusMessage",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ApusGroupsTests", dependencies: ["ApusGroups", "ApusMessage"]),
        .testTarget(name: "ApusNameServerTests", dependencies: ["ApusNameServer", "ApusRemoting"]),
        .testTarget(name: "ApusHTTPTests", dependencies: [
            "ApusHTTP", "ApusBroker", "ApusClient", "ApusGroups", "ApusMessage",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ApusBrokerTests", dependencies: [
            "ApusBroker", "ApusNameServer", "ApusClient", "ApusGroups", "ApusMessage",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
