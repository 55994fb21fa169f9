// swift-tools-version:6.0
// Times GradientBoosting.fit alone on a table already read and encoded (the boosted trees'
// training speed, apart from reading CSV, schema inference and encoding). See Sources/fit-bench.
import Foundation
import PackageDescription

// A path dependency is known by its folder's name: the project root's, whatever the clone is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "fit-bench",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(name: "fit-bench", dependencies: [.product(name: "LeadScoring", package: root.lowercased())]),
    ]
)
