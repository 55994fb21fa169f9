import Foundation

/// How a group's points fade with time: by half-life or linearly to zero.
public struct Decay: Codable, Equatable, Sendable {
    public enum Curve: Codable, Equatable, Sendable {
        /// Points × 0.5^(days / halfLife).
        case halfLife(days: Double)
        /// Points × max(0, 1 − days / days-to-zero).
        case linear(days: Double)
    }
    public var curve: Curve
    /// The date column the days are counted from (to `--as-of`); nil for a group of event
    /// rules only, whose events each decay by their own age.
    public var since: ColumnReference?

    public init(curve: Curve, since: ColumnReference?) {
        self.curve = curve
        self.since = since
    }

    /// The factor after `days` (negative days, a date after as-of, count as 0).
    public func factor(days: Double) -> Double {
        let d = max(0, days)
        switch curve {
        case let .halfLife(h): return pow(0.5, d / h)
        case let .linear(zero): return max(0, 1 - d / zero)
        }
    }

    public var text: String {
        switch curve {
        case let .halfLife(h): return "half-life \(formatPoints(h)) days"
        case let .linear(z): return "linear to 0 over \(formatPoints(z)) days"
        }
    }
}

/// One scoring rule.
public struct Rule: Codable, Equatable, Sendable {
    public enum Kind: Codable, Equatable, Sendable {
        /// `points` when the condition holds.
        case when(Condition, points: Double)
        /// `points` per unit of a numeric column, capped at `max` in absolute value.
        case per(ColumnReference, points: Double, max: Double?)
        /// `points` per event of an activity in the event log (times the event's value with
        /// `perValue`), counting events no older than `withinDays`, capped at `max`.
        case on(activity: String, points: Double, withinDays: Double?, max: Double?, perValue: Bool)
    }
    public var kind: Kind
    /// The line of the rule in the rules file.
    public var line: Int

    public init(kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// A readable label, e.g. "demo_requested" or "pricing_page_views × 5 (max 25)".
    public var label: String {
        switch kind {
        case let .when(condition, _): return condition.text
        case let .per(c, points, max): return "\(c.name) × \(formatPoints(points))" + (max.map { " (max \(formatPoints($0)))" } ?? "")
        case let .on(activity, points, within, max, perValue):
            var s = "\(activity) × \(formatPoints(points))" + (perValue ? " per unit of value" : "")
            if let within { s += " within \(within == within.rounded() ? "\(formatPoints(within)) days" : Durations.text(within * 86_400))" }
            if let max { s += " (max \(formatPoints(max)))" }
            return s
        }
    }
}

/// A named group of rules whose points are capped together (fit, engagement, …).
public struct RuleGroup: Codable, Equatable, Sendable {
    public var name: String
    public var max: Double?
    public var min: Double?
    public var decay: Decay?
    public var rules: [Rule]
    public var line: Int
}

/// Grade thresholds on one group's points (A ≥ a, B ≥ b, C ≥ c, else D), as Pardot grades fit
/// separately from the engagement score.
public struct GradeSpec: Codable, Equatable, Sendable {
    public var group: String
    public var a: Double, b: Double, c: Double
    public var line: Int

    public func grade(_ points: Double) -> String {
        points >= a ? "A" : points >= b ? "B" : points >= c ? "C" : "D"
    }
}

/// A points-based scoring model read from a rules file (YAML, or JSON, which YAML includes).
///
/// ```yaml
/// version: 1
/// groups:
///   fit:
///     max: 50
///     rules:
///       - when: {column: job_title, matches: "(?i)\\b(vp|director)\\b"}
///         points: 20
///   engagement:
///     max: 100
///     decay: {half_life_days: 30, since: last_activity_date}
///     rules:
///       - per: {column: pricing_page_views, points: 5, max: 25}
///       - on: {activity: webinar_attended, points: 15, within_days: 90}
/// tiers: {mql: 40, sql: 80}
/// grade: {group: fit, A: 40, B: 25, C: 10}
/// ```
///
/// A lead's group points are `Σ rule points × decay(days since the group's date)`, plus for
/// event rules `Σ points × decay(event's age)`, then clamped to the group's `[min, max]`. The
/// total is the sum of the groups; tiers by total (`≥ sql` SQL, `≥ mql` MQL, else Cold).
public struct RuleSet: Codable, Equatable, Sendable {
    public static let currentVersion = 1
    public var version: Int
    public var groups: [RuleGroup]
    public var mql: Double
    public var sql: Double
    public var grade: GradeSpec?
    /// The file it was read from (for messages).
    public var source: String

    public var rules: [Rule] { groups.flatMap(\.rules) }
    public var usesEvents: Bool {
        rules.contains { if case .on = $0.kind { return true } else { return false } }
    }

    public func tier(_ total: Double) -> Tier { total >= sql ? .sql : total >= mql ? .mql : .cold }

    /// Every column the rules read, in order of first use.
    public var columns: [ColumnReference] {
        var seen = Set<String>(), out: [ColumnReference] = []
        for group in groups {
            var refs: [ColumnReference] = []
            if let since = group.decay?.since { refs.append(since) }
            for rule in group.rules {
                switch rule.kind {
                case let .when(c, _): refs += c.columns
                case let .per(c, _, _): refs.append(c)
                case .on: break
                }
            }
            for r in refs where seen.insert(r.name.lowercased()).inserted { out.append(r) }
        }
        return out
    }

    /// The kind of column each rule's test needs, by lower-cased column name (numbers for
    /// comparisons and `per`, dates for decay, yes/no for `is`, text for the rest): how a column
    /// the rules read but no file describes is read (the scoring service's leads).
    public var expectedKinds: [String: ColumnKind] {
        var kinds: [String: ColumnKind] = [:]
        func visit(_ c: Condition) {
            switch c {
            case let .between(ref, _, _), let .compare(ref, _, _): kinds[ref.name.lowercased()] = .numeric
            case let .isTrue(ref), let .isFalse(ref): kinds[ref.name.lowercased()] = .boolean
            case let .equals(ref, v): if case .number = v { kinds[ref.name.lowercased()] = .numeric }
            case let .oneOf(ref, vs): if vs.allSatisfy({ if case .number = $0 { return true } else { return false } }) { kinds[ref.name.lowercased()] = .numeric }
            case let .all(list), let .any(list): list.forEach(visit)
            case let .not(inner): visit(inner)
            default: break
            }
        }
        for group in groups {
            if let since = group.decay?.since { kinds[since.name.lowercased()] = .date }
            for rule in group.rules {
                switch rule.kind {
                case let .when(c, _): visit(c)
                case let .per(ref, _, _): kinds[ref.name.lowercased()] = .numeric
                case .on: break
                }
            }
        }
        return kinds
    }

    public static func load(path: String) throws -> RuleSet {
        try RuleFileParser(file: path).parse(try readTextFile(path, what: "rules file"))
    }

    public static func parse(_ text: String, source: String) throws -> RuleSet {
        try RuleFileParser(file: source).parse(text)
    }
}
