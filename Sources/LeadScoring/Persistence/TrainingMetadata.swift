import Foundation

/// A single-column signal that alone separates the outcome almost perfectly: probably filled
/// in after the outcome was known.
public struct LeakFinding: Codable, Equatable, Sendable {
    public var column: String
    /// Holdout ROC AUC of this column alone (target-rate encoded on the training part).
    public var auc: Double
}

/// A column of the training file the model does not use, and why.
public struct LeftOutColumn: Codable, Equatable, Sendable {
    public var column: String
    /// The column's kind (`excluded`, `identifier`, `date`, `text`, …).
    public var kind: ColumnKind
    public var reason: String
    /// For a probable leak: its single-column holdout ROC AUC.
    public var leakAUC: Double?

    /// The schema's non-feature columns (the target aside), leaks with their AUC.
    static func list(schema: Schema, leaks: [LeakFinding]) -> [LeftOutColumn] {
        schema.columns.filter { !$0.kind.isFeature && $0.notice != "the target" }.map { c in
            LeftOutColumn(column: c.name, kind: c.kind, reason: c.notice ?? c.kind.rawValue,
                          leakAUC: c.kind == .excluded ? leaks.first { $0.column == c.name }?.auc : nil)
        }
    }
}

/// How much one input column matters to the model.
public struct FeatureImportance: Codable, Equatable, Sendable {
    public var feature: String
    /// Mean |contribution| to the log-odds over holdout leads (SHAP for trees, βⱼ(xⱼ − x̄ⱼ) for
    /// logistic regression, summed over a column's encoded features).
    public var meanAbsContribution: Double
    /// Trees only: total loss reduction of the splits on this column.
    public var gain: Double?
}

/// What the model was trained on and how well it did.
public struct TrainingMetadata: Codable, Equatable, Sendable {
    public var dataFile: String
    public var dataSHA256: String
    public var trainedAt: String
    public var leadscoreVersion: String
    /// Rows with a decided outcome used for the final fit, and their conversions.
    public var rows: Int
    public var conversions: Int
    /// Rows left out: target missing / neither positive nor negative.
    public var missingTarget: Int
    public var undecidedTarget: Int
    /// How the holdout was drawn ("stratified random 20%, seed 42" or "most recent 20% by …").
    public var split: String
    public var holdout: EvaluationReport
    /// The settings the model was fitted with (a map of strings before format 5).
    public var hyperparameters: Hyperparameters
    public var iterations: Int
    /// Every column flagged as a probable leak (left out unless kept by `--allow-leak` or
    /// `--keep-leaks`: see `leftOut`).
    public var leaks: [LeakFinding]
    /// Columns of the training file that are not model inputs, and why (nil before format 4).
    public var leftOut: [LeftOutColumn]?
    public var notices: [String]
    /// Columns by importance, strongest first.
    public var importance: [FeatureImportance]?
}

/// The settings a model was fitted with, typed: the learner's own settings struct, so that a
/// model file says exactly how to refit it.
public struct Hyperparameters: Codable, Equatable, Sendable {
    /// Levels seen fewer times in training were pooled into "(other)".
    public var minCategoryCount: Int
    public var logistic: LogisticRegression?
    /// Trees: the settings (`trees` is the ceiling) and how many trees were kept.
    public var boosting: GradientBoosting?
    public var keptTrees: Int?
    /// With `--tune`: what the search did.
    public var tuned: String?
    /// `--model auto`: how the tree count was chosen from its cross-validation folds.
    public var autoTrees: AutoTrees?
    /// `--model auto` kept a blend of both learners: its weights.
    public var blend: BlendWeights?

    public init(minCategoryCount: Int, logistic: LogisticRegression? = nil, boosting: GradientBoosting? = nil,
                keptTrees: Int? = nil, tuned: String? = nil) {
        self.minCategoryCount = minCategoryCount
        self.logistic = logistic
        self.boosting = boosting
        self.keptTrees = keptTrees
        self.tuned = tuned
    }

    enum CodingKeys: String, CodingKey { case minCategoryCount, logistic, boosting, keptTrees, tuned, autoTrees, blend }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Model files before format 5 held a map of strings ("minCategoryCount": "10", …).
        if let legacy = try? c.decode(String.self, forKey: .minCategoryCount) {
            try self.init(legacy: decoder.singleValueContainer().decode([String: String].self), from: legacy)
            return
        }
        self.init(minCategoryCount: try c.decode(Int.self, forKey: .minCategoryCount),
                  logistic: try c.decodeIfPresent(LogisticRegression.self, forKey: .logistic),
                  boosting: try c.decodeIfPresent(GradientBoosting.self, forKey: .boosting),
                  keptTrees: try c.decodeIfPresent(Int.self, forKey: .keptTrees),
                  tuned: try c.decodeIfPresent(String.self, forKey: .tuned))
        autoTrees = try c.decodeIfPresent(AutoTrees.self, forKey: .autoTrees)
        blend = try c.decodeIfPresent(BlendWeights.self, forKey: .blend)
    }

    /// The settings of a format 1–4 file, read back from their text.
    init(legacy h: [String: String], from minCategoryCount: String) throws {
        func number(_ key: String) throws -> Double? {
            guard let text = h[key] else { return nil }
            guard let x = Double(text), x.isFinite else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "hyperparameter '\(key)' is '\(text)', not a number"))
            }
            return x
        }
        func int(_ key: String) throws -> Int? { try number(key).flatMap { Int(exactly: $0) } }
        self.minCategoryCount = Int(minCategoryCount) ?? FeatureEncoder.defaultMinCategoryCount
        tuned = h["tuned"]
        if let maxTrees = try int("maxTrees") {
            var b = GradientBoosting()
            b.trees = maxTrees
            b.learningRate = try number("learningRate") ?? b.learningRate
            b.tree.leaves = try int("leaves") ?? b.tree.leaves
            b.tree.maxDepth = try int("maxDepth") ?? b.tree.maxDepth
            b.tree.minLeaf = try int("minLeaf") ?? b.tree.minLeaf
            b.tree.l2 = try number("l2") ?? b.tree.l2
            b.rowSample = try number("rowSample") ?? b.rowSample
            b.columnSample = try number("columnSample") ?? b.columnSample
            b.earlyStopping = try int("earlyStopping") ?? b.earlyStopping
            b.seed = h["seed"].flatMap { UInt64($0) } ?? b.seed
            boosting = b
            keptTrees = try int("trees")
        } else {
            var weight = ClassWeight.none
            if h["classWeight"] == "balanced" { weight = .balanced }
            logistic = LogisticRegression(l2: try number("l2") ?? 1, classWeight: weight, tolerance: try number("tolerance") ?? 1e-9)
        }
    }

    /// "l2=1, classWeight=none" or "trees=120 (of at most 500), learningRate=0.05, …" for people.
    public var summary: String {
        var parts: [String] = []
        if let l = logistic {
            var weight = "none"
            if case .balanced = l.classWeight { weight = "balanced" }
            if case let .custom(p, n) = l.classWeight { weight = "positive=\(p),negative=\(n)" }
            parts += ["l2=\(l.l2)", "classWeight=\(weight)", "tolerance=\(l.tolerance)"]
        }
        if let b = boosting {
            parts += ["trees=\(keptTrees.map(String.init) ?? "?") (of at most \(b.trees))", "learningRate=\(b.learningRate)",
                      "leaves=\(b.tree.leaves)", "maxDepth=\(b.tree.maxDepth)", "minLeaf=\(b.tree.minLeaf)", "l2=\(b.tree.l2)",
                      "rowSample=\(b.rowSample)", "columnSample=\(b.columnSample)", "earlyStopping=\(b.earlyStopping)", "seed=\(b.seed)"]
        }
        parts.append("minCategoryCount=\(minCategoryCount)")
        if let tuned { parts.append("tuned: \(tuned)") }
        if let autoTrees { parts.append("trees from \(autoTrees.description)") }
        if let blend { parts.append("blend: \(blend.description)") }
        return parts.joined(separator: ", ")
    }
}
