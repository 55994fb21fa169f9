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
}
