// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way:
//   LoadshapeCore (pure numerics, no I/O)
//     <- LoadshapeWorkload (request schedules: generators and readers)
//     <- LoadshapeIO (records from Configs/, CSV/JSON writers, manifests, checksums)
//     <- LoadshapeSite (site and region specs, traffic routing, streaming hierarchical aggregation, metrics)
//   LoadshapeTransport (wire protocol codec; the cluster runtime will build on it)
//     <- LoadshapeMeasured (readers of measured runs: nvidia-smi CSV, vLLM request logs, manifests)
//   LoadshapeReport (the HTML report of any output folder; Core, IO, Workload)
//     <- LoadshapeCommands (the CLI commands)  <- loadshape (thin executable)
let package = Package(
    name: "Loadshape",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "loadshape", targets: ["loadshape"]),
        .library(name: "LoadshapeCore", targets: ["LoadshapeCore"]),
        .library(name: "LoadshapeWorkload", targets: ["LoadshapeWorkload"]),
        .library(name: "LoadshapeIO", targets: ["LoadshapeIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .target(
            name: "LoadshapeCore",
            dependencies: [
                .product(name: "Numerics", package: "swift-numerics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(name: "LoadshapeWorkload", dependencies: ["LoadshapeCore"]),
        .target(
            name: "LoadshapeIO",
            dependencies: [
                "LoadshapeCore", "LoadshapeWorkload",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LoadshapeSite",
            dependencies: [
                "LoadshapeCore", "LoadshapeWorkload", "LoadshapeIO", .product(name: "Yams", package: "Yams"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]),
        // ZeroMQ behind its own target: sockets confined to one thread each.
        .target(name: "LoadshapeZeroMQ", dependencies: ["CZeroMQ"]),
        // The cluster runtime: coordinator and workers over ZeroMQ.
        .target(
            name: "LoadshapeCluster",
            dependencies: ["LoadshapeSite", "LoadshapeTransport", "LoadshapeZeroMQ", "LoadshapeIO", "LoadshapeCore"]
        ),
        // The coordinator/worker wire protocol: messages and a versioned, checksummed binary codec (no sockets).
        .target(name: "LoadshapeTransport"),
        .target(name: "LoadshapeMeasured", dependencies: ["LoadshapeCore", "LoadshapeIO", "LoadshapeWorkload"]),
        // The HTML report: reads what the commands write and draws it as inline SVG (no JavaScript, no network).
        .target(name: "LoadshapeReport", dependencies: ["LoadshapeCore", "LoadshapeIO", "LoadshapeWorkload"]),
        .target(
            name: "LoadshapeCommands",
            dependencies: [
                "LoadshapeCore", "LoadshapeWorkload", "LoadshapeIO", "LoadshapeMeasured", "LoadshapeSite", "LoadshapeCluster",
                "LoadshapeReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "loadshape", dependencies: ["LoadshapeCommands"]),
        // Test support shared by the test targets (paths to Configs/ and ../shared); not API.
        .target(name: "LoadshapeTesting"),
        .testTarget(
            name: "LoadshapeCoreTests",
            dependencies: [
                "LoadshapeCore", "LoadshapeIO", "LoadshapeTesting", .product(name: "Numerics", package: "swift-numerics"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "LoadshapeWorkloadTests", dependencies: ["LoadshapeWorkload", "LoadshapeCore", "LoadshapeTesting"]),
        .testTarget(
            name: "LoadshapeIOTests", dependencies: ["LoadshapeIO", "LoadshapeCore", "LoadshapeWorkload", "LoadshapeTesting"]
        ),
        .testTarget(
            name: "LoadshapeSiteTests",
            dependencies: ["LoadshapeSite", "LoadshapeCore", "LoadshapeIO", "LoadshapeWorkload", "LoadshapeTesting"],
            exclude: ["Golden"]
        ),
        .testTarget(
            name: "LoadshapeClusterTests",
            dependencies: ["LoadshapeCluster", "LoadshapeSite", "LoadshapeIO", "LoadshapeTransport", "LoadshapeTesting"],
            exclude: ["Peers"]
        ),
        .testTarget(name: "LoadshapeZeroMQTests", dependencies: ["LoadshapeZeroMQ", "LoadshapeTransport"]),
        .testTarget(name: "LoadshapeTransportTests", dependencies: ["LoadshapeTransport", "LoadshapeCore"]),
        .testTarget(
            name: "LoadshapeMeasuredTests",
            dependencies: ["LoadshapeMeasured", "LoadshapeCore", "LoadshapeIO", "LoadshapeWorkload", "LoadshapeTesting"]
        ),
        .testTarget(
            name: "LoadshapeReportTests",
            dependencies: ["LoadshapeReport", "LoadshapeIO", "LoadshapeCore", "LoadshapeTesting"]
        ),
        .testTarget(
            name: "LoadshapeCommandsTests",
            dependencies: [
                "LoadshapeCommands", "LoadshapeIO", "LoadshapeCore", "LoadshapeWorkload", "LoadshapeTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Golden"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .plugin && target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
