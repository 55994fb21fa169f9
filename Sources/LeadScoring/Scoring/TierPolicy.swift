import Foundation

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
