import Foundation

/// The distribution of one input column in the training data, kept in the model file so that new
/// data can be compared with it (`leadscore drift`).
public struct FeatureProfile: Codable, Equatable, Sendable {
    public var name: String
    public var kind: ColumnKind
    public var missingShare: Double
    /// Numeric: the upper edges of ten bins of training deciles (the last is +∞).
    public var edges: [Double]?
    /// Categorical and yes/no: the levels (lower-cased), most common first.
    public var levels: [String]?
    /// Shares of the present values per bin or level; for levels, a last share for "(other)".
    public var shares: [Double]
    /// Numeric: how training read the numbers (nil: plain).
    public var number: NumberFormat? = nil
}

/// What the training data looked like: every feature column and the score distribution.
public struct DataProfile: Codable, Equatable, Sendable {
    public var rows: Int
    public var features: [FeatureProfile]
    /// Upper edges of ten bins of the probabilities the model gave held-out training leads.
    public var scoreEdges: [Double]
    public var scoreShares: [Double]

    /// Most levels kept per categorical column; the rest count as "(other)".
    public static let maxLevels = 100

    /// Profiles `rows` of `table` for the feature columns of `schema`; `probabilities` are the
    /// model's predictions for held-out leads (their decile edges become the score bins).
    public static func build(table: Table, rows: [Int], schema: Schema, probabilities: [Double]) -> DataProfile {
        let missing = schema.missingTokens
        let columns = schema.featureColumns.compactMap { column in table.index(of: column.name).map { (column, $0) } }
        var profiles = [FeatureProfile?](repeating: nil, count: columns.count)
        // Columns on two threads for large tables.
        profiles.withUnsafeMutableBufferPointer { out in
            let results = UncheckedSendable(out.baseAddress!)
            let parts = rows.count >= 50_000 ? 2 : 1
            parallelFor(parts: parts) { t in
                for k in stride(from: t, to: columns.count, by: parts) {
                    results.value[k] = profile(table.columns[columns[k].1], column: columns[k].0, rows: rows, missing: missing)
                }
            }
        }
        let features = profiles.compactMap { $0 }
        let sorted = probabilities.sorted()
        let edges = decileEdges(sorted)
        return DataProfile(rows: rows.count, features: features, scoreEdges: edges, scoreShares: binShares(sorted, edges: edges))
    }

    /// One feature column's profile: decile bins of its numbers (edges from at most 100,000
    /// of them, evenly spaced), or its most common levels.
    static func profile(_ raw: Column, column: ColumnSchema, rows: [Int], missing: MissingTokens) -> FeatureProfile {
        if column.kind == .numeric {
            let parsed = raw.numbers(rows: rows, format: column.numberFormat, missing: missing)
            let missingShare = rows.isEmpty ? 0 : Double(parsed.missing) / Double(rows.count)
            let values = parsed.values.filter { !$0.isNaN }
            let step = max(1, values.count / 100_000)
            let edges = decileEdges(stride(from: 0, to: values.count, by: step).map { values[$0] }.sorted())
            return FeatureProfile(name: column.name, kind: column.kind, missingShare: missingShare, edges: edges,
                                  levels: nil, shares: binShares(values, edges: edges), number: column.number)
        }
        let counts = raw.counts(rows: rows) { missing.isMissing($0) ? nil : levelKey($0, kind: column.kind) }
        let present = counts.values.reduce(0, +)
        let missingShare = rows.isEmpty ? 0 : Double(rows.count - present) / Double(rows.count)
        let ranked = counts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
        let kept = Array(ranked.prefix(maxLevels))
        let total = Double(max(1, present))
        var shares = kept.map { Double($0.value) / total }
        shares.append(Double(present - kept.reduce(0) { $0 + $1.value }) / total)
        return FeatureProfile(name: column.name, kind: column.kind, missingShare: missingShare, edges: nil,
                              levels: kept.map(\.key), shares: shares)
    }

    /// The present (non-missing) values of `column` at `rows`, and the share that is missing.
    static func presentValues(_ column: Column, rows: [Int], missing: MissingTokens) -> (present: [String], missingShare: Double) {
        let present = column.mapTexts(rows: rows) { missing.isMissing($0) ? nil : $0 }.compactMap { $0 }
        return (present, rows.isEmpty ? 0 : Double(rows.count - present.count) / Double(rows.count))
    }

    static func levelKey(_ raw: String, kind: ColumnKind) -> String {
        if kind == .boolean, let b = Values.boolean(raw) { return b ? "true" : "false" }
        return Values.lowercasedTrimmed(raw)
    }

    /// Exclusive upper edges of (up to) ten bins at the deciles of sorted `values`; the last edge
    /// is +∞. An edge above the minimum keeps the lowest values in the first bin, and a decile at
    /// the maximum still opens a bin of its own (a count column's top value).
    static func decileEdges(_ sorted: [Double]) -> [Double] {
        var edges: [Double] = []
        guard let lowest = sorted.first else { return [.infinity] }
        for k in 1..<10 {
            let q = sorted[min(sorted.count - 1, k * sorted.count / 10)]
            if q > lowest, edges.last.map({ q > $0 }) ?? true { edges.append(q) }
        }
        return edges + [.infinity]
    }

    /// Bin of `x`: the first edge above it (values equal to an edge go to the next bin, so a
    /// heavy value at a decile keeps its own bin).
    static func bin(_ x: Double, edges: [Double]) -> Int {
        var lo = 0, hi = edges.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if x < edges[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    static func binShares(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count)
        for v in values { counts[bin(v, edges: edges)] += 1 }
        let total = Double(max(1, values.count))
        return counts.map { $0 / total }
    }
}

/// Population stability index of `actual` against `expected` shares:
/// `PSI = Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ)`, each share floored at 0.0001 so an empty bin counts as rare
/// rather than infinite. Below 0.1: stable; 0.1–0.25: a shift worth a look; above: a real change.
public func populationStabilityIndex(expected: [Double], actual: [Double]) -> Double {
    var psi = 0.0
    for (e, a) in zip(expected, actual) {
        let ef = max(e, 1e-4), af = max(a, 1e-4)
        psi += (af - ef) * log(af / ef)
    }
    return psi
}

