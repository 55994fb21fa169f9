import Foundation

/// Curves and tables drawn in the HTML report, computed from scores and outcomes.
public enum Curves {
    /// Points kept when a curve has more (evenly by index, ends included): enough for a smooth
    /// line, small enough for a page.
    public static let maxPoints = 200

    static func thin<T>(_ points: [T]) -> [T] {
        guard points.count > maxPoints else { return points }
        return (0..<maxPoints).map { points[$0 * (points.count - 1) / (maxPoints - 1)] }
    }

    /// Distinct score thresholds from the highest down, with converters and others at or above
    /// each: the raw material of ROC and precision–recall curves.
    static func cumulative(_ scores: [Double], _ labels: [Double]) -> [(threshold: Double, tp: Double, fp: Double)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var out: [(Double, Double, Double)] = []
        var tp = 0.0, fp = 0.0, i = 0
        while i < order.count {
            var j = i
            while j < order.count && scores[order[j]] == scores[order[i]] {
                if labels[order[j]] > 0.5 { tp += 1 } else { fp += 1 }
                j += 1
            }
            out.append((scores[order[i]], tp, fp))
            i = j
        }
        return out
    }

    /// ROC curve: (false positive rate, true positive rate) from (0, 0) to (1, 1).
    public static func roc(_ scores: [Double], _ labels: [Double]) -> [(x: Double, y: Double)] {
        let p = labels.reduce(0, +), n = Double(labels.count) - p
        guard p > 0, n > 0 else { return [] }
        return thin([(0.0, 0.0)] + cumulative(scores, labels).map { ($0.fp / n, $0.tp / p) })
    }

    /// Precision–recall curve: (recall, precision) at each threshold.
    public static func precisionRecall(_ scores: [Double], _ labels: [Double]) -> [(x: Double, y: Double)] {
        let p = labels.reduce(0, +)
        guard p > 0 else { return [] }
        return thin(cumulative(scores, labels).map { ($0.tp / p, $0.tp / ($0.tp + $0.fp)) })
    }

    /// Conversions among the top k leads for each k in `ks` (ascending), ties at a cut shared
    /// evenly, as `Metrics.expectedHits`, in one pass.
    public static func hits(_ scores: [Double], _ labels: [Double], at ks: [Int]) -> [Double] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var result: [Double] = []
        var taken = 0, hits = 0.0, i = 0, next = 0
        // Walk groups of equal scores; answer every k that falls inside or at the end of a group.
        while next < ks.count && ks[next] <= 0 { result.append(0); next += 1 }
        while i < order.count && next < ks.count {
            var j = i, groupHits = 0.0
            while j < order.count && scores[order[j]] == scores[order[i]] { groupHits += labels[order[j]]; j += 1 }
            let size = j - i
            while next < ks.count && ks[next] <= taken + size {
                result.append(hits + groupHits * Double(ks[next] - taken) / Double(size))
                next += 1
            }
            hits += groupHits
            taken += size
            i = j
        }
        while next < ks.count { result.append(hits); next += 1 }
        return result
    }

    /// Cumulative gains: (share of leads contacted, share of conversions found), 100 steps.
    public static func gains(_ scores: [Double], _ labels: [Double], steps: Int = 100) -> [(x: Double, y: Double)] {
        let n = scores.count, p = labels.reduce(0, +)
        guard n > 0, p > 0 else { return [] }
        let ks = (0...steps).map { $0 * n / steps }
        return zip(ks, hits(scores, labels, at: ks)).map { (Double($0) / Double(n), $1 / p) }
    }

    /// Lift: conversion rate of the top share over the overall rate, from 5% of leads on.
    public static func lift(_ scores: [Double], _ labels: [Double], steps: Int = 100) -> [(x: Double, y: Double)] {
        gains(scores, labels, steps: steps).filter { $0.x >= 0.05 }.map { ($0.x, $0.y / $0.x) }
    }

    /// Shares of each class's leads per probability bin of width 1/`bins`.
    public static func histogram(_ probabilities: [Double], _ labels: [Double], bins: Int = 20) -> (converted: [Double], other: [Double]) {
        var c = [Double](repeating: 0, count: bins), o = [Double](repeating: 0, count: bins)
        for (p, y) in zip(probabilities, labels) {
            let b = min(bins - 1, max(0, Int(p * Double(bins))))
            if y > 0.5 { c[b] += 1 } else { o[b] += 1 }
        }
        let ct = max(1, c.reduce(0, +)), ot = max(1, o.reduce(0, +))
        return (c.map { $0 / ct }, o.map { $0 / ot })
    }
}

/// One row of the threshold explorer.
public struct ThresholdRow: Codable, Equatable, Sendable {
    public var threshold: Double
    public var leadsAbove: Int
    public var shareAbove: Double
    public var precision: Double
    public var recall: Double
    /// "SQL" / "MQL" when this is the model's tier threshold.
    public var tier: String?

    /// Precision and recall at each threshold (probability ≥ threshold counts as above).
    public static func table(_ p: [Double], _ y: [Double], thresholds: [Double], tiers: TierThresholds) -> [ThresholdRow] {
        let positives = y.reduce(0, +)
        var all = Set(thresholds)
        all.insert(tiers.mql); all.insert(tiers.sql)
        return all.filter { $0.isFinite && $0 >= 0 && $0 <= 1 }.sorted().map { t in
            var above = 0, hits = 0.0
            for (pi, yi) in zip(p, y) where pi >= t { above += 1; hits += yi }
            let tier: String? = t == tiers.sql ? "SQL" : t == tiers.mql ? "MQL" : nil
            return ThresholdRow(threshold: t, leadsAbove: above, shareAbove: p.isEmpty ? 0 : Double(above) / Double(p.count),
                                precision: above > 0 ? hits / Double(above) : .nan, recall: positives > 0 ? hits / positives : .nan, tier: tier)
        }
    }
}

/// How the model's probability moves with one input (partial dependence): the mean probability
/// over a sample of leads when the input is set to each value in turn.
public struct Dependence: Codable, Equatable, Sendable {
    public var feature: String
    public var numeric: Bool
    public var values: [String]
    /// Numeric inputs: the values as numbers (the x axis).
    public var positions: [Double]
    public var meanProbability: [Double]

    public static func compute(model: LeadModel, table: Table, rows: [Int], feature: String, maxLevels: Int = 8) -> Dependence? {
        guard let k = model.encoder.columns.firstIndex(where: { $0.name == feature }), let c = table.index(of: feature) else { return nil }
        let columnIndices = model.encoder.columns.map { table.index(of: $0.name) }
        guard !columnIndices.contains(where: { $0 == nil }) else { return nil }
        let missing = model.schema.missingTokens
        let kind = model.schema.column(named: feature)?.kind ?? .categorical
        let present = rows.map { table.columns[c][$0] }.filter { !missing.isMissing($0) }
        var grid: [String] = []
        var positions: [Double] = []
        if kind == .numeric {
            // The values as the data writes them (substituted as text), keyed by their number.
            var written: [Double: String] = [:]
            let format = model.schema.column(named: feature)?.numberFormat ?? .plain
            for v in present { if let x = format.parse(v), written[x] == nil { written[x] = Values.trim(v) } }
            let values = written.keys.sorted()
            guard values.count >= 2 else { return nil }
            let count = min(12, values.count)
            positions = Array(Set((0..<count).map { values[$0 * (values.count - 1) / max(1, count - 1)] })).sorted()
            grid = positions.compactMap { written[$0] }
        } else {
            var counts: [String: Int] = [:]
            for v in present { counts[Values.trim(v), default: 0] += 1 }
            grid = counts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(maxLevels).map(\.key)
            guard grid.count >= 2 else { return nil }
        }
        let scorer = LeadScorer(model: model, reasonsPerSide: 0)
        let indices = columnIndices.compactMap { $0 }
        var base = rows.map { r in indices.map { table.columns[$0][r] } }
        var means: [Double] = []
        for value in grid {
            for i in base.indices { base[i][k] = value }
            var issues = EncodingIssues()
            let scored = scorer.score(records: base, lines: rows.map { table.lines[$0] }, issues: &issues)
            means.append(scored.reduce(0) { $0 + $1.probability } / Double(max(1, scored.count)))
        }
        return Dependence(feature: feature, numeric: kind == .numeric, values: grid, positions: positions, meanProbability: means)
    }
}
