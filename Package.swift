// swift-tools-version:6.1
// Parley: an XMPP signalling server for self-hosted Jitsi Meet.
// Targets follow Docs/Architecture.md; a target never imports one above it.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]
/// The server's own targets in release builds: no run-time exclusivity checks (the debug builds that run the tests
/// keep them). Profiles counted them at ~3% of a join's instructions (Docs/benchmark-details.md).
let server: [SwiftSetting] = strict + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .library(name: "ParleyServer", targets: ["ParleyServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CExpat", pkgConfig: "expat", providers: [.apt(["libexpat1-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLoadSystem"),
        // Debian's Lua 5.4, sandboxed, reads Prosody's configurations and account files (Docs/Architecture-Libraries.md).
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .target(name: "ParleyXML", dependencies: ["CExpat"], swiftSettings: server),
        .target(
            name: "ParleyTLS",
            dependencies: ["COpenSSL", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: server
        ),
        .target(name: "ParleyCore", dependencies: ["ParleyXML", "COpenSSL"], swiftSettings: server),
        .target(
            name: "ParleyMUC",
            dependencies: ["ParleyXML", "ParleyCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: server
        ),
        .target(
            name: "ParleyTransports",
            // Framing codecs only; the handlers that drive sessions over HTTP live in ParleyServer/HTTP.
            dependencies: ["ParleyXML", "ParleyCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: server
        ),
        .target(
            name: "ParleyServer",
            dependencies: [
                "ParleyXML", "ParleyCore", "ParleyTLS", "ParleyMUC", "ParleyTransports", "CLua",
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: server
        ),
        .target(
            name: "ParleyLoad",
            dependencies: [
                "ParleyXML", "ParleyTLS", "CLoadSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyServer", "ParleyCore", "ParleyMUC", "ParleyLoad",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ParleyFuzzer",
            dependencies: ["ParleyXML", "ParleyCore", "ParleyTransports"],
            swiftSettings: strict
        ),
        .target(name: "ParleyTestSupport", path: "Tests/ParleyTestSupport", swiftSettings: strict),
        .testTarget(name: "ParleyXMLTests", dependencies: ["ParleyXML", "ParleyTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ParleyLoadTests",
            dependencies: ["ParleyLoad", "ParleyTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(name: "ParleyCoreTests", dependencies: ["ParleyCore"], swiftSettings: strict),
        .testTarget(
            name: "ParleyTransportsTests",
            dependencies: ["ParleyTransports", "ParleyCore", "ParleyXML", "ParleyTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ParleyMUCTests",
            dependencies: ["ParleyMUC", "ParleyCore", "ParleyXML", "ParleyTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ParleyTLSTests",
            dependencies: [
                "ParleyTLS", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ParleyServerTests",
            dependencies: [
                "ParleyServer", "ParleyCore", "ParleyXML", "ParleyTLS", "ParleyTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
