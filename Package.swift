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
    ],
    targets: [
        // OpenBLAS (CBLAS) + LAPACKE. Only LinearAlgebra imports this.
        .systemLibrary(
            name: "CLAPACK",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "LinearAlgebra", dependencies: ["CLAPACK"]),
        .target(
            name: "LeadScoring",
            dependencies: ["LinearAlgebra", .product(name: "Yams", package: "Yams")]
        ),
        // Harnesses for every parser of outside input: fuzzed by scripts/fuzz.sh, their corpora
        // replayed by the unit tests.
        .target(name: "FuzzTargets", dependencies: ["LeadScoring"]),
        .executableTarget(
            name: "leadscore",
            dependencies: ["LeadScoring", "LinearAlgebra", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "LeadScoringTests", dependencies: ["LeadScoring", "FuzzTargets"]),
        .testTarget(name: "LeadScoreCLITests", dependencies: ["leadscore"]),
    ]
)
