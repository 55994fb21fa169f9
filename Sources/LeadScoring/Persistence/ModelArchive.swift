import Foundation

/// The kinds of model a model file can hold. Adding one = a case here, a case in `Predictor`,
/// and its fitted type conforming to `Classifier`.
public enum ModelKind: String, Codable, Sendable {
    case logistic
    case gbdt

    /// How people call it: "logistic regression", "boosted trees".
    public var description: String { self == .logistic ? "logistic regression" : "boosted trees" }
}

/// The fitted learner inside a model file.
public enum Predictor: Sendable, Equatable {
    case logistic(LogisticModel)
    case gbdt(BoostedTrees)

    public var kind: ModelKind {
        switch self {
        case .logistic: return .logistic
        case .gbdt: return .gbdt
        }
    }

    public var classifier: any Classifier {
        switch self {
        case let .logistic(m): return m
        case let .gbdt(m): return m
        }
    }
}

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
    public var hyperparameters: [String: String]
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

/// A self-describing, versioned model file: everything needed to score a raw CSV row.
public struct LeadModel: Codable, Sendable, Equatable {
    /// Bumped when the file layout changes; readers refuse newer versions and read older ones.
    /// 1: trees as arrays of node objects. 2: trees column by column (`Tree`'s coding).
    /// 3: a probability calibration and the training data's profile (for drift).
    /// 4: each numeric column's number format (decimal comma, currency, percent…) and the
    /// columns left out with their reasons (probable leaks among them).
    public static let currentFormatVersion = 4

    public var formatVersion: Int
    public var schema: Schema
    public var target: TargetSpec
    public var encoder: FeatureEncoder
    public var predictor: Predictor
    public var tiers: TierThresholds
    public var training: TrainingMetadata
    /// Applied to the learner's probability (nil: none; always nil before format 3).
    public var calibration: Calibration?
    /// The training data's distributions (nil before format 3).
    public var profile: DataProfile?

    public var kind: ModelKind { predictor.kind }

    /// The calibrated probability of a margin (log-odds) from the learner.
    @inline(__always)
    public func probability(margin: Double) -> Double {
        let p = sigmoid(margin)
        return calibration?.apply(p) ?? p
    }

    public init(schema: Schema, target: TargetSpec, encoder: FeatureEncoder, predictor: Predictor,
                tiers: TierThresholds, training: TrainingMetadata) {
        self.formatVersion = LeadModel.currentFormatVersion
        self.schema = schema
        self.target = target
        self.encoder = encoder
        self.predictor = predictor
        self.tiers = tiers
        self.training = training
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion, kind, schema, target, encoder, model, tiers, training, calibration, profile
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        guard formatVersion <= LeadModel.currentFormatVersion else {
            throw VersionTooNew(found: formatVersion)
        }
        let kind = try c.decode(ModelKind.self, forKey: .kind)
        switch kind {
        case .logistic: predictor = .logistic(try c.decode(LogisticModel.self, forKey: .model))
        case .gbdt: predictor = .gbdt(try c.decode(BoostedTrees.self, forKey: .model))
        }
        schema = try c.decode(Schema.self, forKey: .schema)
        target = try c.decode(TargetSpec.self, forKey: .target)
        encoder = try c.decode(FeatureEncoder.self, forKey: .encoder)
        tiers = try c.decode(TierThresholds.self, forKey: .tiers)
        training = try c.decode(TrainingMetadata.self, forKey: .training)
        calibration = try c.decodeIfPresent(Calibration.self, forKey: .calibration)
        profile = try c.decodeIfPresent(DataProfile.self, forKey: .profile)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(kind, forKey: .kind)
        try c.encode(schema, forKey: .schema)
        try c.encode(target, forKey: .target)
        try c.encode(self.encoder, forKey: .encoder)
        switch predictor {
        case let .logistic(m): try c.encode(m, forKey: .model)
        case let .gbdt(m): try c.encode(m, forKey: .model)
        }
        try c.encode(tiers, forKey: .tiers)
        try c.encode(training, forKey: .training)
        try c.encodeIfPresent(calibration, forKey: .calibration)
        try c.encodeIfPresent(profile, forKey: .profile)
    }

    struct VersionTooNew: Error { let found: Int }

    /// Writes the model as pretty-printed JSON, atomically.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    /// Reads a model file; a newer format version or a corrupt file is a `DataError` naming it.
    public static func load(from path: String) throws -> LeadModel {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.cannotOpen(file: path, reason: "no such model file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.cannotOpen(file: path, reason: "cannot read it")
        }
        return try decode(data, file: path)
    }

    /// Reads and validates a model file's bytes; `path` names it in messages.
    public static func decode(_ data: Data, file path: String) throws -> LeadModel {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            let model = try decoder.decode(LeadModel.self, from: data)
            try model.validate()
            return model
        } catch let e as ModelDefect {
            throw DataError.badModel(file: path, reason: e.problem)
        } catch let e as VersionTooNew {
            throw DataError.unsupportedModelVersion(file: path, found: e.found, supported: currentFormatVersion)
        } catch let DecodingError.dataCorrupted(context) {
            throw DataError.badModel(file: path, reason: describe(context))
        } catch let DecodingError.keyNotFound(key, context) {
            throw DataError.badModel(file: path, reason: "missing '\(key.stringValue)' at \(codingPath(context))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw DataError.badModel(file: path, reason: describe(context))
        }
    }

    private static func codingPath(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "the top level" : p
    }

    private static func describe(_ context: DecodingError.Context) -> String {
        "\(context.debugDescription) (at \(codingPath(context)))"
    }
}
