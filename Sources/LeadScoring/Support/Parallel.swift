import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wraps a value (a raw pointer into memory the caller keeps alive) so it can be captured by
/// `DispatchQueue.concurrentPerform`'s `@Sendable` closure. Safe only when the parallel parts
/// touch disjoint memory or only read, as every caller here does.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs `body(part)` for `parts` parts on the shared pool (parts = threads, 2 on this machine).
func parallelFor(parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 { body(0); return }
    withoutActuallyEscaping(body) { escaping in
        let box = UncheckedSendable(escaping)
        DispatchQueue.concurrentPerform(iterations: parts) { box.value($0) }
    }
}

/// Runs `body(part)` for `parts` parts, the first on the calling thread and each other on a
/// thread started for it. For long tasks (reading a file, counting its columns): the shared
/// pool wakes a spare worker that spins beside them on a core they need, which costs a part
/// of a second's work little compared with the tens of microseconds a thread takes to start.
func parallelThreads(parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 { body(0); return }
    final class Part {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
    withoutActuallyEscaping(body) { escaping in
        let box = UncheckedSendable(escaping)
        var threads: [pthread_t] = []
        for part in 1..<parts {
            let context = Unmanaged.passRetained(Part { box.value(part) }).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { context in
                Unmanaged<Part>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
            if started == 0 {
                threads.append(thread)
            } else {
                // No thread to be had: the part runs here.
                Unmanaged<Part>.fromOpaque(context).release()
                box.value(part)
            }
        }
        box.value(0)
        for thread in threads { pthread_join(thread, nil) }
    }
}

/// Hands out 0, 1, 2, … below a bound, once each, to whichever thread asks.
final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let bound: Int

    init(below bound: Int) { self.bound = bound }

    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < bound else { return nil }
        next += 1
        return next - 1
    }
}
