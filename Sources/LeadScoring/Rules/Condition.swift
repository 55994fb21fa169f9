import Foundation

/// A column named in a rules file, with where it was named (for error messages).
public struct ColumnReference: Codable, Equatable, Sendable {
    public var name: String
    public var line: Int
    public var column: Int

    public init(name: String, line: Int = 0, column: Int = 0) {
        self.name = name
        self.line = line
        self.column = column
    }
}

/// A literal in a rule. Against a numeric column numbers compare numerically; against a yes/no
/// column words such as Yes, true or 1 compare as booleans; otherwise text compares ignoring
/// case and surrounding spaces.
public enum RuleValue: Codable, Equatable, Sendable, CustomStringConvertible {
    case text(String)
    /// A number as written (`raw`), so that `02134` still matches the text "02134".
    case number(Double, raw: String)

    public var description: String {
        switch self {
        case let .text(s): return s
        case let .number(_, raw): return raw
        }
    }

    var raw: String { description }
}

/// A numeric comparison.
public enum Comparison: String, Codable, Equatable, Sendable, CaseIterable {
    case greater, greaterOrEqual = "greater_or_equal", less, lessOrEqual = "less_or_equal"

    var symbol: String {
        switch self {
        case .greater: return ">"
        case .greaterOrEqual: return "≥"
        case .less: return "<"
        case .lessOrEqual: return "≤"
        }
    }

    func holds(_ x: Double, _ bound: Double) -> Bool {
        switch self {
        case .greater: return x > bound
        case .greaterOrEqual: return x >= bound
        case .less: return x < bound
        case .lessOrEqual: return x <= bound
        }
    }
}

/// When a rule fires. Text comparisons ignore case and surrounding spaces; a missing value
/// satisfies only `missing` (and `not` of anything else).
public indirect enum Condition: Codable, Equatable, Sendable {
    case equals(ColumnReference, RuleValue)
    case oneOf(ColumnReference, [RuleValue])
    case contains(ColumnReference, String)
    /// A regular expression (`SafeRegex`: ICU's common syntax, matched in linear time), searched
    /// anywhere in the value.
    case matches(ColumnReference, String)
    /// Inclusive at both ends.
    case between(ColumnReference, Double, Double)
    case compare(ColumnReference, Comparison, Double)
    case missing(ColumnReference)
    case present(ColumnReference)
    case isTrue(ColumnReference)
    case isFalse(ColumnReference)
    case all([Condition])
    case any([Condition])
    case not(Condition)

    /// Every column the condition reads.
    public var columns: [ColumnReference] {
        switch self {
        case let .equals(c, _), let .oneOf(c, _), let .contains(c, _), let .matches(c, _),
             let .between(c, _, _), let .compare(c, _, _), let .missing(c), let .present(c),
             let .isTrue(c), let .isFalse(c):
            return [c]
        case let .all(list), let .any(list):
            return list.flatMap(\.columns)
        case let .not(inner):
            return inner.columns
        }
    }

    /// A short readable form, as shown in "which rules fired".
    public var text: String {
        switch self {
        case let .equals(c, v): return "\(c.name) = \(v)"
        case let .oneOf(c, vs): return "\(c.name) in [\(vs.map(\.description).joined(separator: ", "))]"
        case let .contains(c, s): return "\(c.name) contains '\(s)'"
        case let .matches(c, p): return "\(c.name) matches /\(p)/"
        case let .between(c, lo, hi): return "\(c.name) \(formatPoints(lo))–\(formatPoints(hi))"
        case let .compare(c, op, x): return "\(c.name) \(op.symbol) \(formatPoints(x))"
        case let .missing(c): return "\(c.name) missing"
        case let .present(c): return "\(c.name) present"
        case let .isTrue(c): return c.name
        case let .isFalse(c): return "not \(c.name)"
        case let .all(list): return list.map(\.text).joined(separator: " and ")
        case let .any(list): return "(" + list.map(\.text).joined(separator: " or ") + ")"
        case let .not(inner): return "not (\(inner.text))"
        }
    }
}

/// Points as people write them: whole numbers without a decimal point, else up to 4 decimals.
public func formatPoints(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    var s = NumberFormatting.fixed(x, 4)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
}
