import Foundation

/// Binds a rule set's conditions to a table: resolves every column a rule names (an unknown one
/// is an error on the rule's line, with the closest names), checks each test against the
/// column's type, parses the values once per column, and compiles each condition to a test of
/// a row number. `RuleScorer` uses what it builds.
struct RuleCompiler {
    let rules: RuleSet
    let table: Table
    let schema: Schema
    /// Per column index: the parsed values the rules read.
    private(set) var numbers: [Int: [Double]] = [:]
    private var booleans: [Int: [Int8]] = [:]
    private var texts: [Int: [String]] = [:]
    private var missing: [Int: [Bool]] = [:]

    init(rules: RuleSet, table: Table, schema: Schema) {
        self.rules = rules
        self.table = table
        self.schema = schema
    }

    func error(_ ref: ColumnReference, line: Int, _ message: String) -> RuleError {
        RuleError(file: rules.source, line: ref.line > 0 ? ref.line : line, column: ref.column, message)
    }

    /// The column a rule names, and its schema.
    mutating func resolve(_ ref: ColumnReference, rule line: Int) throws -> (Int, ColumnSchema) {
        guard let i = table.index(of: ref.name) else {
            throw error(ref, line: line, "no column named '\(ref.name)' in \(table.source)" + suggestionText(for: ref.name, among: table.header))
        }
        if missing[i] == nil { missing[i] = table.columns[i].map { schema.missingTokens.isMissing($0) } }
        return (i, schema.columns[i])
    }

    private func presentCount(_ i: Int) -> Int { missing[i]?.lazy.filter { !$0 }.count ?? 0 }

    /// Parses column i as numbers (yes/no as 1/0) for a numeric test; a column that is not
    /// numeric, and whose values mostly are not numbers, is an error.
    mutating func parseNumbers(_ ref: ColumnReference, _ i: Int, _ column: ColumnSchema, test: String, line: Int) throws {
        guard numbers[i] == nil else { return }
        // The column's numbers as training reads them (missing tokens, `-1` among them, are
        // NaN: they satisfy no comparison); yes/no values as 1/0.
        let cells = table.columns[i]
        var values = cells.numbers(format: column.numberFormat, missing: schema.missingTokens).values
        if column.kind == .boolean {
            for r in values.indices where values[r].isNaN { if let b = Values.boolean(cells[r]) { values[r] = b ? 1 : 0 } }
        }
        let present = presentCount(i), parsed = values.lazy.filter { !$0.isNaN }.count
        if column.kind != .numeric && column.kind != .boolean && (present == 0 || Double(parsed) < 0.9 * Double(present)) {
            throw error(ref, line: line, "'\(test)' needs a numeric column, but '\(column.name)' is \(describe(column))")
        }
        numbers[i] = values
    }

    /// Parses column i as yes/no (1, 0, or −1 for neither).
    mutating func parseBooleans(_ i: Int) -> [Int8] {
        if let b = booleans[i] { return b }
        let b = table.columns[i].map { raw -> Int8 in Values.boolean(raw).map { $0 ? 1 : 0 } ?? -1 }
        booleans[i] = b
        return b
    }

    /// A condition as a test of a row number.
    mutating func compile(_ condition: Condition, line: Int) throws -> (Int) -> Bool {
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
        case let .missing(ref), let .present(ref):
            let (i, _) = try resolve(ref, rule: line)
            let m = missing[i] ?? [], wanted: Bool
            if case .missing = condition { wanted = true } else { wanted = false }
            return { m[$0] == wanted }
        case let .isTrue(ref), let .isFalse(ref):
            let want: Int8
            if case .isTrue = condition { want = 1 } else { want = 0 }
            return try compileBoolean(ref, want: want, line: line)
        case let .between(ref, lo, hi):
            let x = try numbers(ref, test: "between", line: line)
            return { x[$0] >= lo && x[$0] <= hi }
        case let .compare(ref, op, bound):
            let x = try numbers(ref, test: op.rawValue, line: line)
            return { let v = x[$0]; return !v.isNaN && op.holds(v, bound) }
        case let .equals(ref, value):
            return try compileEquals(ref, [value], line: line)
        case let .oneOf(ref, values):
            return try compileEquals(ref, values, line: line)
        case let .contains(ref, needle):
            return try compileText(ref, needle: needle, regex: false, line: line)
        case let .matches(ref, pattern):
            return try compileText(ref, needle: pattern, regex: true, line: line)
        }
    }

    private mutating func numbers(_ ref: ColumnReference, test: String, line: Int) throws -> [Double] {
        let (i, column) = try resolve(ref, rule: line)
        try parseNumbers(ref, i, column, test: test, line: line)
        return numbers[i] ?? []
    }

    private mutating func compileBoolean(_ ref: ColumnReference, want: Int8, line: Int) throws -> (Int) -> Bool {
        let (i, column) = try resolve(ref, rule: line)
        let b = parseBooleans(i)
        let present = presentCount(i), parsed = b.lazy.filter { $0 >= 0 }.count
        if column.kind != .boolean && (present == 0 || Double(parsed) < 0.9 * Double(present)) {
            throw error(ref, line: line, "'is: true/false' needs a yes/no column, but '\(column.name)' is \(describe(column))")
        }
        let m = missing[i] ?? []
        return { !m[$0] && b[$0] == want }
    }

    private mutating func compileEquals(_ ref: ColumnReference, _ values: [RuleValue], line: Int) throws -> (Int) -> Bool {
        let (i, column) = try resolve(ref, rule: line)
        let m = missing[i] ?? []
        switch column.kind {
        case .numeric:
            var wanted: [Double] = []
            for v in values {
                guard case let .number(x, _) = v else {
                    throw error(ref, line: line, "'\(column.name)' is numeric, but the rule compares it with the text '\(v)'")
                }
                wanted.append(x)
            }
            let x = try numbers(ref, test: "equals", line: line)
            return { r in !m[r] && wanted.contains(x[r]) }
        case .boolean:
            var wanted: [Int8] = []
            for v in values {
                guard let b = Values.boolean(v.raw) else {
                    throw error(ref, line: line, "'\(column.name)' is a yes/no column, but the rule compares it with '\(v)'")
                }
                wanted.append(b ? 1 : 0)
            }
            let b = parseBooleans(i)
            return { r in !m[r] && wanted.contains(b[r]) }
        default:
            if texts[i] == nil { texts[i] = table.columns[i].map { Values.lowercasedTrimmed($0) } }
            let t = texts[i] ?? []
            let wanted = Set(values.map { Values.lowercasedTrimmed($0.raw) })
            return { r in !m[r] && wanted.contains(t[r]) }
        }
    }

    /// `contains` (ignoring case) or `matches` on a text column, decided once per distinct value
    /// (CRM text columns repeat a few hundred values).
    private mutating func compileText(_ ref: ColumnReference, needle: String, regex isRegex: Bool, line: Int) throws -> (Int) -> Bool {
        let (i, column) = try resolve(ref, rule: line)
        if column.kind == .numeric || column.kind == .boolean {
            throw error(ref, line: line, "'\(isRegex ? "matches" : "contains")' tests text, but '\(column.name)' is \(describe(column))"
                        + (column.kind == .numeric ? "; use between, greater or less" : "; use is: true or is: false"))
        }
        var regex: SafeRegex? = nil
        if isRegex {
            do { regex = try SafeRegex(needle) } catch let e as SafeRegex.SyntaxError {
                throw error(ref, line: line, "'\(needle)' is not a pattern leadscore runs: \(e.message)")
            }
        }
        let raw = table.columns[i], m = missing[i] ?? []
        var verdicts: [String: Bool] = [:]
        var result = [Bool](repeating: false, count: raw.count)
        let lowerNeedle = needle.lowercased()
        for r in 0..<raw.count where !m[r] {
            let v = raw[r]
            if let known = verdicts[v] { result[r] = known; continue }
            let hit = regex.map { $0.matches(v) } ?? v.lowercased().contains(lowerNeedle)
            verdicts[v] = hit
            result[r] = hit
        }
        return { result[$0] }
    }

    /// The dates a group's decay counts from (NaN where missing); a value that is not a date is
    /// an error naming it.
    mutating func dates(of since: ColumnReference, group: RuleGroup) throws -> [Double] {
        let (i, column) = try resolve(since, rule: group.line)
        var values = [Double](repeating: .nan, count: table.rowCount)
        let m = missing[i] ?? []
        for r in 0..<table.rowCount where !m[r] {
            let raw = table.columns[i][r]
            guard let t = DateParser.parse(raw, dayFirst: column.dayFirst ?? false) else {
                throw RuleError(file: rules.source, line: since.line, column: since.column,
                                "decay 'since' needs a date column, but '\(column.name)' "
                                + (column.kind == .date ? "has '\(raw)' on line \(table.lines[r]), which is not a date" : "is \(describe(column))"))
            }
            values[r] = t
        }
        return values
    }
}
