import Foundation
import FuzzTargets

// The libFuzzer binary: the harness named by LEADSCORE_FUZZ_TARGET gets every input. (One
// binary for all harnesses: `scripts/fuzz.sh` runs it once per harness, each with its own
// corpus folder.) SwiftPM gives an executable its own `main`, so libFuzzer is started through
// its driver entry point rather than its `main`.

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

let name = ProcessInfo.processInfo.environment["LEADSCORE_FUZZ_TARGET"] ?? ""
guard FuzzTargets.all[name] != nil else {
    FileHandle.standardError.write(Data("LEADSCORE_FUZZ_TARGET must be one of \(FuzzTargets.all.keys.sorted())\n".utf8))
    exit(2)
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv) { data, size in
    let harness = FuzzTargets.all[ProcessInfo.processInfo.environment["LEADSCORE_FUZZ_TARGET"] ?? ""]!
    harness(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
})
