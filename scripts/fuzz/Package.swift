// swift-tools-version:6.0
// The libFuzzer binary over the project's parsers (Sources/FuzzTargets). Built and run by
// scripts/fuzz.sh with `-sanitize=fuzzer,address`; not part of the main build.
import Foundation
import PackageDescription

// A path dependency is known by its folder's name: the project root's, whatever the clone is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "leadscore-fuzz",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(name: "leadscore-fuzz", dependencies: [.product(name: "FuzzTargets", package: root.lowercased())]),
    ]
)
