import Foundation
import LinearAlgebra

/// Derives a readable points scorecard from labelled history (`leadscore rules suggest`):
/// numeric columns cut into quantile bands, categories grouped (rare ones together as "other"),
/// a regularised logistic regression on those attributes, and its coefficients scaled to whole
/// points so that `pointsToDoubleOdds` points double a lead's odds of converting. Each column's
/// most common attribute is its zero, so points read as "better or worse than the typical lead".
public struct ScorecardBuilder: Sendable {
    /// Points that double the odds (credit scorecards' "points to double the odds"): 20 makes
    /// a strong signal such as a demo request worth a few dozen points, a familiar scale.
    public var pointsToDoubleOdds = 20.0
    /// Bands per numeric column: 5 keeps each band's rule readable and its estimate stable.
    public var bands = 5
    /// A category gets its own rule when it has this share of the rows (and `minLevelCount`).
    public var minLevelShare = 0.01
    public var minLevelCount = 30
    /// L2 penalty of the logistic regression on the 0/1 attributes.
    public var l2 = 1.0

    public init() {}

    /// One attribute: a condition on one column and the points it earns.
    public struct Attribute: Sendable {
        public var column: String
        public var condition: Condition
        public var points: Double
    }

    public struct Result: Sendable {
        public var attributes: [Attribute]
        public var rules: RuleSet
    }

    /// Builds the scorecard on `rows` of `table` (labels `y`), with tiers chosen on those rows by
    /// `tierPolicy` (as the model's tiers are).
    public func build(table: Table, schema: Schema, rows: [Int], y: [Double], tierPolicy: TierPolicy = TierPolicy(),
                      source: String) throws -> Result {
        let candidates = schema.featureColumns.compactMap { columnCandidates(of: $0, table: table, rows: rows, missing: schema.missingTokens) }
        guard !candidates.isEmpty else {
            throw DataError.tooFewRows(SourceLocation(file: table.source), reason: "no column varies enough to build a scorecard from")
        }
        // Each column's most common attribute is the reference (no column in the design).
        var design: [(column: Int, attribute: Int)] = []
        var references: [Int] = []
        for (j, cand) in candidates.enumerated() {
            let counts = cand.member.map { $0.lazy.filter { $0 }.count }
            let reference = counts.indices.max { counts[$0] < counts[$1] }!
            references.append(reference)
            for a in cand.conditions.indices where a != reference { design.append((j, a)) }
        }
        var x = Matrix(rows: rows.count, columns: design.count)
        for (k, d) in design.enumerated() {
            let hits = candidates[d.column].member[d.attribute]
            for r in 0..<rows.count where hits[r] { x[r, k] = 1 }
        }
        let model = try LogisticRegression(l2: l2).fit(x, y)
        let scale = pointsToDoubleOdds / log(2)
        var attributes: [Attribute] = []
        for (k, d) in design.enumerated() {
            let points = (model.coefficients[k] * scale).rounded()
            if points != 0 {
                attributes.append(Attribute(column: candidates[d.column].column, condition: candidates[d.column].conditions[d.attribute], points: points))
            }
        }
        // Points on the training rows, for the tiers.
        var totals = [Double](repeating: 0, count: rows.count)
        for (k, d) in design.enumerated() {
            let points = (model.coefficients[k] * scale).rounded()
            guard points != 0 else { continue }
            let hits = candidates[d.column].member[d.attribute]
            for r in 0..<rows.count where hits[r] { totals[r] += points }
        }
        let thresholds = tierPolicy.thresholds(probabilities: totals, labels: y)
        var mql = thresholds.mql, sql = thresholds.sql
        if !mql.isFinite || mql > (totals.max() ?? 0) { mql = (totals.max() ?? 0) + 1 }
        if !sql.isFinite || sql < mql { sql = max(mql, sql.isFinite ? sql : mql) }
        let rules = attributes.map { Rule(kind: .when($0.condition, points: $0.points), line: 0) }
        let group = RuleGroup(name: "scorecard", max: nil, min: nil, decay: nil, rules: rules, line: 0)
        return Result(attributes: attributes,
                      rules: RuleSet(version: RuleSet.currentVersion, groups: [group], mql: mql, sql: sql, grade: nil, source: source))
    }

    /// A column's candidate attributes: quantile bands of numbers, yes and no, common levels
    /// (the rest together), missing; nil when it offers fewer than two.
    func columnCandidates(of column: ColumnSchema, table: Table, rows: [Int], missing missingTokens: MissingTokens)
        -> (column: String, conditions: [Condition], member: [[Bool]])? {
        guard let c = table.index(of: column.name) else { return nil }
        let ref = ColumnReference(name: column.name)
        let raw = rows.map { table.columns[c][$0] }
        let isMissing = raw.map { missingTokens.isMissing($0) }
        var conditions: [Condition] = [], member: [[Bool]] = []
        func add(_ condition: Condition, _ hits: [Bool]) {
            guard hits.contains(true) else { return }
            conditions.append(condition)
            member.append(hits)
        }
        switch column.kind {
        case .numeric:
            let x = raw.map { column.numberFormat.parse($0) ?? .nan }
            let present = x.filter { !$0.isNaN }.sorted()
            guard !present.isEmpty else { return nil }
            var cuts: [Double] = []
            for b in 1..<bands {
                let q = present[min(present.count - 1, b * present.count / bands)]
                if q > present[0], cuts.last.map({ q > $0 }) ?? true { cuts.append(niceCut(q)) }
            }
            cuts = Array(Set(cuts)).sorted()
            let edges = [-Double.infinity] + cuts + [Double.infinity]
            for k in 0..<(edges.count - 1) {
                let lo = edges[k], hi = edges[k + 1]
                let condition: Condition
                if lo == -.infinity && hi == .infinity { condition = .present(ref) }
                else if lo == -.infinity { condition = .compare(ref, .less, hi) }
                else if hi == .infinity { condition = .compare(ref, .greaterOrEqual, lo) }
                else { condition = .all([.compare(ref, .greaterOrEqual, lo), .compare(ref, .less, hi)]) }
                add(condition, x.map { !$0.isNaN && $0 >= lo && $0 < hi })
            }
        case .boolean:
            let b = raw.map { Values.boolean($0) }
            add(.isTrue(ref), b.map { $0 == true })
            add(.isFalse(ref), b.map { $0 == false })
        default:  // categorical
            var counts: [String: (count: Int, first: String)] = [:]
            for (v, m) in zip(raw, isMissing) where !m {
                let key = Values.lowercasedTrimmed(v)
                if let seen = counts[key] { counts[key] = (seen.count + 1, seen.first) } else { counts[key] = (1, Values.trim(v)) }
            }
            let floor = max(Double(minLevelCount), minLevelShare * Double(rows.count))
            let kept = counts.filter { Double($0.value.count) >= floor }.sorted { $0.value.count > $1.value.count }
            for (key, level) in kept {
                add(.equals(ref, .text(level.first)), raw.map { Values.lowercasedTrimmed($0) == key }.enumerated().map { $1 && !isMissing[$0] })
            }
            let keptKeys = Set(kept.map(\.key))
            if kept.count < counts.count {
                add(.all([.present(ref), .not(.oneOf(ref, kept.map { .text($0.value.first) }))]),
                    raw.enumerated().map { !isMissing[$0] && !keptKeys.contains(Values.lowercasedTrimmed($1)) })
            }
        }
        if isMissing.contains(true) { add(.missing(ref), isMissing) }
        guard conditions.count >= 2 else { return nil }
        return (column.name, conditions, member)
    }

    /// A cut point rounded to 3 significant digits (readable; bands barely move), without the
    /// float noise of scaling (0.00123, not 0.0012300000000000002).
    func niceCut(_ x: Double) -> Double {
        guard x != 0, x.isFinite else { return x }
        return Double(String(format: "%.3g", x)) ?? x
    }
}

extension RuleSet {
    /// The rules file text (YAML). Strings are written double-quoted, as YAML and JSON read them.
    public func yaml(header: [String] = []) -> String {
        func q(_ s: String) -> String { NumberFormatting.quoted(s) }
        func n(_ x: Double) -> String { formatPoints(x) }
        /// Thresholds in conditions: whole numbers plainly, others in full (Swift's shortest
        /// round-trip form), so the file scores exactly as the fitted scorecard.
        func cut(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
        func value(_ v: RuleValue) -> String {
            switch v {
            case let .text(s): return q(s)
            case let .number(_, raw): return raw
            }
        }
        func condition(_ c: Condition) -> String {
            switch c {
            case let .equals(ref, v): return "{column: \(q(ref.name)), equals: \(value(v))}"
            case let .oneOf(ref, vs): return "{column: \(q(ref.name)), in: [\(vs.map(value).joined(separator: ", "))]}"
            case let .contains(ref, s): return "{column: \(q(ref.name)), contains: \(q(s))}"
            case let .matches(ref, p): return "{column: \(q(ref.name)), matches: \(q(p))}"
            case let .between(ref, lo, hi): return "{column: \(q(ref.name)), between: [\(cut(lo)), \(cut(hi))]}"
            case let .compare(ref, op, x): return "{column: \(q(ref.name)), \(op.rawValue): \(cut(x))}"
            case let .missing(ref): return "{column: \(q(ref.name)), missing: true}"
            case let .present(ref): return "{column: \(q(ref.name)), present: true}"
            case let .isTrue(ref): return "{column: \(q(ref.name)), is: true}"
            case let .isFalse(ref): return "{column: \(q(ref.name)), is: false}"
            case let .all(list): return "{all: [\(list.map(condition).joined(separator: ", "))]}"
            case let .any(list): return "{any: [\(list.map(condition).joined(separator: ", "))]}"
            case let .not(inner): return "{not: \(condition(inner))}"
            }
        }
        var lines = header.map { "# " + $0 }
        lines.append("version: \(version)")
        lines.append("groups:")
        for group in groups {
            lines.append("  \(q(group.name)):")
            if let max = group.max { lines.append("    max: \(n(max))") }
            if let min = group.min { lines.append("    min: \(n(min))") }
            if let decay = group.decay {
                var parts: [String] = []
                switch decay.curve {
                case let .halfLife(d): parts.append("half_life_days: \(n(d))")
                case let .linear(d): parts.append("linear_days: \(n(d))")
                }
                if let since = decay.since { parts.append("since: \(q(since.name))") }
                lines.append("    decay: {\(parts.joined(separator: ", "))}")
            }
            lines.append("    rules:")
            for rule in group.rules {
                switch rule.kind {
                case let .when(c, points):
                    lines.append("      - when: \(condition(c))")
                    lines.append("        points: \(n(points))")
                case let .per(ref, points, max):
                    lines.append("      - per: {column: \(q(ref.name)), points: \(n(points))\(max.map { ", max: \(n($0))" } ?? "")}")
                case let .on(activity, points, within, max, perValue):
                    var parts = ["activity: \(q(activity))", "points: \(n(points))"]
                    if let within { parts.append("within_days: \(n(within))") }
                    if let max { parts.append("max: \(n(max))") }
                    if perValue { parts.append("per_value: true") }
                    lines.append("      - on: {\(parts.joined(separator: ", "))}")
                }
            }
        }
        lines.append("tiers: {mql: \(n(mql)), sql: \(n(sql))}")
        if let grade { lines.append("grade: {group: \(q(grade.group)), A: \(n(grade.a)), B: \(n(grade.b)), C: \(n(grade.c))}") }
        return lines.joined(separator: "\n") + "\n"
    }
}
