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

/// Chooses tier thresholds from scored holdout leads.
///
/// The observed conversion rate is estimated as a non-decreasing function of the probability
/// (isotonic regression of the holdout outcomes on the scores: bands of leads whose rates respect
/// the ranking). SQL is the set of bands converting at ≥ `sqlPrecision`; MQL the bands below it
/// converting at ≥ `mqlPrecision`. Judging each band on its own rate (not the cumulative rate of
/// everything above) keeps weak leads out of SQL even when a strong top pulls the average up.
public struct TierPolicy: Codable, Equatable, Sendable {
    /// 0.7: sales works SQLs first and expects most of them to convert.
    public var sqlPrecision: Double = 0.7
    /// 0.4: worth a marketing touch and a look from sales.
    public var mqlPrecision: Double = 0.4
    /// Capacity-based SQL (and optionally MQL): the top share of leads, whatever they convert at.
    public var sqlTop: Double? = nil
    public var mqlTop: Double? = nil

    public init(sqlPrecision: Double = 0.7, mqlPrecision: Double = 0.4, sqlTop: Double? = nil, mqlTop: Double? = nil) {
        self.sqlPrecision = sqlPrecision
        self.mqlPrecision = mqlPrecision
        self.sqlTop = sqlTop
        self.mqlTop = mqlTop
    }

    public func thresholds(probabilities p: [Double], labels y: [Double]) -> TierThresholds {
        let order = (0..<p.count).sorted { p[$0] < p[$1] }
        let sorted = order.map { p[$0] }
        let n = sorted.count
        guard n > 0 else { return TierThresholds(mql: 1, sql: 1, method: "no holdout leads") }
        // Ties in probability share one rate: average outcomes over equal scores first.
        var grouped: [Double] = [], weights: [Double] = [], starts: [Int] = []
        var i = 0
        while i < n {
            var j = i, hits = 0.0
            while j < n && sorted[j] == sorted[i] { hits += y[order[j]]; j += 1 }
            grouped.append(hits / Double(j - i)); weights.append(Double(j - i)); starts.append(i)
            i = j
        }
        let rate = isotonicFit(grouped, weights: weights)
        /// Lowest probability whose band converts at ≥ `precision`; above every score when none.
        func threshold(_ precision: Double) -> Double? {
            guard let g = rate.firstIndex(where: { $0 >= precision }) else { return nil }
            return sorted[starts[g]]
        }
        func thresholdForTop(_ share: Double) -> Double {
            let k = max(1, min(n, Int((share * Double(n)).rounded(.up))))
            return sorted[n - k]
        }
        let above = sorted[n - 1].nextUp
        var method: String
        let sql: Double
        if let share = sqlTop {
            sql = thresholdForTop(share)
            method = "SQL: top \(percent(share)) of holdout leads"
        } else if let t = threshold(sqlPrecision) {
            sql = t
            method = "SQL: leads in bands converting at ≥ \(percent(sqlPrecision)) on the holdout"
        } else {
            sql = above
            method = "SQL: no band reached \(percent(sqlPrecision)) conversion on the holdout, so SQL is empty"
        }
        let mql: Double
        if let share = mqlTop {
            mql = min(sql, thresholdForTop(share))
            method += "; MQL: top \(percent(share))"
        } else if let t = threshold(mqlPrecision), t < sql {
            mql = t
            method += "; MQL: bands below SQL converting at ≥ \(percent(mqlPrecision))"
        } else {
            mql = sql
            method += "; MQL: no band below SQL reached \(percent(mqlPrecision)), so MQL is empty"
        }
        return TierThresholds(mql: mql, sql: sql, method: method)
    }
}

func percent(_ x: Double) -> String {
    let v = x * 100
    return v == v.rounded() ? "\(Int(v))%" : String(format: "%.1f%%", v)
}
