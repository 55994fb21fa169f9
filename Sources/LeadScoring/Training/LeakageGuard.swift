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
        let columns = schema.featureColumns.filter { table.index(of: $0.name) != nil }
        var aucs = [Double](repeating: .nan, count: columns.count)
        // Columns on two threads for large tables; each reads its own column only.
        aucs.withUnsafeMutableBufferPointer { out in
            let results = UncheckedSendable(out.baseAddress!)
            let parts = tableRows.count >= 50_000 ? 2 : 1
            parallelFor(parts: parts) { t in
                for k in stride(from: t, to: columns.count, by: parts) {
                    let groups = LeakageGuard.groups(table.columns[table.index(of: columns[k].name)!], column: columns[k],
                                                     rows: tableRows, train: split.train, missing: missing)
                    results.value[k] = LeakageGuard.holdoutAUC(groups: groups, y: y, split: split, prior: prior)
                }
            }
        }
        var findings: [LeakFinding] = []
        for (k, auc) in aucs.enumerated() where auc.isFinite { findings.append(LeakFinding(column: columns[k].name, auc: auc)) }
        return findings.sorted { $0.auc > $1.auc }
    }

    /// Each labelled row's group: a quantile bin of the training part's numbers (edges from
    /// at most 100,000 of them, evenly spaced), or a level; missing is a group of its own.
    static func groups(_ raw: Column, column: ColumnSchema, rows tableRows: [Int], train: [Int], missing: MissingTokens) -> [Int32] {
        if column.kind == .numeric {
            let values = raw.numbers(rows: tableRows, format: column.numberFormat, missing: missing).values
            let step = max(1, train.count / 100_000)
            var sample: [Double] = []
            sample.reserveCapacity(train.count / step + 1)
            for i in stride(from: 0, to: train.count, by: step) where !values[train[i]].isNaN { sample.append(values[train[i]]) }
            sample.sort()
            var edges: [Double] = []
            if !sample.isEmpty {
                for q in 1..<20 { edges.append(sample[min(sample.count - 1, sample.count * q / 20)]) }
                edges = Array(Set(edges)).sorted()
            }
            let missingGroup = Int32(edges.count + 1)
            return values.map { d in
                guard !d.isNaN else { return missingGroup }
                var lo = 0, hi = edges.count
                while lo < hi { let mid = (lo + hi) / 2; if edges[mid] < d { lo = mid + 1 } else { hi = mid } }
                return Int32(lo)
            }
        }
        var levels: [String: Int32] = [:]
        return raw.mapTexts(rows: tableRows) { v in
            let key = Values.lowercasedTrimmed(FeatureEncoder.levelKey(v, missing))
            if let g = levels[key] { return g }
            levels[key] = Int32(levels.count)
            return Int32(levels.count - 1)
        }
    }

    /// The holdout ROC AUC of each group's smoothed training conversion rate.
    static func holdoutAUC(groups: [Int32], y: [Double], split: Split, prior: Double) -> Double {
        let count = Int(groups.max() ?? 0) + 1
        var hits = [Double](repeating: 0, count: count), totals = [Double](repeating: 0, count: count)
        for i in split.train { let g = Int(groups[i]); hits[g] += y[i]; totals[g] += 1 }
        let smoothing = 10.0  // pseudo-leads at the prior rate, so tiny groups do not look perfect
        let scores = split.holdout.map { i -> Double in
            let g = Int(groups[i])
            return (hits[g] + smoothing * prior) / (totals[g] + smoothing)
        }
        return Metrics.rocAUC(scores, split.holdout.map { y[$0] })
    }

    public func leaks(table: Table, schema: Schema, tableRows: [Int], y: [Double], split: Split) -> [LeakFinding] {
        singleColumnAUCs(table: table, schema: schema, tableRows: tableRows, y: y, split: split)
            .filter { $0.auc >= threshold }
    }
}
