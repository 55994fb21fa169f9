import Foundation

/// Finds columns that alone predict the outcome almost perfectly.
///
/// Each feature column is turned into a one-column score: its values are grouped (categories as
/// they are; numbers into up to 20 quantile bins; missing as its own group), each group scored by
/// its smoothed conversion rate on the training part, and the holdout ROC AUC of that score is
/// measured. At or above `threshold` (0.9) the column is reported as a probable leak: a field the
/// sales team fills in after contact (X Education's `Tags` reaches about 0.92).
public struct LeakageGuard: Sendable {
    public var threshold: Double = 0.9

    public init(threshold: Double = 0.9) { self.threshold = threshold }

    /// Single-column holdout AUC of every feature column, highest first.
    public func singleColumnAUCs(table: Table, schema: Schema, tableRows: [Int], y: [Double],
                                 split: Split) -> [LeakFinding] {
        let missing = schema.missingTokens
        let trainY = split.train.map { y[$0] }
        let prior = trainY.reduce(0, +) / Double(max(1, trainY.count))
        var findings: [LeakFinding] = []
        for column in schema.featureColumns {
            guard let c = table.index(of: column.name) else { continue }
            let raw = table.columns[c]
            // One small integer group per row: a quantile bin (numbers) or a level (others);
            // missing is a group of its own.
            var group: (String) -> Int
            if column.kind == .numeric {
                let format = column.numberFormat
                let values = split.train.compactMap { format.parse(raw[tableRows[$0]]) }.sorted()
                var edges: [Double] = []
                if !values.isEmpty {
                    for q in 1..<20 { edges.append(values[min(values.count - 1, values.count * q / 20)]) }
                    edges = Array(Set(edges)).sorted()
                }
                let missingGroup = edges.count + 1
                group = { v in
                    guard let d = format.parse(v) else { return missingGroup }
                    var lo = 0, hi = edges.count
                    while lo < hi { let mid = (lo + hi) / 2; if edges[mid] < d { lo = mid + 1 } else { hi = mid } }
                    return lo
                }
            } else {
                var levels: [String: Int] = [:]
                group = { v in
                    let key = Values.lowercasedTrimmed(FeatureEncoder.levelKey(v, missing))
                    if let g = levels[key] { return g }
                    levels[key] = levels.count
                    return levels.count - 1
                }
            }
            var hits: [Double] = [], counts: [Double] = []
            for i in split.train {
                let g = group(raw[tableRows[i]])
                if g >= counts.count { hits += repeatElement(0, count: g + 1 - counts.count); counts += repeatElement(0, count: g + 1 - counts.count) }
                hits[g] += y[i]; counts[g] += 1
            }
            let smoothing = 10.0  // pseudo-leads at the prior rate, so tiny groups do not look perfect
            let scores = split.holdout.map { i -> Double in
                let g = group(raw[tableRows[i]])
                let (h, n) = g < counts.count ? (hits[g], counts[g]) : (0, 0)
                return (h + smoothing * prior) / (n + smoothing)
            }
            let auc = Metrics.rocAUC(scores, split.holdout.map { y[$0] })
            if auc.isFinite { findings.append(LeakFinding(column: column.name, auc: auc)) }
        }
        return findings.sorted { $0.auc > $1.auc }
    }

    public func leaks(table: Table, schema: Schema, tableRows: [Int], y: [Double], split: Split) -> [LeakFinding] {
        singleColumnAUCs(table: table, schema: schema, tableRows: tableRows, y: y, split: split)
            .filter { $0.auc >= threshold }
    }
}
