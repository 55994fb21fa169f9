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
        var features: [FeatureProfile] = []
        for column in schema.featureColumns {
            guard let c = table.index(of: column.name) else { continue }
            let (present, missingShare) = presentValues(table.columns[c], rows: rows, missing: missing)
            if column.kind == .numeric {
                let values = present.compactMap { column.numberFormat.parse($0) }.sorted()
                let edges = decileEdges(values)
                features.append(FeatureProfile(name: column.name, kind: column.kind, missingShare: missingShare, edges: edges,
                                               levels: nil, shares: binShares(values, edges: edges), number: column.number))
            } else {
                var counts: [String: Int] = [:]
                for v in present { counts[levelKey(v, kind: column.kind), default: 0] += 1 }
                let ranked = counts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
                let kept = Array(ranked.prefix(maxLevels))
                let total = Double(max(1, present.count))
                var shares = kept.map { Double($0.value) / total }
                shares.append(Double(present.count - kept.reduce(0) { $0 + $1.value }) / total)
                features.append(FeatureProfile(name: column.name, kind: column.kind, missingShare: missingShare, edges: nil,
                                               levels: kept.map(\.key), shares: shares))
            }
        }
        let sorted = probabilities.sorted()
        let edges = decileEdges(sorted)
        return DataProfile(rows: rows.count, features: features, scoreEdges: edges, scoreShares: binShares(sorted, edges: edges))
    }

    /// The present (non-missing) values of `column` at `rows`, and the share that is missing.
    static func presentValues(_ column: [String], rows: [Int], missing: MissingTokens) -> (present: [String], missingShare: Double) {
        let present = rows.map { column[$0] }.filter { !missing.isMissing($0) }
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

/// How new data differs from a model's training data (`leadscore drift`).
public struct DriftReport: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable, Comparable {
        case stable, warning, alarm
        public static func < (a: Status, b: Status) -> Bool {
            let order: [Status] = [.stable, .warning, .alarm]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
        /// Warning at PSI ≥ 0.1, alarm at ≥ 0.25 (the usual credit-scoring bands).
        public init(psi: Double) { self = psi >= 0.25 ? .alarm : psi >= 0.1 ? .warning : .stable }
    }

    public struct Feature: Codable, Equatable, Sendable {
        public var name: String
        /// PSI over the column's bins or levels, missing values as a bin of their own.
        public var psi: Double
        public var status: Status
        public var missingTraining: Double
        public var missingNew: Double
        /// Levels never seen in training (when training's list was complete), most common first.
        public var unseenLevels: [String]
        /// Share of the new rows holding an unseen level.
        public var unseenShare: Double
        /// Numeric: present values that are not numbers in the column's format (left out of
        /// the bins; counted here so a change of format cannot pass for stability).
        public var unreadable: Int = 0
        /// The first of them.
        public var unreadableExample: String? = nil
    }

    public var rows: Int
    public var trainingRows: Int
    public var scorePSI: Double?
    public var scoreStatus: Status?
    public var features: [Feature]
    /// Input columns of the training data that the new data does not have (not compared).
    public var absentColumns: [String] = []
    public var status: Status

    /// Compares `rows` of `table` with `profile`; `probabilities` are the model's scores of
    /// those rows (nil to skip the score distribution).
    public init(profile: DataProfile, table: Table, rows: [Int], missing: MissingTokens, probabilities: [Double]?) {
        self.rows = rows.count
        trainingRows = profile.rows
        var features: [Feature] = []
        var absent: [String] = []
        for fp in profile.features {
            guard let c = table.index(of: fp.name) else { absent.append(fp.name); continue }
            let (present, missingNew) = DataProfile.presentValues(table.columns[c], rows: rows, missing: missing)
            var actual: [Double]
            var unseen: [String] = [], unseenShare = 0.0
            var unreadable = 0, unreadableExample: String? = nil
            if let edges = fp.edges {
                let format = fp.number ?? .plain
                var values: [Double] = []
                values.reserveCapacity(present.count)
                for v in present {
                    if let x = format.parse(v) { values.append(x) } else {
                        unreadable += 1
                        if unreadableExample == nil { unreadableExample = Values.trim(v) }
                    }
                }
                actual = DataProfile.binShares(values, edges: edges)
            } else {
                let levels = fp.levels ?? []
                let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
                actual = [Double](repeating: 0, count: levels.count + 1)
                var unseenCounts: [String: Int] = [:]
                let complete = (fp.shares.last ?? 0) == 0
                for v in present {
                    let key = DataProfile.levelKey(v, kind: fp.kind)
                    if let i = index[key] { actual[i] += 1 } else {
                        actual[levels.count] += 1
                        if complete { unseenCounts[key, default: 0] += 1 }
                    }
                }
                let total = Double(max(1, present.count))
                actual = actual.map { $0 / total }
                unseen = unseenCounts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map(\.key)
                unseenShare = rows.isEmpty ? 0 : Double(unseenCounts.values.reduce(0, +)) / Double(rows.count)
            }
            // Missing values as a bin of their own; present values' shares scaled to the rest.
            let expected = [fp.missingShare] + fp.shares.map { $0 * (1 - fp.missingShare) }
            let observed = [missingNew] + actual.map { $0 * (1 - missingNew) }
            let psi = populationStabilityIndex(expected: expected, actual: observed)
            features.append(Feature(name: fp.name, psi: psi, status: Status(psi: psi), missingTraining: fp.missingShare,
                                    missingNew: missingNew, unseenLevels: unseen, unseenShare: unseenShare,
                                    unreadable: unreadable, unreadableExample: unreadableExample))
        }
        self.features = features.sorted { $0.psi > $1.psi }
        absentColumns = absent
        if let probabilities {
            let psi = populationStabilityIndex(expected: profile.scoreShares,
                                               actual: DataProfile.binShares(probabilities, edges: profile.scoreEdges))
            scorePSI = psi
            scoreStatus = Status(psi: psi)
        }
        status = ([scoreStatus].compactMap { $0 } + features.map(\.status)).max() ?? .stable
        if !absent.isEmpty { status = .alarm }
    }

    /// One line: "score PSI 0.03 (stable); 2 columns drifted: 'x' 0.31 (alarm), 'y' 0.12 (warning)".
    public var summary: String {
        let drifted = features.filter { $0.status != .stable }
        var parts: [String] = []
        if let scorePSI, let scoreStatus { parts.append("score PSI \(NumberFormatting.fixed(scorePSI, 3)) (\(scoreStatus.rawValue))") }
        if drifted.isEmpty {
            parts.append("no column drifted (all PSI < 0.1)")
        } else {
            parts.append("\(drifted.count) column\(drifted.count == 1 ? "" : "s") drifted: "
                + drifted.prefix(5).map { "'\($0.name)' \(NumberFormatting.fixed($0.psi, 3)) (\($0.status.rawValue))" }.joined(separator: ", ")
                + (drifted.count > 5 ? ", …" : ""))
        }
        if !absentColumns.isEmpty {
            parts.append("\(absentColumns.count) input column\(absentColumns.count == 1 ? "" : "s") missing from the new data: "
                + absentColumns.prefix(5).map { "'\($0)'" }.joined(separator: ", "))
        }
        let unreadable = features.filter { $0.unreadable > 0 }
        if !unreadable.isEmpty {
            parts.append("values that are not numbers in " + unreadable.prefix(3).map {
                "'\($0.name)' (\($0.unreadable), e.g. '\($0.unreadableExample ?? "")')"
            }.joined(separator: ", "))
        }
        let unseen = features.filter { !$0.unseenLevels.isEmpty }
        if !unseen.isEmpty {
            parts.append("new categories in " + unseen.prefix(3).map { "'\($0.name)' (\($0.unseenLevels.prefix(3).joined(separator: ", ")))" }.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }
}
