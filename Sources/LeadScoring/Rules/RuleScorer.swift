import Foundation

/// One lead's rule score.
public struct RuleScore: Sendable, Equatable {
    public var total: Double
    /// Points per group, in the rules file's order.
    public var groups: [Double]
    public var grade: String?
    public var tier: Tier
    /// The rules that fired: index into `RuleSet.rules` and the points they gave (after decay,
    /// before the group's cap).
    public var fired: [(rule: Int, points: Double)]

    public static func == (a: RuleScore, b: RuleScore) -> Bool {
        a.total == b.total && a.groups == b.groups && a.grade == b.grade && a.tier == b.tier
            && a.fired.map(\.rule) == b.fired.map(\.rule) && a.fired.map(\.points) == b.fired.map(\.points)
    }
}

/// A rule set bound to one table: every column resolved and type-checked, so scoring a row is
/// plain arithmetic. Building it is what `rules check` runs.
public struct RuleScorer {
    public let rules: RuleSet
    public let table: Table
    /// Midnight UTC of the as-of date, in seconds since 1970: decay counts days up to it, and
    /// events after that day are ignored (events during it count, with age 0).
    public let asOf: Double
    let events: [[EventLog.Event]]?
    /// Leads in the event log that are not in the table (their events are not scored).
    public private(set) var unmatchedEventLeads = 0
    /// Per rule: its compiled test (`when` rules), the column a `per` rule reads (−1 for others),
    /// and an `on` rule's activity as the event log keys it (lower-cased; "" for others).
    private let tests: [((Int) -> Bool)?]
    private let perColumn: [Int]
    private let activityKey: [String]
    /// Per group: the days-since-date values its decay counts from (nil: none).
    private let sinceDates: [[Double]?]
    /// Parsed values of the columns `per` rules read.
    private let numbers: [Int: [Double]]
    private let flatRules: [(group: Int, rule: Rule)]

    /// Resolves and checks `rules` against `table` (whose inferred schema is `schema`); throws a
    /// `RuleError` naming the rule's line for an unknown column (with the closest names) or a
    /// test that does not fit the column's type.
    public init(rules: RuleSet, table: Table, schema: Schema, asOf: Double, events: EventLog? = nil) throws {
        self.rules = rules
        self.table = table
        self.asOf = asOf
        var flat: [(Int, Rule)] = []
        for (g, group) in rules.groups.enumerated() { for rule in group.rules { flat.append((g, rule)) } }
        flatRules = flat
        activityKey = flat.map { if case let .on(activity, _, _, _, _) = $0.1.kind { return activity.lowercased() } else { return "" } }
        (self.events, unmatchedEventLeads) = try RuleScorer.bind(events, rules: rules, table: table)
        var compiler = RuleCompiler(rules: rules, table: table, schema: schema)
        var tests: [((Int) -> Bool)?] = [], perColumn: [Int] = []
        for (_, rule) in flat {
            switch rule.kind {
            case let .when(condition, _):
                tests.append(try compiler.compile(condition, line: rule.line)); perColumn.append(-1)
            case let .per(ref, _, _):
                let (i, column) = try compiler.resolve(ref, rule: rule.line)
                try compiler.parseNumbers(ref, i, column, test: "per", line: rule.line)
                tests.append(nil); perColumn.append(i)
            case .on:
                tests.append(nil); perColumn.append(-1)
            }
        }
        self.tests = tests
        self.perColumn = perColumn
        sinceDates = try rules.groups.map { group in try group.decay?.since.map { try compiler.dates(of: $0, group: group) } }
        numbers = compiler.numbers
    }

    /// Each lead's events (by the id column the log names), and how many logged leads are not in the table.
    static func bind(_ events: EventLog?, rules: RuleSet, table: Table) throws -> ([[EventLog.Event]]?, unmatched: Int) {
        guard rules.usesEvents else { return (nil, 0) }
        guard let events else {
            let line = rules.rules.first { if case .on = $0.kind { return true } else { return false } }?.line ?? 0
            throw RuleError(file: rules.source, line: line, "this rule scores events: give the activity log with --events FILE.csv")
        }
        guard let idIndex = table.index(of: events.idColumn) else {
            throw UsageError("\(events.source): its first column '\(events.idColumn)' (the lead id) is not a column of \(table.source)"
                + suggestionText(for: events.idColumn, among: table.header))
        }
        let ids = table.columns[idIndex].map { Values.trim($0) }
        let known = Set(ids)
        return (ids.map { events.events[$0] ?? [] }, events.events.keys.filter { !known.contains($0) }.count)
    }

    /// Scores row `r` of the table.
    public func score(row r: Int) -> RuleScore { score(row: r, asOf: asOf) }

    /// Scores row `r` as of another moment than the scorer's (decay and event ages move with
    /// it; the rules' tests do not depend on it): how the service finds when points decaying
    /// cross a tier threshold.
    public func score(row r: Int, asOf: Double) -> RuleScore {
        var groupPoints = [Double](repeating: 0, count: rules.groups.count)
        var fired: [(Int, Double)] = []
        var decayFactors = [Double](repeating: 1, count: rules.groups.count)
        for (g, group) in rules.groups.enumerated() {
            if let decay = group.decay, let d = sinceDates[g] {
                // A lead with no date (never active) has nothing to decay from: factor 1.
                if !d[r].isNaN { decayFactors[g] = decay.factor(days: (asOf - d[r]) / 86_400) }
            }
        }
        for (k, (g, rule)) in flatRules.enumerated() {
            let decay = rules.groups[g].decay
            var points = 0.0
            switch rule.kind {
            case let .when(_, p):
                if tests[k]?(r) == true { points = p * decayFactors[g] }
            case let .per(_, p, cap):
                let x = numbers[perColumn[k]]?[r] ?? .nan
                if !x.isNaN && x != 0 {
                    var raw = x * p
                    if let cap { raw = min(max(raw, -cap), cap) }
                    points = raw * decayFactors[g]
                }
            case let .on(_, p, within, cap, perValue):
                let lowered = activityKey[k]
                for event in events?[r] ?? [] where event.activity == lowered {
                    // The as-of date includes its whole day; later events have not happened yet.
                    if event.time >= asOf + 86_400 { continue }
                    let age = max(0, (asOf - event.time) / 86_400)
                    if let within, age > within { continue }
                    let units = perValue ? (event.value ?? 1) : 1
                    points += p * units * (decay?.factor(days: age) ?? 1)
                }
                if let cap { points = min(max(points, -cap), cap) }
            }
            if points != 0 {
                groupPoints[g] += points
                fired.append((k, points))
            }
        }
        for (g, group) in rules.groups.enumerated() {
            if let hi = group.max { groupPoints[g] = min(groupPoints[g], hi) }
            if let lo = group.min { groupPoints[g] = max(groupPoints[g], lo) }
        }
        let total = groupPoints.reduce(0, +)
        var grade: String? = nil
        if let spec = rules.grade, let g = rules.groups.firstIndex(where: { $0.name == spec.group }) {
            grade = spec.grade(groupPoints[g])
        }
        return RuleScore(total: total, groups: groupPoints, grade: grade, tier: rules.tier(total), fired: fired)
    }

    /// Scores the given rows (all rows by default).
    public func scoreAll(rows: [Int]? = nil) -> [RuleScore] {
        (rows ?? Array(0..<table.rowCount)).map { score(row: $0) }
    }

    /// Midnight UTC of a date given as text (`--as-of`), or of today.
    public static func asOfDate(_ text: String?) throws -> Double {
        guard let text else {
            let now = Date().timeIntervalSince1970
            return (now / 86_400).rounded(.down) * 86_400
        }
        guard let t = DateParser.parse(text) else { throw UsageError("--as-of: '\(text)' is not a date (use YYYY-MM-DD)") }
        return t
    }
}

func describe(_ column: ColumnSchema) -> String {
    let examples = column.examples.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
    let kind: String
    switch column.kind {
    case .numeric: kind = "numeric"
    case .boolean: kind = "a yes/no column"
    case .categorical: kind = "categorical (text)"
    case .identifier: kind = "an identifier"
    case .date: kind = "a date column"
    case .text: kind = "free text"
    case .constant: kind = "constant"
    case .empty: kind = "empty"
    case .excluded: kind = "excluded"
    }
    return examples.isEmpty ? kind : "\(kind) (e.g. \(examples))"
}
