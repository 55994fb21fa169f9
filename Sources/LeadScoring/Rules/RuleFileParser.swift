import Foundation
import Yams

/// Reads a rules file through YAML's node tree, so that every error can give the line and
/// column of the offending entry.
struct RuleFileParser {
    let file: String

    func fail(_ node: Node?, _ message: String) -> RuleError {
        RuleError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, message)
    }

    func parse(_ text: String) throws -> RuleSet {
        let root: Node?
        do {
            root = try YAMLGuard.compose(text)
        } catch let error as YAMLGuard.Failure {
            throw RuleError(file: file, line: error.line, column: error.column, error.message)
        }
        guard let root, let map = root.mapping else {
            throw fail(root, "expected a mapping with 'version', 'groups' and 'tiers'")
        }
        try allowKeys(map, ["version", "groups", "tiers", "grade"], what: "the top level")
        guard let versionNode = map["version"] else {
            throw fail(root, "missing 'version' (this leadscore reads version \(RuleSet.currentVersion))")
        }
        guard let version = versionNode.int else { throw fail(versionNode, "'version' must be a whole number") }
        guard version >= 1, version <= RuleSet.currentVersion else {
            throw fail(versionNode, "rules format version \(version) is not one this leadscore reads (1 to \(RuleSet.currentVersion))")
        }
        guard let groupsNode = map["groups"], let groupMap = groupsNode.mapping, !groupMap.isEmpty else {
            throw fail(map["groups"] ?? root, "'groups' must map group names to their rules, e.g. 'fit:' and 'engagement:'")
        }
        var groups: [RuleGroup] = []
        for (key, value) in groupMap {
            guard let name = key.string, !name.isEmpty else { throw fail(key, "a group name must be text") }
            groups.append(try group(name: name, key: key, value))
        }
        guard let tiersNode = map["tiers"], let tiers = tiersNode.mapping else {
            throw fail(map["tiers"] ?? root, "missing 'tiers: {mql: POINTS, sql: POINTS}'")
        }
        try allowKeys(tiers, ["mql", "sql"], what: "'tiers'")
        let mql = try number(tiers, "mql", in: tiersNode, required: true)!
        let sql = try number(tiers, "sql", in: tiersNode, required: true)!
        guard sql >= mql else { throw fail(tiersNode, "the SQL threshold (\(formatPoints(sql))) is below the MQL threshold (\(formatPoints(mql)))") }
        var grade: GradeSpec? = nil
        if let gradeNode = map["grade"] {
            guard let g = gradeNode.mapping else { throw fail(gradeNode, "'grade' must be {group: NAME, A: POINTS, B: POINTS, C: POINTS}") }
            try allowKeys(g, ["group", "A", "B", "C"], what: "'grade'")
            guard let groupName = g["group"]?.string else { throw fail(gradeNode, "'grade' needs 'group: NAME'") }
            guard groups.contains(where: { $0.name == groupName }) else {
                throw fail(g["group"], "'grade' refers to group '\(groupName)', which is not defined"
                    + suggestionText(for: groupName, among: groups.map(\.name)))
            }
            let a = try number(g, "A", in: gradeNode, required: true)!
            let b = try number(g, "B", in: gradeNode, required: true)!
            let c = try number(g, "C", in: gradeNode, required: true)!
            guard a >= b, b >= c else { throw fail(gradeNode, "grade thresholds must satisfy A ≥ B ≥ C") }
            grade = GradeSpec(group: groupName, a: a, b: b, c: c, line: gradeNode.mark?.line ?? 0)
        }
        return RuleSet(version: version, groups: groups, mql: mql, sql: sql, grade: grade, source: file)
    }

    func group(name: String, key: Node, _ node: Node) throws -> RuleGroup {
        guard let map = node.mapping else { throw fail(node, "group '\(name)' must be a mapping with 'rules:'") }
        try allowKeys(map, ["max", "min", "decay", "rules"], what: "group '\(name)'")
        let maxPoints = try number(map, "max", in: node)
        let minPoints = try number(map, "min", in: node)
        if let maxPoints, let minPoints, minPoints > maxPoints {
            throw fail(node, "group '\(name)': min (\(formatPoints(minPoints))) is above max (\(formatPoints(maxPoints)))")
        }
        var decay: Decay? = nil
        if let decayNode = map["decay"] { decay = try self.decay(decayNode, group: name) }
        guard let rulesNode = map["rules"], let list = rulesNode.sequence else {
            throw fail(map["rules"] ?? node, "group '\(name)' needs 'rules:', a list of rules")
        }
        var rules: [Rule] = []
        for item in list { rules.append(try rule(item, group: name)) }
        let hasColumnRules = rules.contains { if case .on = $0.kind { return false } else { return true } }
        if let decay, decay.since == nil, hasColumnRules {
            throw fail(map["decay"], "group '\(name)': decay needs 'since: DATE_COLUMN' (the date its points age from)")
        }
        return RuleGroup(name: name, max: maxPoints, min: minPoints, decay: decay, rules: rules, line: key.mark?.line ?? 0)
    }

    func decay(_ node: Node, group: String) throws -> Decay {
        guard let map = node.mapping else {
            throw fail(node, "group '\(group)': decay must be {half_life_days: DAYS, since: DATE_COLUMN} or {linear_days: DAYS, since: DATE_COLUMN}")
        }
        try allowKeys(map, ["half_life_days", "linear_days", "since"], what: "decay")
        let half = try number(map, "half_life_days", in: node), linear = try number(map, "linear_days", in: node)
        let curve: Decay.Curve
        switch (half, linear) {
        case let (h?, nil):
            guard h > 0 else { throw fail(map["half_life_days"], "half_life_days must be positive") }
            curve = .halfLife(days: h)
        case let (nil, l?):
            guard l > 0 else { throw fail(map["linear_days"], "linear_days must be positive") }
            curve = .linear(days: l)
        default:
            throw fail(node, "decay needs exactly one of 'half_life_days' and 'linear_days'")
        }
        return Decay(curve: curve, since: try map["since"].map { try columnReference($0) })
    }

    func rule(_ node: Node, group: String) throws -> Rule {
        guard let map = node.mapping else {
            throw fail(node, "a rule must be a mapping: 'when: … points: N', 'per: {…}' or 'on: {…}'")
        }
        let line = node.mark?.line ?? 0
        if let whenNode = map["when"] {
            try allowKeys(map, ["when", "points"], what: "a 'when' rule")
            guard let points = try number(map, "points", in: node) else { throw fail(node, "this 'when' rule needs 'points: N'") }
            return Rule(kind: .when(try condition(whenNode), points: points), line: line)
        }
        if let perNode = map["per"] {
            try allowKeys(map, ["per"], what: "a 'per' rule")
            guard let per = perNode.mapping else { throw fail(perNode, "'per' must be {column: NAME, points: N, max: N}") }
            try allowKeys(per, ["column", "points", "max"], what: "'per'")
            guard let columnNode = per["column"] else { throw fail(perNode, "'per' needs 'column: NAME'") }
            guard let points = try number(per, "points", in: perNode) else { throw fail(perNode, "'per' needs 'points: N'") }
            let cap = try number(per, "max", in: perNode)
            if let cap, cap < 0 { throw fail(per["max"], "'max' caps the rule's points in absolute value and must not be negative") }
            return Rule(kind: .per(try columnReference(columnNode), points: points, max: cap), line: line)
        }
        if let onNode = map["on"] {
            try allowKeys(map, ["on"], what: "an 'on' rule")
            guard let on = onNode.mapping else { throw fail(onNode, "'on' must be {activity: NAME, points: N, within: 90d}") }
            try allowKeys(on, ["activity", "points", "within_days", "within", "max", "per_value"], what: "'on'")
            guard let activity = on["activity"]?.string, !activity.isEmpty else { throw fail(onNode, "'on' needs 'activity: NAME'") }
            guard let points = try number(on, "points", in: onNode) else { throw fail(onNode, "'on' needs 'points: N'") }
            var within = try number(on, "within_days", in: onNode)
            if let within, within <= 0 { throw fail(on["within_days"], "within_days must be positive") }
            if let durationNode = on["within"] {
                guard within == nil else { throw fail(durationNode, "give 'within' or 'within_days', not both") }
                guard let text = durationNode.string, let seconds = Durations.seconds(text) else {
                    throw fail(durationNode, "'within' must be a duration such as 90d, 12h, 30m or 45s")
                }
                within = seconds / 86_400
            }
            let cap = try number(on, "max", in: onNode)
            if let cap, cap < 0 { throw fail(on["max"], "'max' caps the rule's points in absolute value and must not be negative") }
            var perValue = false
            if let pv = on["per_value"] {
                guard let b = pv.bool else { throw fail(pv, "per_value must be true or false") }
                perValue = b
            }
            return Rule(kind: .on(activity: activity, points: points, withinDays: within, max: cap, perValue: perValue), line: line)
        }
        throw fail(node, "a rule needs 'when:' (with 'points:'), 'per:' or 'on:'; found "
            + map.keys.compactMap(\.string).map { "'\($0)'" }.joined(separator: ", "))
    }

    static let conditionKeys = ["equals", "in", "contains", "matches", "between", "greater", "greater_or_equal",
                                "less", "less_or_equal", "missing", "present", "is"]

    func condition(_ node: Node) throws -> Condition {
        guard let map = node.mapping else {
            throw fail(node, "a condition must be a mapping such as {column: NAME, equals: VALUE}")
        }
        for combinator in ["all", "any"] {
            guard let listNode = map[combinator] else { continue }
            try allowKeys(map, [combinator], what: "'\(combinator)'")
            guard let list = listNode.sequence, !list.isEmpty else { throw fail(listNode, "'\(combinator)' must be a non-empty list of conditions") }
            let inner = try list.map { try condition($0) }
            return combinator == "all" ? .all(inner) : .any(inner)
        }
        if let innerNode = map["not"] {
            try allowKeys(map, ["not"], what: "'not'")
            return .not(try condition(innerNode))
        }
        guard let columnNode = map["column"] else {
            throw fail(node, "a condition needs 'column: NAME' (or all / any / not)")
        }
        let column = try columnReference(columnNode)
        let tests = map.keys.compactMap(\.string).filter { $0 != "column" }
        guard tests.count == 1, let test = tests.first, let valueNode = map[test] else {
            throw fail(node, "a condition on '\(column.name)' needs exactly one test: " + RuleFileParser.conditionKeys.joined(separator: ", "))
        }
        switch test {
        case "equals":
            return .equals(column, try value(valueNode))
        case "in":
            guard let list = valueNode.sequence, !list.isEmpty else { throw fail(valueNode, "'in' must be a non-empty list") }
            return .oneOf(column, try list.map { try value($0) })
        case "contains":
            guard let s = valueNode.string, !s.isEmpty else { throw fail(valueNode, "'contains' needs a non-empty text") }
            return .contains(column, s)
        case "matches":
            guard let pattern = valueNode.string else { throw fail(valueNode, "'matches' needs a regular expression") }
            do { _ = try SafeRegex(pattern) } catch let error as SafeRegex.SyntaxError {
                throw fail(valueNode, "'\(pattern)' is not a pattern leadscore runs: \(error.message) (at character \(error.offset + 1))")
            }
            return .matches(column, pattern)
        case "between":
            guard let list = valueNode.sequence, list.count == 2, let lo = list[0].float, let hi = list[1].float else {
                throw fail(valueNode, "'between' needs two numbers: [LOW, HIGH]")
            }
            guard lo <= hi else { throw fail(valueNode, "'between' needs LOW ≤ HIGH; found [\(formatPoints(lo)), \(formatPoints(hi))]") }
            return .between(column, lo, hi)
        case "missing", "present":
            guard let b = valueNode.bool else { throw fail(valueNode, "'\(test)' must be true or false") }
            let isMissing = (test == "missing") == b
            return isMissing ? .missing(column) : .present(column)
        case "is":
            guard let b = valueNode.bool else { throw fail(valueNode, "'is' must be true or false") }
            return b ? .isTrue(column) : .isFalse(column)
        default:
            if let op = Comparison(rawValue: test) {
                guard let x = valueNode.float else { throw fail(valueNode, "'\(test)' needs a number") }
                return .compare(column, op, x)
            }
            throw fail(valueNode, "unknown test '\(test)'" + suggestionText(for: test, among: RuleFileParser.conditionKeys)
                + "; tests are " + RuleFileParser.conditionKeys.joined(separator: ", "))
        }
    }

    func columnReference(_ node: Node) throws -> ColumnReference {
        guard let name = node.string, !name.isEmpty else { throw fail(node, "a column name must be text") }
        return ColumnReference(name: name, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    func value(_ node: Node) throws -> RuleValue {
        guard let scalar = node.scalar else { throw fail(node, "expected a single value") }
        // Quoted scalars stay text ("007" must not become 7); yes/no/true stay words, read
        // against the column's type when the rules meet the data.
        if scalar.style == .plain, let x = Values.number(scalar.string) { return .number(x, raw: scalar.string) }
        return .text(scalar.string)
    }

    func number(_ map: Node.Mapping, _ key: String, in parent: Node, required: Bool = false) throws -> Double? {
        guard let node = map[key] else {
            if required { throw fail(parent, "missing '\(key): NUMBER'") }
            return nil
        }
        guard let x = node.float, x.isFinite else { throw fail(node, "'\(key)' must be a number; found '\(node.string ?? "?")'") }
        return x
    }

    func allowKeys(_ map: Node.Mapping, _ allowed: [String], what: String) throws {
        for key in map.keys {
            guard let name = key.string else { throw fail(key, "keys must be text") }
            if !allowed.contains(name) {
                throw fail(key, "unknown key '\(name)' in \(what)" + suggestionText(for: name, among: allowed)
                    + "; expected " + allowed.map { "'\($0)'" }.joined(separator: ", "))
            }
        }
    }
}
