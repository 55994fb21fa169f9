import Foundation

/// Durations as people write them in options and configuration files: `90d`, `12h`, `30m`,
/// `45s` (and `250ms`); a bare number is seconds.
public enum Durations {
    /// Seconds in `text`, or nil when it is not a positive, finite duration.
    public static func seconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, factor) in [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86_400.0)] where t.hasSuffix(suffix) {
            if let x = Double(t.dropLast(suffix.count)), x > 0, x.isFinite { return x * factor }
            return nil
        }
        if let x = Double(t), x > 0, x.isFinite { return x }
        return nil
    }

    /// "90d", "12h", "30m" or "45s": the largest unit that writes `seconds` exactly.
    public static func text(_ seconds: Double) -> String {
        for (suffix, factor) in [("d", 86_400.0), ("h", 3600.0), ("m", 60.0)] {
            let n = seconds / factor
            if n >= 1, n == n.rounded() { return "\(Int(n))\(suffix)" }
        }
        return formatPoints(seconds) + "s"
    }
}
