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

/// A user's corrections to inference, read from YAML or JSON:
///
/// ```yaml
/// missing: ["", NA, "?"]          # replaces the missing-value tokens (optional)
/// columns:
///   Lead Number: identifier       # any ColumnKind name
///   Tags: exclude                 # same as --drop
///   Company Size: numeric
///   Income: {kind: numeric, decimal: ","}   # numbers written 1.234,50
/// ```
public struct SchemaOverrides: Equatable, Sendable {
    public var kinds: [String: ColumnKind] = [:]
    /// Decimal marks stated for columns (`decimal: ","`).
    public var decimals: [String: NumberFormat.DecimalMark] = [:]
    public var missingTokens: [String]? = nil

    public init(kinds: [String: ColumnKind] = [:], decimals: [String: NumberFormat.DecimalMark] = [:], missingTokens: [String]? = nil) {
        self.kinds = kinds
        self.decimals = decimals
        self.missingTokens = missingTokens
    }

    /// The kind stated for a column (matched exactly, else ignoring case).
    public func kind(for name: String) -> ColumnKind? {
        kinds[name] ?? kinds.first(where: { $0.key.lowercased() == name.lowercased() })?.value
    }

    public func decimal(for name: String) -> NumberFormat.DecimalMark? {
        decimals[name] ?? decimals.first(where: { $0.key.lowercased() == name.lowercased() })?.value
    }

    /// Every column the file names.
    public var columnNames: [String] { Array(Set(kinds.keys).union(decimals.keys)).sorted() }

    /// Reads an override file (YAML, or JSON, which YAML includes).
    public static func load(path: String) throws -> SchemaOverrides {
        try parse(readTextFile(path, what: "schema override file"), file: path)
    }

    /// Reads override text; `path` names it in messages.
    public static func parse(_ text: String, file path: String) throws -> SchemaOverrides {
        let root: Node
        do {
            guard let node = try YAMLGuard.compose(text) else {
                throw DataError.badSchemaFile(SourceLocation(file: path), reason: "the file is empty; expected a mapping with 'columns:' (and optionally 'missing:')")
            }
            root = node
        } catch let error as YAMLGuard.Failure {
            throw DataError.badSchemaFile(SourceLocation(file: path, line: error.line, column: error.column), reason: error.message)
        }
        func fail(_ node: Node?, _ message: String) -> DataError {
            DataError.badSchemaFile(SourceLocation(file: path, line: node?.mark?.line, column: node?.mark?.column), reason: message)
        }
        guard let map = root.mapping else {
            throw fail(root, "expected a mapping with 'columns:' (and optionally 'missing:')")
        }
        var result = SchemaOverrides()
        for key in map.keys {
            guard let name = key.string, name == "columns" || name == "missing" else {
                throw fail(key, "unknown key '\(key.string ?? "?")'; expected 'columns' or 'missing'")
            }
        }
        if let missing = map["missing"] {
            guard let list = missing.sequence, list.allSatisfy({ $0.scalar != nil }) else {
                throw fail(missing, "'missing' must be a list of strings")
            }
            result.missingTokens = list.map { $0.scalar?.string ?? "" }
        }
        if let columnsNode = map["columns"] {
            guard let columns = columnsNode.mapping else {
                throw fail(columnsNode, "'columns' must map column names to kinds")
            }
            let allowed = ColumnKind.allCases.map(\.rawValue) + ["exclude", "drop"]
            func kind(_ node: Node, column name: String) throws -> ColumnKind {
                guard let word = node.scalar?.string.lowercased() else {
                    throw fail(node, "column '\(name)': the kind must be a word such as numeric or categorical")
                }
                if word == "exclude" || word == "drop" { return .excluded }
                guard let kind = ColumnKind(rawValue: word) else {
                    throw fail(node, "column '\(name)': unknown kind '\(node.scalar?.string ?? "")'; use one of \(allowed.joined(separator: ", "))")
                }
                return kind
            }
            for (key, value) in columns {
                guard let name = key.string else { throw fail(key, "a column name must be text") }
                if let entry = value.mapping {
                    for k in entry.keys where k.string != "kind" && k.string != "decimal" {
                        throw fail(k, "column '\(name)': unknown key '\(k.string ?? "?")'; expected 'kind' and 'decimal'")
                    }
                    if let kindNode = entry["kind"] { result.kinds[name] = try kind(kindNode, column: name) }
                    if let decimalNode = entry["decimal"] {
                        guard let text = decimalNode.scalar?.string, let mark = NumberFormat.DecimalMark(rawValue: text) else {
                            throw fail(decimalNode, "column '\(name)': decimal must be \".\" or \",\"")
                        }
                        if let k = result.kinds[name], k != .numeric {
                            throw fail(decimalNode, "column '\(name)': 'decimal' applies to numeric columns, not \(k.rawValue)")
                        }
                        result.decimals[name] = mark
                    }
                } else {
                    result.kinds[name] = try kind(value, column: name)
                }
            }
        }
        return result
    }
}
