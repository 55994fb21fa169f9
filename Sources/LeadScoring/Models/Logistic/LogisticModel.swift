import Foundation
import LinearAlgebra

/// A fitted logistic regression.
public struct LogisticModel: Classifier, Equatable {
    public var intercept: Double
    /// One per encoded feature, on the standardised scale.
    public var coefficients: [Double]
    public var l2: Double
    public var iterations: Int
    public var converged: Bool
    public var gradientNorm: Double
    public var usedFallbackSolver: Bool

    /// `β₀ + Xβ`, column by column over the column-major storage. A plain loop rather than BLAS
    /// `dgemv`: scoring works in batches of a few thousand rows, where OpenBLAS's thread
    /// start-up costs more than the arithmetic.
    public func rawScores(_ x: Matrix) -> [Double] {
        let n = x.rows
        var z = [Double](repeating: intercept, count: n)
        guard n > 0 else { return z }
        precondition(x.columns == coefficients.count, "model has \(coefficients.count) features, matrix \(x.columns)")
        z.withUnsafeMutableBufferPointer { zp in
            x.storage.withUnsafeBufferPointer { xp in
                for j in 0..<coefficients.count {
                    let b = coefficients[j]
                    if b == 0 { continue }
                    let column = j * n
                    for i in 0..<n { zp[i] += b * xp[column + i] }
                }
            }
        }
        return z
    }

    /// `βⱼ (xⱼ − x̄ⱼ)` per feature; the baseline `β₀ + Σ βⱼ x̄ⱼ` is the margin of an average lead.
    public func contributions(_ row: [Double], featureMeans: [Double]) -> (baseline: Double, terms: [Double]) {
        var baseline = intercept
        var terms = [Double](repeating: 0, count: coefficients.count)
        for j in 0..<coefficients.count {
            baseline += coefficients[j] * featureMeans[j]
            terms[j] = coefficients[j] * (row[j] - featureMeans[j])
        }
        return (baseline, terms)
    }
}
