import Foundation

/// Gradients and hessians rounded to 8-bit integers with stochastic rounding (LightGBM's
/// gradient discretizer, `use_quantized_grad`): unbiased estimates of the exact values, packed
/// in 32 bits (gradient in the high 16, hessian in the low 16) so a histogram bin is one
/// integer addition per row, and a partition moves 4 bytes per row instead of 8.
struct GradientQuantizer {
    /// Levels of a quantized gradient on each side of zero, and of a hessian: 8 bits each,
    /// ample for boosting (LightGBM's quantized training reaches full accuracy with far fewer),
    /// and small enough that sums over any leaf fit their 32-bit halves.
    static let gradientLevels: Float = 127, hessianLevels: Float = 255

    /// What one integer step is worth, for the gradients and for the hessians of the last
    /// `quantize` call.
    private(set) var gradientScale = 0.0, hessianScale = 0.0

    /// Quantizes `gh` (gradient and hessian of position p at `2p`, `2p + 1`) into `out`, on
    /// `threads` threads. Rounding is stochastic, with two uniforms drawn from a hash of `seed`
    /// and the position, so the result is the same for any thread count.
    /// `largest`: the largest |gradient| and hessian in `gh`, which the caller finds while
    /// computing the gradients (a pass fewer).
    mutating func quantize(_ gh: [Float], into out: inout [Int32], threads: Int, seed: UInt64, largest: (g: Float, h: Float)) {
        let rows = out.count
        let (largestG, largestH) = largest
        gradientScale = max(Double(largestG), 1e-30) / Double(GradientQuantizer.gradientLevels)
        hessianScale = max(Double(largestH), 1e-30) / Double(GradientQuantizer.hessianLevels)
        let gInverse = Float(1 / gradientScale), hInverse = Float(1 / hessianScale)
        let parts = max(1, threads), chunk = (rows + parts - 1) / parts
        gh.withUnsafeBufferPointer { gp in
        out.withUnsafeMutableBufferPointer { qp in
            let g = UncheckedSendable(gp.baseAddress!), q = UncheckedSendable(qp.baseAddress!)
            parallelFor(parts: parts) { t in
                let gh = g.value, out = q.value
                for p in (t * chunk)..<max(t * chunk, min(rows, (t + 1) * chunk)) {
                    let z = SeededGenerator.mix(seed &+ UInt64(truncatingIfNeeded: p) &* SeededGenerator.increment)
                    let u1 = Float(Int32(truncatingIfNeeded: z >> 40)) * 0x1p-24
                    let u2 = Float(Int32(truncatingIfNeeded: (z >> 16) & 0xFF_FFFF)) * 0x1p-24
                    // ⌊x + u⌋ for 0 ≤ x + u < 2²²: x + u − ½ rounded to the nearest whole
                    // number by adding 1.5 × 2²³ (which leaves it in the low mantissa bits),
                    // with no conversion that checks its range (the loop vectorizes). (When
                    // x + u is an odd whole number exactly, the tie goes to the even one below:
                    // with 24-bit uniforms, rarer than 1 in 2²⁴.)
                    // The gradient level is ≥ −127: shifted by 128 to stay positive.
                    let gq = Int32(bitPattern: (gh[2 &* p] * gInverse + u1 + 127.5 + 12_582_912).bitPattern) &- 0x4B40_0000 &- 128
                    let hq = Int32(bitPattern: (gh[2 &* p &+ 1] * hInverse + u2 - 0.5 + 12_582_912).bitPattern) &- 0x4B40_0000
                    out[p] = (gq << 16) &+ hq
                }
            }
        }}
    }
}
