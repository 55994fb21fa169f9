// swift-tools-version:6.0
// Times prediction on leads already read and encoded (issue 3's "in memory" figure), apart
// from reading and writing CSV. Built and run by scripts/benchmark.py.
import Foundation
import PackageDescription

// A path dependency is known by its folder's name: the project root's, whatever the clone is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "predict-bench",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(name: "predict-bench", dependencies: [.product(name: "LeadScoring", package: root.lowercased())]),
    ]
)
