import Foundation

/// Ranking and probability metrics of scores against 0/1 outcomes.
public enum Metrics {

    /// Area under the ROC curve: the probability that a random converter scores above a random
    /// non-converter, ties counting one half (Mann–Whitney U with average ranks).
    /// NaN when one class is absent.
    public static func rocAUC(_ scores: [Double], _ labels: [Double]) -> Double {
        let n = scores.count
        let order = (0..<n).sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0
        var positives = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] > 0.5 { rankSumPositive += averageRank; positives += 1 }
            i = j + 1
        }
        let negatives = Double(n) - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Average precision (the area under the precision–recall curve as a step function, as
    /// scikit-learn's `average_precision_score`): Σ (Rₖ − Rₖ₋₁) Pₖ over distinct thresholds.
    public static func averagePrecision(_ scores: [Double], _ labels: [Double]) -> Double {
        let order = (0..<scores.count).sorted { scores[$0] > scores[$1] }
        let totalPositives = labels.reduce(0, +)
        guard totalPositives > 0 else { return .nan }
        var tp = 0.0, fp = 0.0, previousRecall = 0.0, ap = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j < order.count && scores[order[j]] == scores[order[i]] {
                if labels[order[j]] > 0.5 { tp += 1 } else { fp += 1 }
                j += 1
            }
            let recall = tp / totalPositives
            ap += (recall - previousRecall) * tp / (tp + fp)
            previousRecall = recall
            i = j
        }
        return ap
    }

    /// Mean negative log-likelihood, with probabilities clipped to [1e-15, 1 − 1e-15].
    public static func logLoss(_ probabilities: [Double], _ labels: [Double]) -> Double {
        guard !probabilities.isEmpty else { return .nan }
        var total = 0.0
        for (p0, y) in zip(probabilities, labels) {
            let p = min(max(p0, 1e-15), 1 - 1e-15)
            total -= y > 0.5 ? log(p) : log(1 - p)
        }
        return total / Double(probabilities.count)
    }

    /// Mean squared difference between probability and outcome.
    public static func brier(_ probabilities: [Double], _ labels: [Double]) -> Double {
        guard !probabilities.isEmpty else { return .nan }
        return zip(probabilities, labels).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(probabilities.count)
    }

    /// The top `fraction` of leads by score (⌈fraction · n⌉ of them): their conversion rate over
    /// the overall rate (lift) and their share of all conversions (capture). Leads tied at the
    /// cut share the remaining places evenly (`expectedHits`).
    public static func topFraction(_ scores: [Double], _ labels: [Double], fraction: Double) -> (lift: Double, capture: Double) {
        let n = scores.count
        let k = min(n, Int((fraction * Double(n)).rounded(.up)))
        let total = labels.reduce(0, +)
        guard k > 0, total > 0 else { return (.nan, .nan) }
        let hits = expectedHits(scores, labels, top: k)
        return ((hits / Double(k)) / (total / Double(n)), hits / total)
    }

    /// Conversions among the `top` highest-scored leads. When the cut falls inside a group of
    /// equal scores (common with rule points), the group's places are shared out evenly: the
    /// expected count if ties were broken at random, rather than by file order.
    public static func expectedHits(_ scores: [Double], _ labels: [Double], top k: Int) -> Double {
        let n = scores.count
        guard k > 0, n > 0 else { return 0 }
        let order = (0..<n).sorted { scores[$0] > scores[$1] }
        var taken = 0, hits = 0.0, i = 0
        while i < n && taken < k {
            var j = i, groupHits = 0.0
            while j < n && scores[order[j]] == scores[order[i]] { groupHits += labels[order[j]]; j += 1 }
            let size = j - i, room = k - taken
            if size <= room { hits += groupHits; taken += size } else { hits += groupHits * Double(room) / Double(size); taken = k }
            i = j
        }
        return hits
    }
}

