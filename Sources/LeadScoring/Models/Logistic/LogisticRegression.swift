import Foundation
import LinearAlgebra

/// How much each class counts in the loss.
public enum ClassWeight: Codable, Equatable, Sendable {
    /// Every lead counts once.
    case none
    /// Each class weighs n / (2 · n_class), as scikit-learn's `class_weight="balanced"`:
    /// useful when conversions are rare and you care about ranking them, at the cost of
    /// probabilities that overstate conversion (the base rate is shifted).
    case balanced
    /// Explicit weights for the positive and the negative class.
    case custom(positive: Double, negative: Double)
}

/// L2-regularised logistic regression, fitted by Newton's method (IRLS).
///
/// Minimises
/// ```
/// f(β₀, β) = Σᵢ sᵢ [ log(1 + e^{ηᵢ}) − yᵢ ηᵢ ] + (λ/2) ‖β‖²,   ηᵢ = β₀ + xᵢᵀβ
/// ```
/// with sample weights `sᵢ` (from `classWeight`); the intercept β₀ is not penalised.
///
/// scikit-learn's `LogisticRegression(C=c)` minimises `c · Σ loss + ½‖β‖²`, the same optimum
/// with **λ = 1 / C**: `l2: 1.0` here is scikit-learn's default `C=1.0`.
///
/// Each Newton step solves `(XᵀWX + λĨ) δ = ∇f` where `W = diag(sᵢ pᵢ (1−pᵢ))`: the Hessian is
/// built from the design's dense block with BLAS (`dsyrk` of `W^{½}D`) and from its one-hot
/// blocks by weighted counts (`OneHotDesign`), and solved with LAPACK's Cholesky (`dposv`). When the
/// Hessian is not numerically positive definite (λ = 0 with separable or collinear data), the step
/// falls back to an SVD least-squares solve (`dgelsd`), and a backtracking line search keeps
/// every step a descent step.
public struct LogisticRegression: Codable, Equatable, Sendable {
    /// λ: strength of the L2 penalty on the coefficients (not the intercept). 1.0 matches
    /// scikit-learn's default and is a sensible prior for standardised features.
    public var l2: Double
    public var classWeight: ClassWeight
    /// Converged when
    /// ```
    /// ‖∇f‖∞ ≤ tolerance · max(1, Σᵢ sᵢ)
    /// ```
    /// i.e. the gradient per unit of sample weight is below `tolerance`. Newton's method
    /// converges quadratically, so 1e-9 costs at most one or two extra steps and pins the
    /// coefficients to about 1e-9.
    public var tolerance: Double
    public var maxIterations: Int

    public init(l2: Double = 1.0, classWeight: ClassWeight = .none, tolerance: Double = 1e-9, maxIterations: Int = 100) {
        self.l2 = l2
        self.classWeight = classWeight
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    public func sampleWeights(_ y: [Double]) -> [Double] {
        switch classWeight {
        case .none:
            return [Double](repeating: 1, count: y.count)
        case .balanced:
            let n = Double(y.count)
            let pos = y.reduce(0, +)
            let neg = n - pos
            let wp = pos > 0 ? n / (2 * pos) : 1, wn = neg > 0 ? n / (2 * neg) : 1
            return y.map { $0 > 0.5 ? wp : wn }
        case let .custom(p, n):
            return y.map { $0 > 0.5 ? p : n }
        }
    }

    /// Fits on an n × p design `x` (without an intercept column) and labels `y` in {0, 1}.
    public func fit(_ x: Matrix, _ y: [Double], progress: ((Int, Double) -> Void)? = nil) throws -> LogisticModel {
        try fit(design: OneHotDesign(x), y: y, progress: progress)
    }

    /// Fits on a structured design (dense block + one-hot codes, see `OneHotDesign`) and labels
    /// `y` in {0, 1}; the coefficients come out in the encoder's feature order, as `fit(_:_:)`
    /// would give them for `design.denseMatrix()`.
    public func fit(design: OneHotDesign, y: [Double], progress: ((Int, Double) -> Void)? = nil) throws -> LogisticModel {
        let n = design.rows, count = design.parameterCount
        guard y.count == n else {
            throw LinearAlgebraError.dimensionMismatch("\(n) rows of features and \(y.count) labels")
        }
        let s = sampleWeights(y)
        let weightSum = s.reduce(0, +)
        // β in the design's parameter order: [β₀, dense block…, one-hot levels…].
        var beta = [Double](repeating: 0, count: count)
        // Start the intercept at the weighted base rate's log-odds.
        let rate = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 } / max(weightSum, 1e-300)
        if rate > 0 && rate < 1 { beta[0] = log(rate / (1 - rate)) }

        var objective = self.objective(design, y, s, beta)
        var iterations = 0
        var gradientNorm = Double.infinity
        var usedFallback = false
        var converged = false
        var previousGradientNorm = Double.infinity
        var stalledSteps = 0
        let threshold = tolerance * max(1, weightSum)
        while iterations < maxIterations {
            let (gradient, weights) = try self.gradient(design, y, s, beta)
            gradientNorm = gradient.map(abs).max() ?? 0
            progress?(iterations, gradientNorm)
            if gradientNorm <= threshold { converged = true; break }
            let (step, fallback) = try newtonStep(design, weights: weights, gradient: gradient)
            if fallback { usedFallback = true }
            // Backtracking line search (Armijo) on the objective. Near the optimum the predicted
            // decrease gᵀH⁻¹g falls below what the objective can resolve in floating point; there
            // the full Newton step is taken as it is (the quadratic model is exact enough), and
            // two such steps without a smaller gradient end the fit.
            let slope = zip(gradient, step).reduce(0) { $0 + $1.0 * $1.1 }
            let resolution = 64 * Double.ulpOfOne * max(1, abs(objective))
            iterations += 1
            if slope <= resolution {
                for j in 0..<count { beta[j] -= step[j] }
                objective = self.objective(design, y, s, beta)
                if gradientNorm >= previousGradientNorm { stalledSteps += 1 } else { stalledSteps = 0 }
                previousGradientNorm = gradientNorm
                if stalledSteps >= 2 { break }
                continue
            }
            var t = 1.0
            var candidate = beta
            var candidateObjective = objective
            var accepted = false
            for _ in 0..<40 {
                for j in 0..<count { candidate[j] = beta[j] - t * step[j] }
                candidateObjective = self.objective(design, y, s, candidate)
                if candidateObjective <= objective - 1e-4 * t * slope { accepted = true; break }
                t *= 0.5
            }
            // No descent found even for tiny steps: the optimum to machine precision.
            if !accepted { break }
            previousGradientNorm = gradientNorm
            beta = candidate
            objective = candidateObjective
        }
        return LogisticModel(intercept: beta[0], coefficients: design.featureOrder(beta), l2: l2,
                             iterations: iterations, converged: converged,
                             gradientNorm: gradientNorm, usedFallbackSolver: usedFallback)
    }

    /// The penalised log loss's gradient at `beta` (parameter order), and the IRLS weights
    /// `sᵢ pᵢ (1 − pᵢ)` the Hessian is built from.
    func gradient(_ design: OneHotDesign, _ y: [Double], _ s: [Double], _ beta: [Double]) throws -> (gradient: [Double], weights: [Double]) {
        let n = design.rows
        let eta = try design.linearPredictor(beta)
        var residual = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let pi = sigmoid(eta[i])
            residual[i] = s[i] * (pi - y[i])
            weights[i] = s[i] * pi * (1 - pi)
        }
        var gradient = try design.transposeTimes(residual)
        for j in 1..<max(1, beta.count) { gradient[j] += l2 * beta[j] }
        return (gradient, weights)
    }

    /// The Newton step `H⁻¹ ∇f`: the Hessian `[1 X]ᵀW[1 X] + λĨ` built from the design's blocks
    /// (`OneHotDesign.weightedGram`) and solved by Cholesky, or by an SVD least-squares solve
    /// when it is not numerically positive definite (`fallback`).
    func newtonStep(_ design: OneHotDesign, weights: [Double], gradient: [Double]) throws -> (step: [Double], fallback: Bool) {
        var hessian = try design.weightedGram(weights)
        for j in 1..<design.parameterCount { hessian[j, j] += l2 }
        do {
            return (try LinearAlgebra.choleskySolve(hessian, gradient), false)
        } catch LinearAlgebraError.notPositiveDefinite {
            return (try LinearAlgebra.leastSquaresSolve(hessian, gradient), true)
        }
    }

    /// The penalised log loss at `beta` (parameter order: `[β₀, …]`). `beta` always has an entry
    /// per parameter (the fit makes both), so the product cannot fail; a failure would be a bug,
    /// and is +∞ (never accepted as a descent step) rather than a silently empty sum.
    func objective(_ design: OneHotDesign, _ y: [Double], _ s: [Double], _ beta: [Double]) -> Double {
        let eta: [Double]
        do { eta = try design.linearPredictor(beta) } catch { return .infinity }
        var f = 0.0
        for i in 0..<eta.count {
            let z = eta[i]
            // log(1 + e^z) computed without overflow.
            f += s[i] * (softplus(z) - y[i] * z)
        }
        var penalty = 0.0
        for j in 1..<beta.count { penalty += beta[j] * beta[j] }
        return f + 0.5 * l2 * penalty
    }
}

