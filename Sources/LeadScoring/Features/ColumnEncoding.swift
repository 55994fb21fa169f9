import Foundation

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
