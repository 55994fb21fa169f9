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
    /// Per column index: the parsed values the rules read.
    private var numbers: [Int: [Double]] = [:]
    private var booleans: [Int: [Int8]] = [:]
    private var texts: [Int: [String]] = [:]
    private var missing: [Int: [Bool]] = [:]
    private var dates: [Int: [Double]] = [:]
    private var tests: [[(Int) -> Bool]] = []
    private let flatRules: [(group: Int, rule: Rule)]
    /// Per rule: the column a `per` rule reads (−1 for others). Per group: its decay date column (−1: none).
    private var perColumn: [Int] = []
    private var sinceColumn: [Int] = []
    /// Per rule: an `on` rule's activity as the event log keys it (lower-cased; "" for others).
    private let activityKey: [String]

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
        if rules.usesEvents {
            guard let events else {
                let line = rules.rules.first { if case .on = $0.kind { return true } else { return false } }?.line ?? 0
                throw RuleError(file: rules.source, line: line, "this rule scores events: give the activity log with --events FILE.csv")
            }
            guard let idIndex = table.index(of: events.idColumn) else {
                throw UsageError("\(events.source): its first column '\(events.idColumn)' (the lead id) is not a column of \(table.source)"
                    + suggestionText(for: events.idColumn, among: table.header))
            }
            let ids = table.columns[idIndex].map { Values.trim($0) }
            self.events = ids.map { events.events[$0] ?? [] }
            let known = Set(ids)
            unmatchedEventLeads = events.events.keys.filter { !known.contains($0) }.count
        } else {
            self.events = nil
        }
        let missingTokens = schema.missingTokens
        // Resolve every referenced column and parse what the rules will read.
        func resolve(_ ref: ColumnReference, rule line: Int) throws -> (Int, ColumnSchema) {
            guard let i = table.index(of: ref.name) else {
                throw RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column,
                                "no column named '\(ref.name)' in \(table.source)" + suggestionText(for: ref.name, among: table.header))
            }
            let column = schema.columns[i]
            if missing[i] == nil { missing[i] = table.columns[i].map { missingTokens.isMissing($0) } }
            return (i, column)
        }
        func numeric(_ ref: ColumnReference, _ i: Int, _ column: ColumnSchema, test: String, line: Int) throws {
            if numbers[i] == nil {
                let values = table.columns[i].map { raw -> Double in
                    if let x = column.numberFormat.parse(raw) { return x }
                    if column.kind == .boolean, let b = Values.boolean(raw) { return b ? 1 : 0 }
                    return .nan
                }
                let present = missing[i]!.lazy.filter { !$0 }.count
                let parsed = values.lazy.filter { !$0.isNaN }.count
                if column.kind != .numeric && column.kind != .boolean && (present == 0 || Double(parsed) < 0.9 * Double(present)) {
                    throw RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column,
                                    "'\(test)' needs a numeric column, but '\(column.name)' is \(describe(column))")
                }
                numbers[i] = values
            }
        }
        func text(_ i: Int) {
            if texts[i] == nil { texts[i] = table.columns[i].map { Values.lowercasedTrimmed($0) } }
        }
        func compile(_ condition: Condition, line: Int) throws -> (Int) -> Bool {
            switch condition {
            case let .all(list):
                let parts = try list.map { try compile($0, line: line) }
                return { r in parts.allSatisfy { $0(r) } }
            case let .any(list):
                let parts = try list.map { try compile($0, line: line) }
                return { r in parts.contains { $0(r) } }
            case let .not(inner):
                let part = try compile(inner, line: line)
                return { r in !part(r) }
            case let .missing(ref):
                let (i, _) = try resolve(ref, rule: line)
                let m = missing[i]!
                return { m[$0] }
            case let .present(ref):
                let (i, _) = try resolve(ref, rule: line)
                let m = missing[i]!
                return { !m[$0] }
            case let .isTrue(ref), let .isFalse(ref):
                let (i, column) = try resolve(ref, rule: line)
                let want: Int8
                if case .isTrue = condition { want = 1 } else { want = 0 }
                if booleans[i] == nil {
                    let values = table.columns[i].map { raw -> Int8 in Values.boolean(raw).map { $0 ? 1 : 0 } ?? -1 }
                    let present = missing[i]!.lazy.filter { !$0 }.count
                    let parsed = values.lazy.filter { $0 >= 0 }.count
                    if column.kind != .boolean && (present == 0 || Double(parsed) < 0.9 * Double(present)) {
                        throw RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column,
                                        "'is: true/false' needs a yes/no column, but '\(column.name)' is \(describe(column))")
                    }
                    booleans[i] = values
                }
                let b = booleans[i]!, m = missing[i]!
                return { !m[$0] && b[$0] == want }
            case let .between(ref, lo, hi):
                let (i, column) = try resolve(ref, rule: line)
                try numeric(ref, i, column, test: "between", line: line)
                let x = numbers[i]!
                return { x[$0] >= lo && x[$0] <= hi }
            case let .compare(ref, op, bound):
                let (i, column) = try resolve(ref, rule: line)
                try numeric(ref, i, column, test: op.rawValue, line: line)
                let x = numbers[i]!
                return { let v = x[$0]; return !v.isNaN && op.holds(v, bound) }
            case let .equals(ref, value):
                return try compileEquals(ref, [value], line: line)
            case let .oneOf(ref, values):
                return try compileEquals(ref, values, line: line)
            case let .contains(ref, needle), let .matches(ref, needle):
                let (i, column) = try resolve(ref, rule: line)
                let isRegex: Bool
                if case .matches = condition { isRegex = true } else { isRegex = false }
                if column.kind == .numeric || column.kind == .boolean {
                    throw RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column,
                                    "'\(isRegex ? "matches" : "contains")' tests text, but '\(column.name)' is \(describe(column))"
                                    + (column.kind == .numeric ? "; use between, greater or less" : "; use is: true or is: false"))
                }
                let raw = table.columns[i], m = missing[i]!
                // Decide once per distinct value (CRM text columns repeat a few hundred values).
                var verdicts: [String: Bool] = [:]
                var result = [Bool](repeating: false, count: raw.count)
                var regex: SafeRegex? = nil
                if isRegex {
                    do { regex = try SafeRegex(needle) } catch let error as SafeRegex.SyntaxError {
                        throw RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column,
                                        "'\(needle)' is not a pattern leadscore runs: \(error.message)")
                    }
                }
                let lowerNeedle = needle.lowercased()
                for r in 0..<raw.count where !m[r] {
                    let v = raw[r]
                    if let known = verdicts[v] { result[r] = known; continue }
                    let hit: Bool
                    if let regex {
                        hit = regex.matches(v)
                    } else {
                        hit = v.lowercased().contains(lowerNeedle)
                    }
                    verdicts[v] = hit
                    result[r] = hit
                }
                return { result[$0] }
            }
        }
        func compileEquals(_ ref: ColumnReference, _ values: [RuleValue], line: Int) throws -> (Int) -> Bool {
            let (i, column) = try resolve(ref, rule: line)
            let m = missing[i]!
            switch column.kind {
            case .numeric:
                var wanted: [Double] = []
                for v in values {
                    guard case let .number(x, _) = v else {
                        throw RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column,
                                        "'\(column.name)' is numeric, but the rule compares it with the text '\(v)'")
                    }
                    wanted.append(x)
                }
                try numeric(ref, i, column, test: "equals", line: line)
                let x = numbers[i]!
                return { r in !m[r] && wanted.contains(x[r]) }
            case .boolean:
                var wanted: [Int8] = []
                for v in values {
                    guard let b = Values.boolean(v.raw) else {
                        throw RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column,
                                        "'\(column.name)' is a yes/no column, but the rule compares it with '\(v)'")
                    }
                    wanted.append(b ? 1 : 0)
                }
                let b = table.columns[i].map { raw -> Int8 in Values.boolean(raw).map { $0 ? 1 : 0 } ?? -1 }
                return { r in !m[r] && wanted.contains(b[r]) }
            default:
                text(i)
                let t = texts[i]!
                let wanted = Set(values.map { Values.lowercasedTrimmed($0.raw) })
                return { r in !m[r] && wanted.contains(t[r]) }
            }
        }
        var compiled: [[(Int) -> Bool]] = []
        perColumn = [Int](repeating: -1, count: flat.count)
        sinceColumn = [Int](repeating: -1, count: rules.groups.count)
        for (k, (_, rule)) in flat.enumerated() {
            switch rule.kind {
            case let .when(condition, _):
                compiled.append([try compile(condition, line: rule.line)])
            case let .per(ref, _, _):
                let (i, column) = try resolve(ref, rule: rule.line)
                try numeric(ref, i, column, test: "per", line: rule.line)
                perColumn[k] = i
                compiled.append([])
            case .on:
                compiled.append([])
            }
        }
        tests = compiled
        for (g, group) in rules.groups.enumerated() {
            guard let since = group.decay?.since else { continue }
            let (i, column) = try resolve(since, rule: group.line)
            sinceColumn[g] = i
            if dates[i] != nil { continue }
            var values = [Double](repeating: .nan, count: table.rowCount)
            var bad: (Int, String)? = nil
            let m = missing[i]!
            for r in 0..<table.rowCount where !m[r] {
                let raw = table.columns[i][r]
                if let t = DateParser.parse(raw, dayFirst: column.dayFirst ?? false) { values[r] = t } else if bad == nil { bad = (r, raw) }
            }
            if let (r, raw) = bad {
                let dateLike = column.kind == .date
                throw RuleError(file: rules.source, line: since.line, column: since.column,
                                "decay 'since' needs a date column, but '\(column.name)' "
                                + (dateLike ? "has '\(raw)' on line \(table.lines[r]), which is not a date" : "is \(describe(column))"))
            }
            dates[i] = values
        }
    }

    /// Scores row `r` of the table.
    public func score(row r: Int) -> RuleScore {
        var groupPoints = [Double](repeating: 0, count: rules.groups.count)
        var fired: [(Int, Double)] = []
        var decayFactors = [Double](repeating: 1, count: rules.groups.count)
        for (g, group) in rules.groups.enumerated() {
            if let decay = group.decay, sinceColumn[g] >= 0, let d = dates[sinceColumn[g]] {
                // A lead with no date (never active) has nothing to decay from: factor 1.
                if !d[r].isNaN { decayFactors[g] = decay.factor(days: (asOf - d[r]) / 86_400) }
            }
        }
        for (k, (g, rule)) in flatRules.enumerated() {
            let decay = rules.groups[g].decay
            var points = 0.0
            switch rule.kind {
            case let .when(_, p):
                if tests[k][0](r) { points = p * decayFactors[g] }
            case let .per(_, p, cap):
                let x = numbers[perColumn[k]]![r]
                if !x.isNaN && x != 0 {
                    var raw = x * p
                    if let cap { raw = min(max(raw, -cap), cap) }
                    points = raw * decayFactors[g]
                }
            case let .on(_, p, within, cap, perValue):
                let lowered = activityKey[k]
                for event in events![r] where event.activity == lowered {
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
