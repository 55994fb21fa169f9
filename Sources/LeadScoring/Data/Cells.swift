/// A column's cells (numbers or dictionary codes) in memory the column owns: the reader hands
/// its buffers over as they are, so a column read from a file is not copied into an array
/// once more. Immutable; reads are bounds-checked like an array's.
public struct Cells<Element>: RandomAccessCollection, @unchecked Sendable {
    /// The memory, released with the last copy of the cells.
    final class Buffer {
        let base: UnsafeMutablePointer<Element>?
        let count: Int

        init(adopting base: UnsafeMutablePointer<Element>?, count: Int) {
            self.base = base
            self.count = count
        }

        deinit {
            if let base { base.deinitialize(count: count); base.deallocate() }
        }
    }

    let buffer: Buffer

    /// Takes over `count` initialized elements at `base` (allocated with
    /// `UnsafeMutablePointer.allocate`): they are released with the cells.
    init(adopting base: UnsafeMutablePointer<Element>?, count: Int) {
        buffer = Buffer(adopting: count > 0 ? base : nil, count: count)
        if count == 0, let base { base.deallocate() }
    }

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        let array = Array(elements)
        let base = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(1, array.count))
        array.withUnsafeBufferPointer { if let p = $0.baseAddress { base.initialize(from: p, count: array.count) } }
        self.init(adopting: base, count: array.count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { buffer.count }

    @inline(__always)
    public subscript(i: Int) -> Element {
        precondition(UInt(bitPattern: i) < UInt(bitPattern: buffer.count), "Cells index out of range")
        return buffer.base![i]
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: buffer.base, count: buffer.count))
    }
}

extension Cells: Equatable where Element: Equatable {
    public static func == (a: Cells, b: Cells) -> Bool { a.elementsEqual(b) }
}
