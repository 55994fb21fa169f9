import Foundation

/// The numbers `evaluate` prints and writes as JSON.
public struct EvaluationReport: Codable, Equatable, Sendable {
    public var rows: Int
    public var conversions: Int
    public var auc: Double
    public var prAuc: Double
    public var logLoss: Double
    public var brier: Double
    public var liftAt10: Double
    public var liftAt20: Double
    public var captureAt10: Double
    public var captureAt20: Double
    public var tiers: [TierSummary]
    /// DeLong 95% interval of `auc` (absent in model files written before it was reported).
    public var aucLow: Double?
    public var aucHigh: Double?
    /// Predicted against observed conversion rate per decile of predicted probability.
    public var reliability: Reliability?

    public init(probabilities p: [Double], labels y: [Double], thresholds: TierThresholds) {
        rows = p.count
        conversions = Int(y.reduce(0, +))
        let interval = Uncertainty.aucInterval(p, y)
        auc = interval.auc
        aucLow = interval.low
        aucHigh = interval.high
        reliability = Reliability(probabilities: p, labels: y)
        prAuc = Metrics.averagePrecision(p, y)
        logLoss = Metrics.logLoss(p, y)
        brier = Metrics.brier(p, y)
        let t10 = Metrics.topFraction(p, y, fraction: 0.1), t20 = Metrics.topFraction(p, y, fraction: 0.2)
        liftAt10 = t10.lift; captureAt10 = t10.capture
        liftAt20 = t20.lift; captureAt20 = t20.capture
        tiers = TierSummary.summarize(probabilities: p, labels: y, thresholds: thresholds)
    }
}

/// One tier's row in the tier table.
public struct TierSummary: Codable, Equatable, Sendable {
    public var name: String
    public var count: Int
    /// Share of all scored leads in this tier.
    public var share: Double
    public var conversions: Int
    public var conversionRate: Double
    /// Share of all conversions that fall in this tier.
    public var captureRate: Double
    /// For model tiers: the mean predicted probability, to hold against `conversionRate`, and
    /// the Wilson 95% interval of the observed rate.
    public var meanPredicted: Double? = nil
    public var conversionLow: Double? = nil
    public var conversionHigh: Double? = nil

    public static func summarize(probabilities p: [Double], labels y: [Double], thresholds: TierThresholds) -> [TierSummary] {
        let tiers = p.map(thresholds.tier)
        return summarize(tiers: tiers, labels: y).map { summary in
            var s = summary
            let members = tiers.indices.filter { tiers[$0].rawValue == s.name }
            if !members.isEmpty {
                s.meanPredicted = members.reduce(0) { $0 + p[$1] } / Double(members.count)
                let interval = Uncertainty.wilson(hits: Double(s.conversions), count: Double(s.count))
                s.conversionLow = interval.low
                s.conversionHigh = interval.high
            }
            return s
        }
    }

    /// The tier table for leads already assigned to tiers.
    public static func summarize(tiers: [Tier], labels y: [Double]) -> [TierSummary] {
        let total = Double(tiers.count), totalConversions = y.reduce(0, +)
        return Tier.allCases.reversed().map { tier in
            var count = 0, conversions = 0.0
            for (t, yi) in zip(tiers, y) where t == tier { count += 1; conversions += yi }
            return TierSummary(name: tier.rawValue, count: count,
                               share: total > 0 ? Double(count) / total : 0,
                               conversions: Int(conversions),
                               conversionRate: count > 0 ? conversions / Double(count) : 0,
                               captureRate: totalConversions > 0 ? conversions / totalConversions : 0)
        }
    }
}
