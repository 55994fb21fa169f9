import Foundation

/// How much a number measured on a few hundred leads can be trusted: confidence intervals for
/// ROC AUC and for differences of AUC, and the reliability of probabilities.
public enum Uncertainty {
    /// Midranks (1-based, ties averaged) of `values`.
    static func midranks(_ values: [Double]) -> [Double] {
        let n = values.count
        let order = (0..<n).sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && values[order[j + 1]] == values[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// ROC AUC with DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988), computed from
    /// midranks in O(n log n):
    /// ```
    /// V10ᵢ = (R(xᵢ) − Rₓ(xᵢ)) / n      (each converter's share of non-converters it outranks)
    /// V01ⱼ = 1 − (R(yⱼ) − R_y(yⱼ)) / m  (each non-converter's share of converters above it)
    /// Var(AUC) = S10 / m + S01 / n       (S: sample variances of V10 and V01)
    /// ```
    /// and a 95% interval AUC ± 1.96 √Var, clipped to [0, 1]. NaN when a class is absent.
    public static func aucInterval(_ scores: [Double], _ labels: [Double], z: Double = 1.959964) -> (auc: Double, low: Double, high: Double, standardError: Double) {
        let positives = scores.indices.filter { labels[$0] > 0.5 }, negatives = scores.indices.filter { labels[$0] <= 0.5 }
        let m = positives.count, n = negatives.count
        guard m > 0, n > 0 else { return (.nan, .nan, .nan, .nan) }
        let all = midranks(scores)
        let rx = midranks(positives.map { scores[$0] }), ry = midranks(negatives.map { scores[$0] })
        let v10 = positives.indices.map { (all[positives[$0]] - rx[$0]) / Double(n) }
        let v01 = negatives.indices.map { 1 - (all[negatives[$0]] - ry[$0]) / Double(m) }
        let auc = v10.reduce(0, +) / Double(m)
        func variance(_ v: [Double]) -> Double {
            guard v.count > 1 else { return 0 }
            let mean = v.reduce(0, +) / Double(v.count)
            return v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)
        }
        let se = (variance(v10) / Double(m) + variance(v01) / Double(n)).squareRoot()
        return (auc, max(0, auc - z * se), min(1, auc + z * se), se)
    }

    /// AUC of `scores` with leads counted `weights[i]` times (a bootstrap replicate), given the
    /// leads' order by score (ascending). One pass: each converter outranks the non-converters'
    /// weight below it, ties counting one half.
    static func weightedAUC(order: [Int], scores: [Double], labels: [Double], weights: [Int]) -> Double {
        var negativeBelow = 0.0, pairs = 0.0, totalPositive = 0.0
        var i = 0
        let n = order.count
        while i < n {
            var j = i, groupPositive = 0.0, groupNegative = 0.0
            while j < n && scores[order[j]] == scores[order[i]] {
                let w = Double(weights[order[j]])
                if labels[order[j]] > 0.5 { groupPositive += w } else { groupNegative += w }
                j += 1
            }
            pairs += groupPositive * (negativeBelow + groupNegative / 2)
            negativeBelow += groupNegative
            totalPositive += groupPositive
            i = j
        }
        let denominator = totalPositive * negativeBelow
        return denominator > 0 ? pairs / denominator : .nan
    }

    /// A paired bootstrap interval for AUC(a) − AUC(b) on the same leads: `replicates` resamples
    /// of the leads with replacement (seeded, so the same inputs give the same interval), the
    /// 2.5th and 97.5th percentiles of the differences.
    public static func aucDifferenceInterval(_ a: [Double], _ b: [Double], labels: [Double], replicates: Int = 500,
                                             seed: UInt64 = 42) -> (difference: Double, low: Double, high: Double) {
        let n = labels.count
        let difference = Metrics.rocAUC(a, labels) - Metrics.rocAUC(b, labels)
        guard n > 1, replicates > 1 else { return (difference, difference, difference) }
        let orderA = (0..<n).sorted { a[$0] < a[$1] }, orderB = (0..<n).sorted { b[$0] < b[$1] }
        var rng = SeededGenerator(seed: seed)
        var differences: [Double] = []
        var weights = [Int](repeating: 0, count: n)
        for _ in 0..<replicates {
            for i in 0..<n { weights[i] = 0 }
            for _ in 0..<n { weights[Int(rng.uniform() * Double(n))] += 1 }
            let d = weightedAUC(order: orderA, scores: a, labels: labels, weights: weights)
                - weightedAUC(order: orderB, scores: b, labels: labels, weights: weights)
            if d.isFinite { differences.append(d) }
        }
        guard !differences.isEmpty else { return (difference, .nan, .nan) }
        differences.sort()
        func quantile(_ q: Double) -> Double { differences[min(differences.count - 1, max(0, Int((q * Double(differences.count - 1)).rounded())))] }
        return (difference, quantile(0.025), quantile(0.975))
    }

    /// Wilson's 95% interval for a rate of `hits` in `count`.
    public static func wilson(hits: Double, count: Double, z: Double = 1.959964) -> (low: Double, high: Double) {
        guard count > 0 else { return (0, 1) }
        let p = hits / count, z2 = z * z
        let centre = (p + z2 / (2 * count)) / (1 + z2 / count)
        let half = z * (p * (1 - p) / count + z2 / (4 * count * count)).squareRoot() / (1 + z2 / count)
        return (max(0, centre - half), min(1, centre + half))
    }
}

/// One band of the reliability table: leads grouped by predicted probability.
public struct ReliabilityBin: Codable, Equatable, Sendable {
    public var count: Int
    public var meanPredicted: Double
    public var observed: Double
    /// Wilson 95% interval of the observed rate.
    public var observedLow: Double
    public var observedHigh: Double
}

/// Predicted against observed conversion rates: `bins` equal-count bands by predicted
/// probability, and the expected calibration error `ECE = Σ (nᵦ / N) |observedᵦ − predictedᵦ|`.
public struct Reliability: Codable, Equatable, Sendable {
    public var bins: [ReliabilityBin]
    public var expectedCalibrationError: Double

    public init(probabilities p: [Double], labels y: [Double], bins count: Int = 10) {
        let n = p.count
        let order = (0..<n).sorted { p[$0] < p[$1] }
        var bins: [ReliabilityBin] = []
        var ece = 0.0
        let k = max(1, min(count, n))
        for b in 0..<k {
            let lo = b * n / k, hi = (b + 1) * n / k
            guard lo < hi else { continue }
            var sumP = 0.0, hits = 0.0
            for i in lo..<hi { sumP += p[order[i]]; hits += y[order[i]] }
            let size = Double(hi - lo)
            let interval = Uncertainty.wilson(hits: hits, count: size)
            bins.append(ReliabilityBin(count: hi - lo, meanPredicted: sumP / size, observed: hits / size,
                                       observedLow: interval.low, observedHigh: interval.high))
            ece += size / Double(n) * abs(hits / size - sumP / size)
        }
        self.bins = bins
        expectedCalibrationError = n > 0 ? ece : .nan
    }
}
