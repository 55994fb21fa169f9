/// A small, fast, seedable random number generator (SplitMix64), so that splits and synthetic
/// data are identical for a seed on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    /// The golden-ratio step between states.
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= SeededGenerator.increment
        return SeededGenerator.mix(state)
    }

    /// SplitMix64's output function: a well-mixed 64-bit hash of `z` (also used on its own to
    /// draw per-position random numbers that do not depend on the order they are drawn in).
    @inline(__always)
    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
