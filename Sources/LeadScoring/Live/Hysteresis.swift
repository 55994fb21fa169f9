/// Keeps a lead sitting on a tier threshold from flapping: its tier moves up only when the
/// probability clears the higher tier's threshold by `margin`, and down only when it falls
/// below its tier's threshold by `margin` (`hysteresis:` in service.yaml).
public enum Hysteresis {
    public static func tier(previous: Tier, proposed: Tier, probability p: Double, thresholds t: TierThresholds, margin h: Double) -> Tier {
        guard h > 0, proposed != previous else { return proposed }
        func floor(_ tier: Tier) -> Double { tier == .sql ? t.sql : t.mql }
        if proposed > previous {
            var reached = previous
            for tier in [Tier.mql, .sql] where tier > previous && tier <= proposed && p >= floor(tier) + h { reached = tier }
            return reached
        }
        var current = previous
        while current > proposed && p < floor(current) - h {
            current = current == .sql ? .mql : .cold
        }
        return current
    }

    /// `score` with its tier settled against the lead's stored tier `previous`: with
    /// `tier_from: model` the model's tier moves only past the margin; with `higher` the model's
    /// part is settled so and the rules' tier still lifts the lead at once; with `rules` (points
    /// thresholds, not probabilities) nothing is settled.
    public static func settled(_ score: LiveScore, previous: Tier, thresholds: TierThresholds, margin: Double,
                               tierFrom: ServiceConfiguration.TierSource) -> LiveScore {
        guard margin > 0, tierFrom != .rules else { return score }
        var settled = score
        let model = tier(previous: previous, proposed: score.modelTier, probability: score.probability, thresholds: thresholds, margin: margin)
        settled.tier = tierFrom == .higher ? max(model, score.rulesTier ?? model) : model
        return settled
    }
}
