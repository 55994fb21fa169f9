import Foundation
import Yams

/// What a column is, and so what the model does with it.
public enum ColumnKind: String, Codable, Sendable, CaseIterable {
    /// A number: imputed, standardised, used as a feature.
    case numeric
    /// Yes/No, true/false, y/n, 1/0: 0/1, used as a feature.
    case boolean
    /// A small set of labels: one-hot encoded, used as a feature.
    case categorical
    /// Unique per row or named like an id: kept out of the features, keys the output.
    case identifier
    /// A date or time: kept out of the features, usable for a time-ordered split.
    case date
    /// Free text or very many distinct values: kept out of the features.
    case text
    /// One value only: dropped.
    case constant
    /// No values at all: dropped.
    case empty
    /// Excluded by the user (`--drop` or an override), or the target itself.
    case excluded

    /// Whether the column becomes model input.
    public var isFeature: Bool { self == .numeric || self == .boolean || self == .categorical }
}

/// One column's inferred (or overridden) type and the facts behind it.
public struct ColumnSchema: Codable, Equatable, Sendable {
    public var name: String
    public var kind: ColumnKind
    /// Non-missing rows and distinct non-missing values seen when inferring.
    public var present: Int
    public var missing: Int
    public var distinct: Int
    /// A few example values, for `schema` output.
    public var examples: [String]
    /// For dates: whether `01/02/2026` means 1 February.
    public var dayFirst: Bool?
    /// Why the column is not a feature, or anything odd found in it.
    public var notice: String?
    /// True when the kind came from an override file or `--drop`.
    public var overridden: Bool
    /// Numeric columns: how the numbers are written, when not plain (`129,5`, `$1,200`, `45%`).
    public var number: NumberFormat?

    public init(name: String, kind: ColumnKind, present: Int, missing: Int, distinct: Int, examples: [String],
                dayFirst: Bool?, notice: String?, overridden: Bool, number: NumberFormat? = nil) {
        self.name = name
        self.kind = kind
        self.present = present
        self.missing = missing
        self.distinct = distinct
        self.examples = examples
        self.dayFirst = dayFirst
        self.notice = notice
        self.overridden = overridden
        self.number = number
    }

    /// How to read this column's numbers (plain unless inference or an override found otherwise).
    public var numberFormat: NumberFormat { number ?? .plain }

    /// "numeric (decimal comma, currency €)", or the kind's name.
    public var kindDescription: String {
        guard kind == .numeric, let number, !number.isPlain else { return kind.rawValue }
        return "numeric (\(number))"
    }
}

/// The inferred schema of a file: one entry per header column, in file order.
public struct Schema: Codable, Equatable, Sendable {
    public var columns: [ColumnSchema]
    public var missingTokens: MissingTokens

    public func column(named name: String) -> ColumnSchema? { columns.first { $0.name == name } }
    public var featureColumns: [ColumnSchema] { columns.filter { $0.kind.isFeature } }
    public var identifierColumns: [ColumnSchema] { columns.filter { $0.kind == .identifier } }
    public var notices: [String] {
        columns.compactMap { c in c.notice.map { "'\(c.name)': \($0)" } }
    }
}

