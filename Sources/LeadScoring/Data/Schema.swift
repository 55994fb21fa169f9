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
/// ```
public struct SchemaOverrides: Equatable, Sendable {
    public var kinds: [String: ColumnKind] = [:]
    public var missingTokens: [String]? = nil

    public init(kinds: [String: ColumnKind] = [:], missingTokens: [String]? = nil) {
        self.kinds = kinds
        self.missingTokens = missingTokens
    }

    /// Reads an override file (YAML, or JSON, which YAML includes).
    public static func load(path: String) throws -> SchemaOverrides {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DataError.cannotOpen(file: path, reason: "cannot read the schema override file")
        }
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch let error as YamlError {
            throw DataError.badOverride(file: path, reason: "YAML syntax error: \(error)")
        }
        guard let root = node as? [String: Any] else {
            throw DataError.badOverride(file: path, reason: "expected a mapping with 'columns:' (and optionally 'missing:')")
        }
        var result = SchemaOverrides()
        for key in root.keys where key != "columns" && key != "missing" {
            throw DataError.badOverride(file: path, reason: "unknown key '\(key)'; expected 'columns' or 'missing'")
        }
        if let missing = root["missing"] {
            guard let list = missing as? [Any] else {
                throw DataError.badOverride(file: path, reason: "'missing' must be a list of strings")
            }
            result.missingTokens = list.map { "\($0)" }
        }
        if let columns = root["columns"] {
            guard let map = columns as? [String: Any] else {
                throw DataError.badOverride(file: path, reason: "'columns' must map column names to kinds")
            }
            let allowed = ColumnKind.allCases.map(\.rawValue) + ["exclude", "drop"]
            for (name, value) in map {
                let word = "\(value)".lowercased()
                if word == "exclude" || word == "drop" { result.kinds[name] = .excluded; continue }
                guard let kind = ColumnKind(rawValue: word) else {
                    throw DataError.badOverride(file: path, reason: "column '\(name)': unknown kind '\(value)'; use one of \(allowed.joined(separator: ", "))")
                }
                result.kinds[name] = kind
            }
        }
        return result
    }
}
