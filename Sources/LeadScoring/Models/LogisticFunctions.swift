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

/// σ in single precision (quantized training rounds gradients to 8 bits anyway).
@inline(__always)
func sigmoid(_ z: Float) -> Float {
    let e = Foundation.exp(-abs(z)), r = 1 / (1 + e)
    return z >= 0 ? r : e * r
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
