import Foundation

/// A self-describing, versioned model file: everything needed to score a raw CSV row.
public struct LeadModel: Codable, Sendable, Equatable {
    /// Bumped when the file layout changes; readers refuse newer versions and read older ones.
    /// 1: trees as arrays of node objects. 2: trees column by column (`Tree`'s coding).
    /// 3: a probability calibration and the training data's profile (for drift).
    /// 4: each numeric column's number format (decimal comma, currency, percent…) and the
    /// columns left out with their reasons (probable leaks among them).
    /// 5: hyperparameters typed (the learner's settings) instead of a map of strings.
    /// 6: an optional stacking blend (`blend`: logistic regression beside the trees).
    public static let currentFormatVersion = 6

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
    /// `--model auto`'s blend: a logistic regression whose margin is combined with the trees'
    /// (`predictor`, a `.gbdt`) by fitted weights; nil for a single learner (always before format 6).
    public var blend: Blend?

    public var kind: ModelKind { predictor.kind }

    /// "boosted trees", "logistic regression", or "blend of boosted trees and logistic regression".
    public var kindDescription: String { blend == nil ? kind.description : "blend of boosted trees and logistic regression" }

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
        case formatVersion, kind, schema, target, encoder, model, tiers, training, calibration, profile, blend
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
        blend = try c.decodeIfPresent(Blend.self, forKey: .blend)
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
        try c.encodeIfPresent(blend, forKey: .blend)
    }

    struct VersionTooNew: Error { let found: Int }

    /// Writes the model as pretty-printed JSON, atomically.
    public func save(to path: String) throws {
        try AtomicFile.write(try JSONCoding.encoder().encode(self), to: path)
    }

    /// Reads a model file; a newer format version or a corrupt file is a `DataError` naming it.
    public static func load(from path: String) throws -> LeadModel {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileError.unreadable(path: path, reason: "no such model file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError.unreadable(path: path, reason: "cannot read it")
        }
        return try decode(data, file: path)
    }

    /// Reads and validates a model file's bytes; `path` names it in messages.
    public static func decode(_ data: Data, file path: String) throws -> LeadModel {
        let decoder = JSONCoding.decoder()
        do {
            let model = try decoder.decode(LeadModel.self, from: data)
            try model.validate()
            return model
        } catch let e as ModelDefect {
            throw ModelFileError.invalid(SourceLocation(file: path), reason: e.problem)
        } catch let e as VersionTooNew {
            throw ModelFileError.newerVersion(file: path, found: e.found, supported: currentFormatVersion)
        } catch let DecodingError.dataCorrupted(context) {
            throw ModelFileError.invalid(SourceLocation(file: path), reason: describe(context))
        } catch let DecodingError.keyNotFound(key, context) {
            throw ModelFileError.invalid(SourceLocation(file: path), reason: "missing '\(key.stringValue)' at \(codingPath(context))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ModelFileError.invalid(SourceLocation(file: path), reason: describe(context))
        } catch {
            throw ModelFileError.invalid(SourceLocation(file: path), reason: error.localizedDescription)
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
