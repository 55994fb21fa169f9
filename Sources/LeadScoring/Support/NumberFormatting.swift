/// Fixed-point formatting without Foundation's `String(format:)`, which costs microseconds per
/// call and dominated bulk scoring.
public enum NumberFormatting {
    /// `x` with exactly `digits` decimals (half away from zero), e.g. `fixed(0.1391, 4)` =
    /// "0.1391". Non-finite values print as "nan", "inf", "-inf".
    public static func fixed(_ x: Double, _ digits: Int, plusSign: Bool = false) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e15 else { return String(x) }
        let units = Int(scaled)
        let negative = x < 0 && units != 0
        var out = negative ? "-" : (plusSign ? "+" : "")
        let whole = units / Int(scale)
        out += String(whole)
        if digits > 0 {
            let fraction = String(units % Int(scale))
            out += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return out
    }
}
