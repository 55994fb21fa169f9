import Foundation

/// What boosting minimises, as LightGBM's and XGBoost's objective interface: per-row gradient
/// and hessian with respect to the margin, the best constant margin to start from, the loss
/// itself (for early stopping) and the link from margin to prediction. Both the exact and the
/// quantized histogram paths take their gradients from here.
public protocol Loss: Sendable {
    /// ∂ℓ/∂z and ∂²ℓ/∂z² at margin `z` for label `y`.
    func gradient(margin z: Double, label y: Double) -> (g: Double, h: Double)
    /// The same in single precision, for quantized training.
    func gradient(margin z: Float, label y: Float) -> (g: Float, h: Float)
    func loss(margin z: Double, label y: Double) -> Double
    /// The constant margin minimising the loss over `y`.
    func baseline(_ y: [Double]) -> Double
    /// Margin → prediction (a probability for the log loss).
    func link(_ z: Double) -> Double
}

/// The binary log loss `ℓ(y, z) = log(1 + eᶻ) − y z` of a margin z.
public struct LogLoss: Loss {
    public init() {}

    /// `∂ℓ/∂z = p − y`, `∂²ℓ/∂z² = p (1 − p)` with `p = σ(z)`; the hessian is floored at 1e-16
    /// so a leaf of confident rows cannot divide by zero.
    @inline(__always)
    public func gradient(margin z: Double, label y: Double) -> (g: Double, h: Double) {
        let p = sigmoid(z)
        return (p - y, max(p * (1 - p), 1e-16))
    }

    @inline(__always)
    public func gradient(margin z: Float, label y: Float) -> (g: Float, h: Float) {
        let p = sigmoid(z)
        return (p - y, max(p * (1 - p), 1e-16))
    }

    public func loss(margin z: Double, label y: Double) -> Double { softplus(z) - y * z }

    /// The log-odds of the base rate.
    public func baseline(_ y: [Double]) -> Double {
        logit(y.reduce(0, +) / Double(max(1, y.count)))
    }

    public func link(_ z: Double) -> Double { sigmoid(z) }
}
