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
            var key: (String) -> String
            if column.kind == .numeric {
                let values = split.train.compactMap { Values.number(raw[tableRows[$0]]) }.sorted()
                var edges: [Double] = []
                if !values.isEmpty {
                    for q in 1..<20 { edges.append(values[min(values.count - 1, values.count * q / 20)]) }
                    edges = Array(Set(edges)).sorted()
                }
                key = { v in
                    guard let d = Values.number(v) else { return "missing" }
                    var lo = 0, hi = edges.count
                    while lo < hi { let mid = (lo + hi) / 2; if edges[mid] < d { lo = mid + 1 } else { hi = mid } }
                    return "bin\(lo)"
                }
            } else {
                key = { v in FeatureEncoder.levelKey(v, missing).lowercased() }
            }
            var sums: [String: (Double, Double)] = [:]
            for i in split.train {
                let k = key(raw[tableRows[i]])
                let s = sums[k] ?? (0, 0)
                sums[k] = (s.0 + y[i], s.1 + 1)
            }
            let smoothing = 10.0  // pseudo-leads at the prior rate, so tiny groups do not look perfect
            let scores = split.holdout.map { i -> Double in
                let s = sums[key(raw[tableRows[i]])] ?? (0, 0)
                return (s.0 + smoothing * prior) / (s.1 + smoothing)
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
