import Foundation

/// Where a lead goes: nurture (Cold), marketing-qualified (MQL) or sales-ready (SQL).
public enum Tier: String, Codable, CaseIterable, Sendable, Comparable {
    case cold = "Cold", mql = "MQL", sql = "SQL"
    public static func < (a: Tier, b: Tier) -> Bool {
        let order: [Tier] = [.cold, .mql, .sql]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}

/// Probability thresholds for the tiers: SQL when p ≥ `sql`, MQL when p ≥ `mql`, else Cold.
public struct TierThresholds: Codable, Equatable, Sendable {
    public var mql: Double
    public var sql: Double
    /// How the thresholds were chosen, in words (shown by `inspect` and `train`).
    public var method: String

    public init(mql: Double, sql: Double, method: String) {
        self.mql = mql
        self.sql = sql
        self.method = method
    }

    @inline(__always)
    public func tier(_ p: Double) -> Tier { p >= sql ? .sql : p >= mql ? .mql : .cold }

    /// Parses `mql=0.35,sql=0.7`.
    public static func parse(_ text: String) throws -> TierThresholds {
        var mql: Double?, sql: Double?
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard kv.count == 2, let v = Double(kv[1]), v >= 0, v <= 1 else {
                throw UsageError("--tiers: cannot read '\(part)'; expected mql=P,sql=P with probabilities between 0 and 1")
            }
            switch kv[0] {
            case "mql": mql = v
            case "sql": sql = v
            default: throw UsageError("--tiers: unknown tier '\(kv[0])'; expected mql and sql")
            }
        }
        guard let mql, let sql else { throw UsageError("--tiers: give both, as mql=0.35,sql=0.7") }
        guard mql <= sql else { throw UsageError("--tiers: mql (\(mql)) must not exceed sql (\(sql))") }
        return TierThresholds(mql: mql, sql: sql, method: "explicit thresholds mql=\(mql), sql=\(sql)")
    }

    /// Parses a share such as `10%` or `0.1` (for `--sql-top`).
    public static func parseShare(_ text: String, option: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let value = t.hasSuffix("%") ? Double(t.dropLast()).map { $0 / 100 } : Double(t)
        guard let v = value, v > 0, v <= 1 else {
            throw UsageError("\(option): cannot read '\(text)'; expected a share such as 10% or 0.1")
        }
        return v
    }
}

func percent(_ x: Double) -> String {
    let v = x * 100
    return v == v.rounded() ? "\(Int(v))%" : String(format: "%.1f%%", v)
}
