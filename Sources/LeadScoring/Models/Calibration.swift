import Foundation

/// A map from a model's probability to a calibrated one, fitted on out-of-fold predictions so
/// that "38%" means 38 of 100 such leads convert.
public enum Calibration: Codable, Equatable, Sendable {
    /// Platt scaling: `σ(a · logit(p) + b)`.
    case platt(a: Double, b: Double)
    /// Isotonic regression: a non-decreasing step function, interpolated linearly between the
    /// probabilities `x` (ascending) and their calibrated values `y`.
    case isotonic(x: [Double], y: [Double])

    public var name: String {
        switch self {
        case .platt: return "Platt scaling"
        case .isotonic: return "isotonic regression"
        }
    }

    public func apply(_ p: Double) -> Double {
        switch self {
        case let .platt(a, b):
            return sigmoid(a * logit(p) + b)
        case let .isotonic(x, y):
            guard let first = x.first, let last = x.last else { return p }
            if p <= first { return y[0] }
            if p >= last { return y[y.count - 1] }
            var lo = 0, hi = x.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if x[mid] <= p { lo = mid } else { hi = mid }
            }
            let t = x[hi] > x[lo] ? (p - x[lo]) / (x[hi] - x[lo]) : 0
            return y[lo] + t * (y[hi] - y[lo])
        }
    }

    /// Platt scaling fitted by Newton's method on the log loss (with Platt's target smoothing,
    /// so separable data cannot push the slope to infinity).
    public static func fitPlatt(_ p: [Double], _ y: [Double]) -> Calibration {
        let positives = y.reduce(0, +), negatives = Double(y.count) - positives
        let high = (positives + 1) / (positives + 2), low = 1 / (negatives + 2)
        let t = y.map { $0 > 0.5 ? high : low }
        let z = p.map(logit)
        func loss(_ a: Double, _ b: Double) -> Double {
            var total = 0.0
            for i in 0..<z.count {
                let m = a * z[i] + b
                // −[t log σ(m) + (1 − t) log(1 − σ(m))], written to stay finite for large |m|.
                total += softplus(m) - t[i] * m
            }
            return total
        }
        // Newton's method from the flat start (a = 0, b = 0) with step halving: plain Newton
        // from a = 1 overshoots on overconfident inputs, whose tails have tiny weights.
        var a = 0.0, b = 0.0
        var current = loss(a, b)
        for _ in 0..<100 {
            var g0 = 0.0, g1 = 0.0, h00 = 0.0, h01 = 0.0, h11 = 0.0
            for i in 0..<z.count {
                let q = sigmoid(a * z[i] + b), w = max(q * (1 - q), 1e-12), r = q - t[i]
                g0 += r * z[i]; g1 += r
                h00 += w * z[i] * z[i]; h01 += w * z[i]; h11 += w
            }
            h00 += 1e-9; h11 += 1e-9
            let det = h00 * h11 - h01 * h01
            guard det.isFinite, abs(det) > 1e-18 else { break }
            let da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det
            var step = 1.0, next = loss(a - da, b - db)
            while next > current && step > 1e-6 {
                step /= 2
                next = loss(a - step * da, b - step * db)
            }
            guard next <= current else { break }
            a -= step * da; b -= step * db
            let improvement = current - next
            current = next
            if improvement < 1e-12 * max(1, abs(current)) { break }
        }
        return .platt(a: a, b: b)
    }

    /// Isotonic regression of outcomes on probability (pool-adjacent-violators), kept as the
    /// blocks' mean probabilities and rates. Leads with equal probabilities are pooled first
    /// (one point weighted by their count), so ties never straddle two blocks.
    public static func fitIsotonic(_ p: [Double], _ y: [Double]) -> Calibration {
        let order = p.indices.sorted { p[$0] < p[$1] }
        var xs: [Double] = [], rates: [Double] = [], weights: [Double] = []
        var i = 0
        while i < order.count {
            var j = i, hits = 0.0
            while j < order.count && p[order[j]] == p[order[i]] { hits += y[order[j]]; j += 1 }
            xs.append(p[order[i]]); rates.append(hits / Double(j - i)); weights.append(Double(j - i))
            i = j
        }
        let fitted = isotonicFit(rates, weights: weights)
        var blockX: [Double] = [], blockY: [Double] = []
        i = 0
        while i < xs.count {
            var j = i, sum = 0.0, weight = 0.0
            while j < xs.count && fitted[j] == fitted[i] { sum += xs[j] * weights[j]; weight += weights[j]; j += 1 }
            blockX.append(sum / weight)
            // Keep the extremes off 0 and 1: a handful of leads never justify certainty.
            blockY.append(min(max(fitted[i], 1e-4), 1 - 1e-4))
            i = j
        }
        return .isotonic(x: blockX, y: blockY)
    }

    /// Chooses among no calibration, Platt scaling and isotonic regression by log loss, each
    /// fitted on one half of the out-of-fold predictions and scored on the other (both ways).
    /// A calibrator must beat none by 0.001 to be kept; isotonic must beat Platt by as much
    /// (it has many more degrees of freedom).
    public static func choose(probabilities p: [Double], labels y: [Double], seed: UInt64 = 42) -> (Calibration?, [String: Double]) {
        var rng = SeededGenerator(seed: seed)
        var half = p.indices.map { _ in rng.uniform() < 0.5 }
        if !half.contains(true) || !half.contains(false) { half = p.indices.map { $0 % 2 == 0 } }
        var losses = ["none": 0.0, "platt": 0.0, "isotonic": 0.0]
        for side in [true, false] {
            let fitIdx = p.indices.filter { half[$0] == side }, testIdx = p.indices.filter { half[$0] != side }
            let fp = fitIdx.map { p[$0] }, fy = fitIdx.map { y[$0] }
            let tp = testIdx.map { p[$0] }, ty = testIdx.map { y[$0] }
            let w = Double(testIdx.count) / Double(p.count)
            losses["none"]! += w * Metrics.logLoss(tp, ty)
            let platt = fitPlatt(fp, fy), iso = fitIsotonic(fp, fy)
            losses["platt"]! += w * Metrics.logLoss(tp.map(platt.apply), ty)
            losses["isotonic"]! += w * Metrics.logLoss(tp.map(iso.apply), ty)
        }
        var choice: String = "none"
        if losses["platt"]! < losses["none"]! - 0.001 { choice = "platt" }
        let reference = losses[choice]!
        if losses["isotonic"]! < reference - 0.001 { choice = "isotonic" }
        switch choice {
        case "platt": return (fitPlatt(p, y), losses)
        case "isotonic": return (fitIsotonic(p, y), losses)
        default: return (nil, losses)
        }
    }
}
