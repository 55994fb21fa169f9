import Foundation
import Yams

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
