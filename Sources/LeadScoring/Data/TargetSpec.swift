import Foundation

/// Which values of the target column mean "converted" and which "not converted".
///
/// A CRM status column (Won / Lost / Open / Working) is common: with `positive: [Won]` and
/// `negative: [Lost]`, Open and Working rows are left out of training (still undecided). With
/// `positive` alone, every other non-missing value is a negative.
public struct TargetSpec: Codable, Equatable, Sendable {
    public var column: String
    public var positive: [String]
    /// Empty means "every non-missing value that is not positive".
    public var negative: [String]

    public init(column: String, positive: [String] = [], negative: [String] = []) {
        self.column = column
        self.positive = positive
        self.negative = negative
    }

    static func key(_ s: String) -> String { Values.lowercasedTrimmed(s) }

    /// The label of one raw value: 1, 0, or nil (missing or undecided).
    public func label(_ raw: String, missing: MissingTokens) -> Int? {
        if missing.isMissing(raw) { return nil }
        let k = TargetSpec.key(raw)
        if positive.contains(where: { TargetSpec.key($0) == k }) { return 1 }
        if negative.isEmpty { return 0 }
        return negative.contains(where: { TargetSpec.key($0) == k }) ? 0 : nil
    }

    /// Fills in `positive`/`negative` from the values when the user gave none: the two sides of
    /// a boolean-looking column (1/0, true/false, yes/no, y/n). Any other column needs
    /// `--positive`; the error lists the values found.
    public func resolved(values: [String], missing: MissingTokens, file: String) throws -> TargetSpec {
        var counts: [String: Int] = [:]
        for v in values where !missing.isMissing(v) { counts[Values.trim(v), default: 0] += 1 }
        return try resolved(counts: counts, file: file)
    }

    /// The same from a table's column.
    public func resolved(column: Column, missing: MissingTokens, file: String) throws -> TargetSpec {
        try resolved(counts: column.counts { missing.isMissing($0) ? nil : Values.trim($0) }, file: file)
    }

    /// The same from the trimmed present values' counts.
    func resolved(counts: [String: Int], file: String) throws -> TargetSpec {
        let listing = counts.sorted { $0.value > $1.value }.prefix(20).map { "'\($0.key)' (\($0.value))" }.joined(separator: ", ")
        if counts.isEmpty {
            throw DataError.target(SourceLocation(file: file, field: column), reason: "has no values")
        }
        if !positive.isEmpty {
            let keys = Set(counts.keys.map(TargetSpec.key))
            let unknown = (positive + negative).filter { !keys.contains(TargetSpec.key($0)) }
            if !unknown.isEmpty {
                throw DataError.target(SourceLocation(file: file, field: column), reason: "value\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\($0)'" }.joined(separator: ", ")) not found; values are \(listing)")
            }
            return self
        }
        let lowered = Set(counts.keys.map(TargetSpec.key))
        if lowered.count <= 2 {
            for (yes, no) in Values.booleanPairs where lowered.isSubset(of: [yes, no]) {
                let original = { (k: String) in counts.keys.filter { TargetSpec.key($0) == k } }
                var spec = self
                spec.positive = original(yes).isEmpty ? [yes] : original(yes)
                spec.negative = original(no).isEmpty ? [no] : original(no)
                return spec
            }
            if let numeric = Optional(counts.keys.compactMap(Values.number)), numeric.count == counts.count,
               Set(numeric).isSubset(of: [0, 1]) {
                var spec = self
                spec.positive = counts.keys.filter { Values.number($0) == 1 }
                spec.negative = counts.keys.filter { Values.number($0) == 0 }
                return spec
            }
        }
        throw DataError.target(SourceLocation(file: file, field: column), reason: "has \(counts.count) distinct values (\(listing)); say which mean converted with --positive V[,V...] (and optionally --negative)")
    }
}

