// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "leadscore",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "leadscore", targets: ["leadscore"]),
        .library(name: "LeadScoring", targets: ["LeadScoring"]),
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The scoring service only (LeadScoreService): HTTP and the embedded store.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Webhooks: signatures (HMAC-SHA256) and delivery.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // OpenBLAS (CBLAS) + LAPACKE. Only LinearAlgebra imports this.
        .systemLibrary(
            name: "CLAPACK",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "LinearAlgebra", dependencies: ["CLAPACK"]),
        // OpenSSL's libcrypto: SHA-256 of training files (with the processor's SHA
        // instructions). Only LeadScoring's SHA256 imports this.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "LeadScoring",
            dependencies: ["LinearAlgebra", "COpenSSL", .product(name: "Yams", package: "Yams")]
        ),
        // Harnesses for every parser of outside input: fuzzed by scripts/fuzz.sh, their corpora
        // replayed by the unit tests.
        .target(name: "FuzzTargets", dependencies: ["LeadScoring"]),
        // zlib, for gzip-compressed request bodies (Segment's libraries send them).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The scoring service: HTTP API, embedded store, live scores. Only the CLI depends on it;
        // the LeadScoring library and its tests stay free of server dependencies.
        .target(
            name: "LeadScoreService",
            dependencies: [
                "LeadScoring", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("openapi.json")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "leadscore",
            dependencies: ["LeadScoring", "LinearAlgebra", "LeadScoreService", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "LeadScoringTests", dependencies: ["LeadScoring", "FuzzTargets"]),
        .testTarget(name: "LeadScoreCLITests", dependencies: ["leadscore"]),
    ]
)
