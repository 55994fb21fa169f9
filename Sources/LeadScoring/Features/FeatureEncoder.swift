import Foundation
import LinearAlgebra

/// How one numeric or boolean column becomes numbers.
public struct NumericEncoding: Codable, Equatable, Sendable {
    /// Fills missing and unparseable values (the median: robust to the long tails of visit
    /// counts and time on site).
    public var fill: Double
    /// Mean and standard deviation after filling, for standardisation, so that one L2 penalty
    /// treats all features alike.
    public var mean: Double
    public var scale: Double
    /// A 0/1 "was missing" feature, added when training saw missing values: missingness is
    /// often informative in CRM data (an unanswered form field).
    public var missingIndicator: Bool
}

/// How one categorical column becomes one-hot features.
public struct CategoricalEncoding: Codable, Equatable, Sendable {
    /// Levels with their own feature, in order. `missingLevel` stands for missing values.
    public var levels: [String]
    /// Whether an "(other)" feature pools the rare levels; unseen levels at scoring time go there
    /// too (or to no feature at all when training had no rare levels).
    public var hasOther: Bool
    /// Level → position, derived from `levels` (not stored in the file).
    let position: [String: Int]

    public init(levels: [String], hasOther: Bool) {
        self.levels = levels
        self.hasOther = hasOther
        self.position = Dictionary(levels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })  // duplicates: refused by model validation
    }

    enum CodingKeys: String, CodingKey { case levels, hasOther }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(levels: try c.decode([String].self, forKey: .levels), hasOther: try c.decode(Bool.self, forKey: .hasOther))
    }

    public static let missingLevel = "(missing)"
    public static let otherLevel = "(other)"
}

/// One value per column, as trees want it: numbers as they are, booleans 0/1, categories as
/// codes 0..<levels.count (rare and unseen levels share the code `levels.count`), NaN for missing.
public struct RawEncoding: Codable, Equatable, Sendable {
    public var kind: ColumnKind
    /// Categorical only: levels with their own code, most frequent first.
    public var levels: [String]
    let position: [String: Int]

    public init(kind: ColumnKind, levels: [String] = []) {
        self.kind = kind
        self.levels = levels
        self.position = Dictionary(levels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })  // duplicates: refused by model validation
    }

    enum CodingKeys: String, CodingKey { case kind, levels }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try c.decode(ColumnKind.self, forKey: .kind), levels: try c.decode([String].self, forKey: .levels))
    }

    /// Codes a categorical feature can take: its levels plus the shared "(other)" code.
    public var categoryCount: Int? { kind == .categorical ? levels.count + 1 : nil }
}

public enum ColumnEncoding: Codable, Equatable, Sendable {
    case numeric(NumericEncoding)
    case boolean(NumericEncoding)
    case categorical(CategoricalEncoding)
    case raw(RawEncoding)
}

/// How columns become numbers: `linear` for logistic regression (impute, flag, standardise,
/// one-hot), `raw` for trees (one value per column, missing kept as NaN so splits can learn where
/// it goes).
public enum EncodingStyle: String, Codable, Sendable {
    case linear, raw
}

/// One source column and the slice of the encoded vector it fills.
public struct EncodedColumn: Codable, Equatable, Sendable {
    public var name: String
    public var offset: Int
    public var width: Int
    public var encoding: ColumnEncoding
    /// Numeric columns: how training read the numbers (nil: plain; model files before format 4
    /// have none).
    public var number: NumberFormat?

    public init(name: String, offset: Int, width: Int, encoding: ColumnEncoding, number: NumberFormat? = nil) {
        self.name = name
        self.offset = offset
        self.width = width
        self.encoding = encoding
        self.number = number
    }

    public var numberFormat: NumberFormat { number ?? .plain }
}

/// Counts of values that could not be read at scoring time, per column, with the first example.
public struct EncodingIssues: Sendable {
    public var counts: [String: Int] = [:]
    public var examples: [String: (line: Int, value: String)] = [:]
    public init() {}

    mutating func record(column: String, line: Int, value: String) {
        counts[column, default: 0] += 1
        if examples[column] == nil { examples[column] = (line, value) }
    }

    mutating func merge(_ other: EncodingIssues) {
        for (k, v) in other.counts { counts[k, default: 0] += v }
        for (k, v) in other.examples where examples[k] == nil { examples[k] = v }
    }

    /// One line per column: "file:line: column 'X': 3 values that could not be read (first
    /// 'abc') treated as missing".
    public func messages(file: String) -> [String] {
        counts.sorted { $0.key < $1.key }.map { name, n in
            let (line, value) = examples[name] ?? (0, "")
            return "\(file):\(line): column '\(name)': \(n) value\(n == 1 ? "" : "s") that could not be read (first '\(value)') treated as missing"
        }
    }
}

/// Turns raw CSV strings into the model's numeric design: numbers imputed (median), flagged
/// (missing indicator) and standardised; booleans as 0/1, likewise standardised; categoricals
/// one-hot with rare levels pooled into "(other)".
public struct FeatureEncoder: Codable, Equatable, Sendable {
    public var columns: [EncodedColumn]
    public var width: Int
    /// A name per encoded feature: `TotalVisits`, `TotalVisits (missing)`, `Lead Source=Google`.
    public var featureNames: [String]
    /// Training mean of each encoded feature: the baseline that per-lead reasons are measured
    /// against.
    public var featureMeans: [Double]
    public var missingTokens: MissingTokens

    /// Levels seen fewer times than this in training are pooled into "(other)" (10 keeps a
    /// one-hot coefficient from being fitted to a handful of leads).
    public static let defaultMinCategoryCount = 10

    /// Fits the encoding on `rows` of `table`, for the feature columns of `schema`.
    /// Most categorical levels a raw (tree) encoding keeps; the rest share "(other)". Bins are
    /// `UInt8`, with one bin for "(other)" and one for missing.
    public static let maxRawLevels = 253

    public static func fit(table: Table, rows: [Int], schema: Schema, style: EncodingStyle = .linear,
                           minCategoryCount: Int = defaultMinCategoryCount) throws -> FeatureEncoder {
        let absent = schema.featureColumns.map(\.name).filter { table.index(of: $0) == nil }
        if !absent.isEmpty { throw DataError.missingColumns(SourceLocation(file: table.source), columns: absent) }
        let missing = schema.missingTokens
        var columns: [EncodedColumn] = []
        var names: [String] = []
        // Training mean of each encoded feature (the baseline of per-lead reasons), known in
        // closed form: 0 for standardised values, the missing share for indicators, the level
        // share for one-hot features.
        var means: [Double] = []
        var offset = 0
        let n = Double(max(1, rows.count))
        // Raw (tree) encoding: each categorical column's levels by count, columns counted on
        // two threads for large tables.
        let featureColumns = schema.featureColumns
        var rawLevels = [[String]](repeating: [], count: featureColumns.count)
        if style == .raw {
            let categorical = featureColumns.indices.filter { featureColumns[$0].kind == .categorical && table.index(of: featureColumns[$0].name) != nil }
            let parts = rows.count >= 50_000 ? min(2, categorical.count) : 1
            rawLevels.withUnsafeMutableBufferPointer { out in
                let results = UncheckedSendable(out.baseAddress!)
                parallelFor(parts: parts) { t in
                    for k in stride(from: t, to: categorical.count, by: max(1, parts)) {
                        let raw = table.columns[table.index(of: featureColumns[categorical[k]].name)!]
                        var counts: [String: Int] = [:]
                        for r in rows where !missing.isMissing(raw[r]) { counts[Values.trim(raw[r]), default: 0] += 1 }
                        results.value[categorical[k]] = counts.filter { $0.value >= minCategoryCount }
                            .sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
                            .prefix(maxRawLevels).map(\.key)
                    }
                }
            }
        }
        for (k, column) in featureColumns.enumerated() {
            guard let c = table.index(of: column.name) else { continue }
            let raw = table.columns[c]
            let encoding: ColumnEncoding
            if style == .raw {
                encoding = .raw(RawEncoding(kind: column.kind, levels: rawLevels[k]))
                names.append(column.name)
                means.append(0)
                columns.append(EncodedColumn(name: column.name, offset: offset, width: 1, encoding: encoding,
                                             number: column.kind == .numeric ? column.number : nil))
                offset += 1
                continue
            }
            switch column.kind {
            case .numeric, .boolean:
                let isBool = column.kind == .boolean
                let format = column.numberFormat
                var values: [Double] = []
                values.reserveCapacity(rows.count)
                var missingCount = 0
                for r in rows {
                    let v = raw[r]
                    if missing.isMissing(v) { missingCount += 1; continue }
                    let d = isBool ? Values.boolean(v).map { $0 ? 1.0 : 0.0 } : format.parse(v)
                    if let d { values.append(d) } else { missingCount += 1 }
                }
                let fill = median(values)
                // Sums of squares of values beyond 1e154 overflow: work on values scaled by the
                // largest magnitude (exactly as before for ordinary data, where it is 1).
                let s = max(1, values.reduce(0) { max($0, abs($1)) })
                let meanScaled = rows.count > 0 ? (values.reduce(0) { $0 + $1 / s } + fill / s * Double(missingCount)) / n : 0
                var ss = 0.0
                for v in values { let d = v / s - meanScaled; ss += d * d }
                ss += Double(missingCount) * (fill / s - meanScaled) * (fill / s - meanScaled)
                let mean = meanScaled * s
                let sd = rows.count > 0 ? (ss / n).squareRoot() * s : 0
                guard mean.isFinite, sd.isFinite else {
                    let largest = values.max { abs($0) < abs($1) } ?? 0
                    throw DataError.badValue(SourceLocation(file: table.source, line: rows.first { format.parse(raw[$0]) == largest }.map { table.lines[$0] } ?? 0, field: column.name, value: "\(largest)"), reason: "numbers this large overflow the column's mean and spread; rescale the column (e.g. to thousands) or drop it")
                }
                let e = NumericEncoding(fill: fill, mean: mean, scale: sd > 1e-12 ? sd : 1,
                                        missingIndicator: missingCount > 0 && missingCount < rows.count)
                encoding = isBool ? .boolean(e) : .numeric(e)
                names.append(column.name)
                means.append(0)
                if e.missingIndicator { names.append("\(column.name) (missing)"); means.append(Double(missingCount) / n) }
            default:
                var counts: [String: Int] = [:]
                for r in rows { counts[levelKey(raw[r], missing), default: 0] += 1 }
                let kept = counts.filter { $0.value >= minCategoryCount }
                    .sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map(\.key)
                let e = CategoricalEncoding(levels: kept, hasOther: kept.count < counts.count)
                encoding = .categorical(e)
                names += kept.map { "\(column.name)=\($0)" }
                means += kept.map { Double(counts[$0]!) / n }
                if e.hasOther {
                    names.append("\(column.name)=\(CategoricalEncoding.otherLevel)")
                    means.append(Double(rows.count - kept.reduce(0) { $0 + counts[$1]! }) / n)
                }
            }
            let width = names.count - offset
            columns.append(EncodedColumn(name: column.name, offset: offset, width: width, encoding: encoding,
                                         number: column.kind == .numeric ? column.number : nil))
            offset += width
        }
        return FeatureEncoder(columns: columns, width: offset, featureNames: names,
                              featureMeans: means, missingTokens: missing)
    }

    @inline(__always)
    static func levelKey(_ raw: String, _ missing: MissingTokens) -> String {
        missing.isMissing(raw) ? CategoricalEncoding.missingLevel : Values.trim(raw)
    }

    /// Encodes `rows` of `table` (columns found by name) into an n × width matrix, on two
    /// threads for large tables (each fills its own rows). A column the encoder needs that the
    /// table lacks is an error naming every such column.
    public func encode(table: Table, rows: [Int], issues: inout EncodingIssues) throws -> Matrix {
        let absent = missingColumns(in: table.header)
        if !absent.isEmpty { throw DataError.missingColumns(SourceLocation(file: table.source), columns: absent) }
        let indices = columns.compactMap { table.index(of: $0.name) }
        let plan = EncodingPlan(self)
        return encodeRows(rows.count, parts: rows.count >= 50_000 ? 2 : 1, issues: &issues) { i, out, issues in
            let r = rows[i]
            for (k, c) in indices.enumerated() {
                var value = table.columns[c][r]
                value.withUTF8 { plan.encode(column: k, raw: $0, line: table.lines[r], into: out, issues: &issues) }
            }
        }
    }

    /// Encodes a batch of CSV records straight from their bytes into an n × width matrix, on
    /// `threads` threads (each fills its own rows). `fields[k]` is the record field holding
    /// `columns[k]`.
    public func encode(batch: RecordBatch, fields: [Int], threads: Int = 2, issues: inout EncodingIssues) -> Matrix {
        let plan = EncodingPlan(self)
        return batch.bytes.withUnsafeBufferPointer { bytes in
            let source = UncheckedSendable(bytes)
            return encodeRows(batch.count, parts: batch.count >= 1024 ? max(1, threads) : 1, issues: &issues) { i, out, issues in
                for k in columns.indices {
                    let r = batch.range(row: i, field: fields[k])
                    plan.encode(column: k, raw: UnsafeBufferPointer(rebasing: source.value[r]), line: batch.lines[i], into: out, issues: &issues)
                }
            }
        }
    }

    /// The n × width matrix whose row i `fill` writes into a row buffer, rows split across
    /// `parts` threads, each with its own issue counts (merged into `issues`).
    private func encodeRows(_ n: Int, parts: Int, issues: inout EncodingIssues,
                            fill: (Int, UnsafeMutablePointer<Double>, inout EncodingIssues) -> Void) -> Matrix {
        let width = self.width
        var m = Matrix(rows: n, columns: width)
        let chunk = (n + parts - 1) / parts
        var partIssues = [EncodingIssues](repeating: EncodingIssues(), count: parts)
        m.storage.withUnsafeMutableBufferPointer { storage in
            let base = UncheckedSendable(storage.baseAddress!)
            partIssues.withUnsafeMutableBufferPointer { issuesBuffer in
                let issueBase = UncheckedSendable(issuesBuffer.baseAddress!)
                parallelFor(parts: parts) { t in
                    let lo = t * chunk, hi = min(n, lo + chunk)
                    guard lo < hi else { return }
                    var out = [Double](repeating: 0, count: width)
                    out.withUnsafeMutableBufferPointer { o in
                        for i in lo..<hi {
                            fill(i, o.baseAddress!, &issueBase.value[t])
                            for j in 0..<width { base.value[i &+ j &* n] = o[j] }
                        }
                    }
                }
            }
        }
        for p in partIssues { issues.merge(p) }
        return m
    }

    /// Per encoded feature: the number of category codes for raw categorical features, else nil.
    public var categoryCounts: [Int?] {
        columns.map { c in if case let .raw(e) = c.encoding { return e.categoryCount } else { return nil } }
    }

    /// Columns the encoder needs that `header` lacks.
    public func missingColumns(in header: [String]) -> [String] {
        let lower = Set(header.map { $0.lowercased() })
        return columns.map(\.name).filter { !header.contains($0) && !lower.contains($0.lowercased()) }
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
