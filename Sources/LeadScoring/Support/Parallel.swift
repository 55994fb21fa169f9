import Dispatch

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
