import Foundation

// The logistic link and its log-partition, written once, numerically stable for any margin:
// every model, loss and calibrator in leadscore uses these.

/// σ(z) = 1 / (1 + e^(−z)), evaluated without overflow for large |z|.
@inline(__always)
public func sigmoid(_ z: Double) -> Double {
    if z >= 0 { return 1 / (1 + Foundation.exp(-z)) }
    let e = Foundation.exp(z)
    return e / (1 + e)
}

/// σ in single precision (quantized training rounds gradients to 8 bits anyway), with e^(−|z|)
/// from `expNonPositive`: no library call, so a loop over rows vectorizes.
@inline(__always)
func sigmoid(_ z: Float) -> Float {
    let e = expNonPositive(-abs(z)), r = 1 / (1 + e)
    return z >= 0 ? r : e * r
}

/// e^x for x ≤ 0, within 2.5e-7 relative (about 2 ulp) of `Foundation.exp` (0 below −87,
/// where e^x leaves the normal floats). Written out so that it inlines into loops and
/// vectorizes: x = n ln 2 + r with n whole and |r| ≤ ln 2 / 2; e^r by its Taylor series to r⁶
/// (the first term left out is below 1.2e-7 relative); 2ⁿ built from its exponent bits.
@inline(__always)
func expNonPositive(_ x: Float) -> Float {
    let x = x < -87 ? -87 : x
    // n = x / ln 2 rounded to nearest: adding 1.5 × 2²³ leaves it in the low mantissa bits.
    let shifted = x * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let whole = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
    // ln 2 in two parts (the first with few bits, so n × it is exact): r = x − n ln 2.
    let r = (x - n * 0.693_359_375) + n * 2.121_944_4e-4
    let series = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))))
    let scale = Float(bitPattern: UInt32(bitPattern: (whole &+ 127) &<< 23))
    let e = series * scale
    return x <= -87 ? 0 : e
}

/// softplus(z) = log(1 + e^z), evaluated without overflow for large |z|: the log loss of a
/// margin z is `softplus(z) − y z`.
@inline(__always)
public func softplus(_ z: Double) -> Double {
    z > 0 ? z + log1p(Foundation.exp(-z)) : log1p(Foundation.exp(z))
}

/// log(p / (1 − p)), with p kept inside [1e-12, 1 − 1e-12].
@inline(__always)
public func logit(_ p: Double) -> Double {
    let q = min(max(p, 1e-12), 1 - 1e-12)
    return log(q / (1 - q))
}
