import Foundation

/// A model compiled to one SQL `SELECT` over a table of raw leads (the CSV's columns under their
/// names; numbers as doubles, everything else as text), returning the id columns,
/// `probability`, `score` and `tier`: the whole scoring path of `leadscore predict`, in plain
/// SQL that the engine runs at its own scale.
///
/// The path, as `EncodingPlan` and `LeadModel.probability(margin:)` take it:
/// - logistic regression: numbers filled (median) when missing, flagged, standardised and
///   clamped; yes/no columns read as 0/1; categories one-hot with "(other)"; the margin is the
///   intercept plus each column's contribution;
/// - boosted trees: each column's raw value (categories as their codes, missing as NULL) in a
///   first step, then every tree as a nested CASE that tests `IS NULL` first (missing values
///   take the side each split learned) and compares with the split's bin bound;
/// - the sigmoid (its `EXP` argument never positive, and kept above −700, so no engine
///   overflows or underflows), calibration (Platt or isotonic), the tiers, and the score rounded
///   half away from zero.
///
/// Exactness: every literal is a double the engine reads back exactly (`SQLDialect.double`); sums
/// are grouped 32 terms at a time, so no expression nests deeper than `SQLDialect.depthLimit`
/// allows. Sums in another order than leadscore's can differ in the last bits (about 1e-15).
public struct SQLExport {
    public let model: LeadModel
    public let dialect: SQLDialect
    public let table: String

    public init(model: LeadModel, dialect: SQLDialect, table: String = "leads") {
        self.model = model
        self.dialect = dialect
        self.table = table
    }

    /// An expression and how deeply it nests (the parse-tree height SQLite and DuckDB bound).
    struct Expr {
        var text: String
        var depth: Int
        init(_ text: String, depth: Int = 1) { self.text = text; self.depth = depth }
    }

    public struct Statement {
        public var sql: String
        public var bytes: Int { sql.utf8.count }
        /// The deepest expression nesting in it.
        public var depth: Int
    }

    /// Blended models (trees and logistic regression) are not exported as SQL yet.
    public struct Blended: LeadScoreError {
        public var errorDescription: String? {
            "--format sql cannot export this model yet: it blends boosted trees with logistic regression (train with --model gbdt or --model logistic to export it)"
        }
        public var exitStatus: ExitStatus { .usage }
    }

    public struct TooLarge: LeadScoreError {
        public let message: String
        public var errorDescription: String? { message }
        public var exitStatus: ExitStatus { .usage }
    }

    /// The id columns the statement returns (the schema's identifier columns; with none, it
    /// returns the input columns).
    public var idColumns: [String] { model.schema.identifierColumns.map(\.name) }

    /// The types of the table's columns: ids and everything but numeric inputs as text.
    public var columnTypes: [(name: String, type: String)] {
        var out: [(String, String)] = idColumns.map { ($0, dialect.textType) }
        for c in model.encoder.columns where !idColumns.contains(c.name) {
            out.append((c.name, isNumber(c) ? dialect.doubleType : dialect.textType))
        }
        return out
    }

    func isNumber(_ c: EncodedColumn) -> Bool {
        switch c.encoding {
        case .numeric: return true
        case let .raw(e): return e.kind == .numeric
        case .boolean, .categorical: return false
        }
    }

    /// `CREATE TABLE` for the raw leads the statement reads.
    public func createTable() -> String {
        "CREATE TABLE \(dialect.tableName(table)) (\n"
            + columnTypes.map { "  \(dialect.identifier($0.name)) \($0.type)" }.joined(separator: ",\n") + "\n);\n"
    }

    /// The scoring statement; refused (`TooLarge`, with the reason) when it is larger than the
    /// dialect takes or nests deeper than its parser allows.
    public func statement() throws -> Statement {
        guard model.blend == nil else { throw Blended() }
        // The lead ids key the result; a model trained without any keeps every input column
        // instead, so each score can still be joined back to its lead.
        let ids = (idColumns.isEmpty ? model.encoder.columns.map(\.name) : idColumns).map { dialect.identifier($0) }
        let carry = ids.isEmpty ? "" : ids.joined(separator: ", ") + ", "
        var steps: [String] = []
        var depth = 0
        let margin: Expr
        switch model.predictor {
        case let .logistic(m):
            margin = logisticMargin(m)
            steps.append("\(dialect.step("__margin"))\n  SELECT \(carry)\(margin.text) AS __m\n  FROM \(dialect.tableName(table))\n)")
        case let .gbdt(b):
            let inputs = model.encoder.columns.enumerated().map { k, c in treeInput(c, k: k) }
            depth = max(depth, inputs.map(\.depth).max() ?? 0)
            steps.append("\(dialect.step("__inputs"))\n  SELECT \(carry)" + inputs.enumerated().map { "\($1.text) AS \(featureName($0))" }.joined(separator: ",\n    ")
                         + "\n  FROM \(dialect.tableName(table))\n)")
            margin = treeMargin(b)
            steps.append("\(dialect.step("__margin"))\n  SELECT \(carry)\(margin.text) AS __m\n  FROM __inputs\n)")
        }
        depth = max(depth, margin.depth)
        steps.append("\(dialect.step("__uncalibrated"))\n  SELECT \(carry)\(sigmoid("__m").text) AS __p\n  FROM __margin\n)")
        switch model.calibration {
        case nil:
            steps.append("\(dialect.step("__calibrated"))\n  SELECT \(carry)__p AS probability\n  FROM __uncalibrated\n)")
        case let .platt(a, b)?:
            // σ(a · logit(p) + b), logit as leadscore takes it (p kept inside [1e-12, 1 − 1e-12]).
            let q = dialect.least(dialect.greatest("__p", d(1e-12)), d(1 - 1e-12))
            steps.append("\(dialect.step("__platt"))\n  SELECT \(carry)\(d(a)) * LN(\(q) / (\(d(1.0)) - \(q))) + \(d(b)) AS __z\n  FROM __uncalibrated\n)")
            steps.append("\(dialect.step("__calibrated"))\n  SELECT \(carry)\(sigmoid("__z").text) AS probability\n  FROM __platt\n)")
        case let .isotonic(x, y)?:
            let e = isotonic(x: x, y: y)
            depth = max(depth, e.depth)
            steps.append("\(dialect.step("__calibrated"))\n  SELECT \(carry)\(e.text) AS probability\n  FROM __uncalibrated\n)")
        }
        let hundred = "probability * \(d(100.0))"
        let score = "CAST(FLOOR(\(hundred)) + CASE WHEN \(hundred) - FLOOR(\(hundred)) >= \(d(0.5)) THEN 1 ELSE 0 END AS INTEGER)"
        let t = model.tiers
        let tier = "CASE WHEN probability >= \(d(t.sql)) THEN 'SQL' WHEN probability >= \(d(t.mql)) THEN 'MQL' ELSE 'Cold' END"
        let sql = "-- leadscore \(LeadScoreVersion.current): \(model.kind.rawValue) model for \(dialect.displayName) over \(table)\n"
            + "WITH " + steps.joined(separator: ",\n") + "\n"
            + "SELECT \(carry)probability, \(score) AS score, \(tier) AS tier\nFROM __calibrated;\n"
        let statement = Statement(sql: sql, depth: depth)
        if statement.depth > dialect.depthLimit {
            throw TooLarge(message: "the statement nests \(statement.depth) deep, more than \(dialect.displayName) parses (\(dialect.depthLimit)); a model with shallower trees would fit")
        }
        if let limit = dialect.sizeLimit, statement.bytes > limit {
            throw TooLarge(message: "the statement is \(NumberFormatting.grouped(statement.bytes)) bytes, more than \(dialect.displayName) takes (\(NumberFormatting.grouped(limit)) bytes); "
                           + "fewer or smaller trees (--trees, --leaves at train), or another dialect, would fit")
        }
        return statement
    }

    func d(_ value: Double) -> String { dialect.double(value) }
    func featureName(_ k: Int) -> String { "__x\(k)" }

    // MARK: values

    /// What an exported yes/no column reads as 1 and as 0 (lowercased, trimmed): leadscore's
    /// tokens and the usual spellings of the numbers 1 and 0 (`predict` reads any numeral).
    public static let yesTokens = Values.trueTokens.sorted() + ["1.0", "+1"]
    public static let noTokens = Values.falseTokens.sorted() + ["0.0", "+0", "-0"]

    /// Numeric inputs that training read in a format other than plain numbers (`45%`,
    /// `1.234,5`, `$1,200`): the table must hold them as the numbers they stand for.
    public var formattedColumns: [(name: String, format: String)] {
        model.encoder.columns.compactMap { c in
            guard let f = c.number, !f.isPlain else { return nil }
            return (c.name, "\(f)")
        }
    }

    /// The column as leadscore reads a yes/no value: 1, 0, or NULL (missing or unreadable).
    func yesNo(_ column: String) -> Expr {
        let key = "LOWER(\(dialect.trimmed(column)))"
        let yes = SQLExport.yesTokens.map(dialect.string).joined(separator: ", ")
        let no = SQLExport.noTokens.map(dialect.string).joined(separator: ", ")
        return Expr("CASE WHEN \(key) IN (\(yes)) THEN \(d(1)) WHEN \(key) IN (\(no)) THEN \(d(0)) END", depth: 4)
    }

    /// True when a text value is missing: NULL, or one of the model's missing tokens once
    /// trimmed (ignoring case).
    func isMissingText(_ column: String) -> String {
        let tokens = Set(model.encoder.missingTokens.tokens.map { Values.lowercasedTrimmed($0) } + [""]).sorted()
        return "(\(column) IS NULL OR LOWER(\(dialect.trimmed(column))) IN (\(tokens.map(dialect.string).joined(separator: ", "))))"
    }

    // MARK: logistic regression

    func logisticMargin(_ m: LogisticModel) -> Expr {
        var terms: [Expr] = [Expr(d(m.intercept))]
        for c in model.encoder.columns {
            let x = dialect.identifier(c.name)
            let beta = Array(m.coefficients[c.offset..<(c.offset + c.width)])
            switch c.encoding {
            case let .numeric(e), let .boolean(e):
                let isBoolean: Bool
                if case .boolean = c.encoding { isBoolean = true } else { isBoolean = false }
                // value: the number (or 0/1), NULL when missing or unreadable.
                let value = isBoolean ? yesNo(x) : Expr(x)
                let missing = isBoolean ? "(\(value.text)) IS NULL" : dialect.isMissingNumber(x)
                let filled = clamp((e.fill - e.mean) / e.scale)
                let whenMissing = beta[0] * filled + (e.missingIndicator ? beta[1] : 0)
                let z = "\(dialect.least(dialect.greatest("(\(value.text) - \(d(e.mean))) / \(d(e.scale))", d(-EncodingPlan.standardLimit)), d(EncodingPlan.standardLimit)))"
                // Values beyond 2·10¹² standard deviations clamp to the limit without the
                // subtraction (which overflows on PostgreSQL for absurd values).
                let high = e.mean + 2 * EncodingPlan.standardLimit * e.scale, low = e.mean - 2 * EncodingPlan.standardLimit * e.scale
                var guarded = ""
                if !isBoolean && high.isFinite && low.isFinite {
                    guarded = "WHEN \(value.text) > \(d(high)) THEN \(d(beta[0] * EncodingPlan.standardLimit)) "
                        + "WHEN \(value.text) < \(d(low)) THEN \(d(beta[0] * -EncodingPlan.standardLimit)) "
                }
                terms.append(Expr("CASE WHEN \(missing) THEN \(d(whenMissing)) \(guarded)ELSE \(d(beta[0])) * \(z) END", depth: value.depth + 6))
            case let .categorical(e):
                let key = dialect.trimmed(x)
                let missingCode = e.position[CategoricalEncoding.missingLevel] ?? (e.hasOther ? e.levels.count : nil)
                var text = "CASE WHEN \(isMissingText(x)) THEN \(d(missingCode.map { beta[$0] } ?? 0))"
                for (j, level) in e.levels.enumerated() { text += " WHEN \(key) = \(dialect.string(level)) THEN \(d(beta[j]))" }
                text += " ELSE \(d(e.hasOther ? beta[e.levels.count] : 0)) END"
                terms.append(Expr(text, depth: 5))
            case .raw:
                preconditionFailure("a logistic model over a tree encoding")
            }
        }
        return sum(terms)
    }

    func clamp(_ z: Double) -> Double { min(max(z, -EncodingPlan.standardLimit), EncodingPlan.standardLimit) }

    // MARK: boosted trees

    /// Column k's value as the trees read it: the number, 0/1, or the category's code; NULL
    /// when missing (NaN included).
    func treeInput(_ c: EncodedColumn, k: Int) -> Expr {
        let x = dialect.identifier(c.name)
        guard case let .raw(e) = c.encoding else { preconditionFailure("a tree model over a linear encoding") }
        switch e.kind {
        case .categorical:
            let key = dialect.trimmed(x)
            var text = "CASE"
            for (code, level) in e.levels.enumerated() { text += " WHEN \(key) = \(dialect.string(level)) THEN \(code)" }
            text += " WHEN \(isMissingText(x)) THEN NULL ELSE \(e.levels.count) END"
            return Expr(text, depth: 5)
        case .boolean:
            return yesNo(x)
        default:
            return Expr("CASE WHEN \(dialect.isMissingNumber(x)) THEN NULL ELSE \(x) END", depth: 4)
        }
    }

    func treeMargin(_ b: BoostedTrees) -> Expr {
        sum([Expr(d(b.baseScore))] + b.trees.map { tree(b, $0, node: 0) })
    }

    /// A node as a CASE: missing values (`IS NULL`, tested first) to the side the split
    /// learned; the others by the split's test.
    func tree(_ b: BoostedTrees, _ t: Tree, node i: Int) -> Expr {
        let n = t.nodes[i]
        if n.isLeaf { return Expr(d(n.value)) }
        let f = Int(n.feature)
        let fb = b.mapper.features[f]
        let x = featureName(f)
        let left = tree(b, t, node: Int(n.left)), right = tree(b, t, node: Int(n.right))
        let missingLeft: Bool
        let test: String
        if n.categories.isEmpty {
            missingLeft = n.defaultLeft
            test = "\(x) <= \(d(fb.upperBounds[Int(n.thresholdBin)]))"
        } else {
            func bit(_ bin: Int) -> Bool { (n.categories[bin >> 6] >> UInt64(bin & 63)) & 1 == 1 }
            missingLeft = bit(fb.missingBin)
            // The codes the encoder gives (levels and "(other)") as their bins.
            let codes = (0..<(model.encoder.columns[f].rawLevelCount + 1)).filter { bit(fb.bin(Double($0))) }
            test = codes.isEmpty ? "1 = 0" : dialect.isOneOf(x, codes)
        }
        // Each subtree once: missing values join the side they take in the condition.
        let condition = missingLeft ? "\(x) IS NULL OR \(test)" : "\(x) IS NOT NULL AND \(test)"
        return Expr("CASE WHEN \(condition) THEN \(left.text) ELSE \(right.text) END", depth: 4 + max(left.depth, right.depth))
    }

    // MARK: the sum, the sigmoid and calibration

    /// Terms added 32 at a time, the groups' sums likewise: shallow for any number of terms.
    func sum(_ terms: [Expr]) -> Expr {
        if terms.count == 1 { return terms[0] }
        if terms.count <= 32 {
            return Expr("(" + terms.map(\.text).joined(separator: "\n    + ") + ")", depth: (terms.map(\.depth).max() ?? 0) + terms.count)
        }
        let groups = stride(from: 0, to: terms.count, by: 32).map { sum(Array(terms[$0..<min(terms.count, $0 + 32)])) }
        return sum(groups)
    }

    /// σ(z) as leadscore computes it, with e = exp(−|z|) (never above 1; |z| capped at 700, where
    /// σ is 1 or below 1e-304 either way).
    func sigmoid(_ z: String) -> Expr {
        let e = "EXP(-\(dialect.least("ABS(\(z))", d(700.0))))"
        return Expr("CASE WHEN \(z) >= \(d(0)) THEN \(d(1.0)) / (\(d(1.0)) + \(e)) ELSE \(e) / (\(d(1.0)) + \(e)) END", depth: 6)
    }

    /// Isotonic calibration: the step function's ends, and linear interpolation between the
    /// points around p (as `Calibration.apply`, found by comparison rather than bisection).
    func isotonic(x: [Double], y: [Double]) -> Expr {
        guard let first = x.first, let last = x.last else { return Expr("__p") }
        var text = "CASE WHEN __p <= \(d(first)) THEN \(d(y[0])) WHEN __p >= \(d(last)) THEN \(d(y[y.count - 1]))"
        for k in 1..<max(1, x.count) {
            let lo = k - 1
            let value: String
            if x[k] > x[lo] {
                value = "\(d(y[lo])) + ((__p - \(d(x[lo]))) / \(d(x[k] - x[lo]))) * \(d(y[k] - y[lo]))"
            } else {
                value = d(y[lo])
            }
            text += " WHEN __p < \(d(x[k])) THEN \(value)"
        }
        return Expr(text + " ELSE \(d(y[y.count - 1])) END", depth: 6)
    }
}

extension EncodedColumn {
    /// Raw categorical columns: the number of levels with their own code (nil otherwise).
    var rawLevelCount: Int {
        if case let .raw(e) = encoding, e.kind == .categorical { return e.levels.count }
        return 0
    }
}
