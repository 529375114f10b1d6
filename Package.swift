// swift-tools-version:6.0
import PackageDescription

// Our own targets are built without runtime exclusivity checks (they cost ~20 % of a request in the
// feasibility profile, see DESIGN.md) and with cross-module optimisation so the hot path through
// RESP -> Commands -> Keyspace is specialised and inlined across module boundaries.
let hotPath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"]),
]

let package = Package(
    name: "Shoal",
    products: [
        .executable(name: "shoal-server", targets: ["shoal-server"]),
        .executable(name: "shoal-cluster", targets: ["shoal-cluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .target(name: "LZ4", dependencies: ["CLZ4"], swiftSettings: hotPath),
        // glibc functions Swift's Glibc module does not import (mallinfo2, sched_getaffinity).
        .target(name: "CPlatform"),
        .target(
            name: "RESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: hotPath
        ),
        .target(name: "Keyspace", swiftSettings: hotPath),
        .target(name: "RDB", dependencies: ["Keyspace"], swiftSettings: hotPath),
        .target(name: "Persistence", dependencies: ["RDB", "Keyspace"], swiftSettings: hotPath),
        // Redis's glob matching, shared by KEYS / SCAN, CONFIG GET and COMMAND LIST.
        .target(name: "Glob", swiftSettings: hotPath),
        .target(name: "Commands", dependencies: ["RESP", "Keyspace", "Glob"], swiftSettings: hotPath),
        // Keys moving between Shoal nodes: LZ4-compressed, checksummed batches of RDB-encoded values.
        .target(name: "Migration", dependencies: ["LZ4"], swiftSettings: hotPath),
        // The cluster protocol as a pure state machine (no sockets, files or clocks).
        .target(name: "Cluster", swiftSettings: hotPath),
        // The cluster bus: message codec (Redis Cluster bus v1 layout) and the NIO transport.
        .target(
            name: "ClusterBus",
            dependencies: [
                "Cluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: hotPath
        ),
        .target(
            name: "ServerConfig",
            dependencies: ["Glob", .product(name: "Logging", package: "swift-log")],
            swiftSettings: hotPath
        ),
        .target(
            name: "Server",
            dependencies: [
                "RESP", "Keyspace", "Glob", "Commands", "ServerConfig", "LZ4", "CPlatform", "Cluster", "ClusterBus", "Migration", "RDB", "Persistence",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPath
        ),
        .executableTarget(
            name: "shoal-server",
            dependencies: [
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hotPath
        ),
        .testTarget(name: "RESPTests", dependencies: ["RESP"]),
        .testTarget(name: "KeyspaceTests", dependencies: ["Keyspace"]),
        .testTarget(name: "RDBTests", dependencies: ["RDB", "Keyspace"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PersistenceTests", dependencies: ["Persistence", "RDB", "Keyspace"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CommandsTests",
            dependencies: ["Commands", "RESP", "Keyspace", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "ServerConfigTests", dependencies: ["ServerConfig", "Glob"]),
        .testTarget(name: "GlobTests", dependencies: ["Glob"]),
        .testTarget(name: "LZ4Tests", dependencies: ["LZ4"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
        .testTarget(name: "MigrationTests", dependencies: ["Migration", "LZ4"]),
        .testTarget(name: "ClusterBusTests", dependencies: ["ClusterBus", "Cluster"], resources: [.copy("Fixtures")]),
        // The operator tool (tools/shoal-cluster): redis-cli --cluster's commands; its logic and its
        // blocking RESP client live in ShoalClusterKit so the planners are unit-testable.
        .target(name: "ShoalClusterKit", path: "tools/shoal-cluster/Kit"),
        .executableTarget(
            name: "shoal-cluster",
            dependencies: ["ShoalClusterKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "tools/shoal-cluster",
            exclude: ["Kit", "README.md"]
        ),
        .testTarget(name: "ShoalClusterToolTests", dependencies: ["ShoalClusterKit"]),
    ],
    swiftLanguageModes: [.v6]
)
