import Foundation

/// What differs between the SQL engines a model is exported to: how a double literal, a string
/// and a name are written, how NaN is recognised, how spaces and tabs are trimmed, and the
/// engines' limits on statement size and expression depth.
public enum SQLDialect: String, CaseIterable, Sendable {
    case duckdb, sqlite, postgres, spark, snowflake, bigquery

    public var displayName: String {
        switch self {
        case .duckdb: return "DuckDB"
        case .sqlite: return "SQLite"
        case .postgres: return "PostgreSQL"
        case .spark: return "Spark"
        case .snowflake: return "Snowflake"
        case .bigquery: return "BigQuery"
        }
    }

    /// The largest statement the engine takes, in bytes of text (nil: no documented limit).
    /// BigQuery: 1 MB for an unresolved GoogleSQL query; Snowflake: 1 MB of statement text;
    /// SQLite: SQLITE_MAX_SQL_LENGTH's default (10⁹); PostgreSQL: a query string under 1 GB.
    public var sizeLimit: Int? {
        switch self {
        case .bigquery, .snowflake: return 1_048_576
        case .sqlite: return 1_000_000_000
        case .postgres: return 1_073_741_823
        case .duckdb, .spark: return nil
        }
    }

    /// The deepest expression nesting the engine parses (SQLite's SQLITE_MAX_EXPR_DEPTH and
    /// DuckDB's max_expression_depth are 1,000; the others have no fixed limit, but their
    /// parsers recurse, so the same bound is kept everywhere).
    public var depthLimit: Int { 1000 }

    /// The type of the raw numeric columns in `CREATE TABLE`.
    public var doubleType: String {
        switch self {
        case .postgres: return "DOUBLE PRECISION"
        case .sqlite: return "REAL"
        case .spark, .duckdb, .snowflake: return "DOUBLE"
        case .bigquery: return "FLOAT64"
        }
    }

    public var textType: String {
        switch self {
        case .bigquery, .spark: return "STRING"
        default: return "TEXT"
        }
    }

    /// A double literal the engine reads as exactly `value`: the shortest decimal text that reads
    /// back as the same double, typed as a double from the start. A bare `0.5` is DECIMAL in
    /// Spark and DuckDB, NUMERIC in PostgreSQL and NUMBER in Snowflake, and a decimal turned into
    /// a double by division can miss by an ulp; text cast to a double is read correctly rounded.
    /// BigQuery and SQLite read a bare literal as a double; Spark's `D` suffix makes one.
    public func double(_ value: Double) -> String {
        precondition(value.isFinite, "a non-finite literal")
        var text = "\(value == 0 ? 0 : value)"  // -0.0 is 0 to every comparison and sum here
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        switch self {
        case .bigquery, .sqlite: return value < 0 ? "(\(text))" : text
        case .spark: return value < 0 ? "(\(text)D)" : text + "D"
        case .duckdb, .snowflake: return "'\(text)'::DOUBLE"
        case .postgres: return "'\(text)'::float8"
        }
    }

    /// A string literal holding `text` exactly.
    public func string(_ text: String) -> String {
        switch self {
        case .duckdb, .sqlite, .postgres:
            // Standard SQL: only the quote is doubled (PostgreSQL's standard_conforming_strings).
            return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .spark, .snowflake, .bigquery:
            // Backslash escapes are read in these engines' string literals.
            var out = "'"
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        out += self == .bigquery ? String(format: "\\x%02x", scalar.value) : String(format: "\\u%04x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "'"
        }
    }

    /// A column or alias name, quoted (names from a CSV header hold spaces and punctuation).
    public func identifier(_ name: String) -> String {
        switch self {
        case .spark: return "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
        case .bigquery: return "`" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "`", with: "\\`") + "`"
        default: return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }

    /// A table name: each dot-separated part quoted (`analytics.leads`).
    public func tableName(_ name: String) -> String {
        if self == .bigquery { return identifier(name) }  // BigQuery quotes a whole path at once
        return name.split(separator: ".", omittingEmptySubsequences: false).map { identifier(String($0)) }.joined(separator: ".")
    }

    /// True when the double `x` is missing: NULL, NaN or ±∞ (leadscore reads neither `nan` nor
    /// `inf` as a number); in SQLite also any value that is not stored as a number (`.import`
    /// leaves `''` and `NA` as text in a REAL column).
    public func isMissingNumber(_ x: String) -> String {
        let infinite = "ABS(\(x)) > \(double(.greatestFiniteMagnitude))"
        switch self {
        case .sqlite: return "(\(x) IS NULL OR typeof(\(x)) NOT IN ('real', 'integer') OR \(infinite))"
        case .duckdb, .spark: return "(\(x) IS NULL OR isnan(\(x)) OR \(infinite))"
        case .bigquery: return "(\(x) IS NULL OR IS_NAN(\(x)) OR \(infinite))"
        case .postgres: return "(\(x) IS NULL OR \(x) = 'NaN'::float8 OR \(infinite))"
        case .snowflake: return "(\(x) IS NULL OR \(x) = 'NaN'::DOUBLE OR \(infinite))"
        }
    }

    /// `x` without leading and trailing spaces and tabs (as leadscore trims a CSV field).
    public func trimmed(_ x: String) -> String {
        switch self {
        case .postgres: return "BTRIM(\(x), ' ' || CHR(9))"
        case .duckdb: return "trim(\(x), ' ' || chr(9))"
        case .sqlite: return "trim(\(x), ' ' || char(9))"
        case .spark: return "trim(BOTH ' \\t' FROM \(x))"
        case .snowflake, .bigquery: return "TRIM(\(x), ' \\t')"
        }
    }

    /// How a step of the statement is introduced: `name AS MATERIALIZED (` where the engine
    /// would otherwise inline each reference to a step's columns (SQLite copies the whole
    /// expression into every use, which multiplies a forest's size; PostgreSQL evaluates it again).
    public func step(_ name: String) -> String {
        switch self {
        case .sqlite, .postgres, .duckdb: return "\(name) AS MATERIALIZED ("
        case .spark, .snowflake, .bigquery: return "\(name) AS ("
        }
    }

    /// True when the integer `x` is one of `codes` (a categorical split). DuckDB plans an IN
    /// list of constants as a join, which over a forest's hundreds of splits takes minutes to
    /// plan; `list_contains` is a plain function there.
    public func isOneOf(_ x: String, _ codes: [Int]) -> String {
        let list = codes.map(String.init).joined(separator: ", ")
        return self == .duckdb ? "list_contains([\(list)], \(x))" : "\(x) IN (\(list))"
    }

    public func least(_ a: String, _ b: String) -> String { self == .sqlite ? "min(\(a), \(b))" : "LEAST(\(a), \(b))" }
    public func greatest(_ a: String, _ b: String) -> String { self == .sqlite ? "max(\(a), \(b))" : "GREATEST(\(a), \(b))" }
}
