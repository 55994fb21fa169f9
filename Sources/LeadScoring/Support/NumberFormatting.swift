/// Numbers and text as leadscore writes them: fixed-point without Foundation's
/// `String(format:)` (which costs microseconds per call and dominated bulk scoring), thousands
/// separators, quoted strings.
public enum NumberFormatting {
    /// `s` as a double-quoted JSON string, which YAML reads as the same text.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// 12,345: thousands separated by commas.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = n < 0 ? "-" : ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    /// `x` with exactly `digits` decimals (half away from zero), e.g. `fixed(0.1391, 4)` =
    /// "0.1391". Non-finite values print as "nan", "inf", "-inf".
    public static func fixed(_ x: Double, _ digits: Int, plusSign: Bool = false) -> String {
        var bytes: [UInt8] = []
        appendFixed(x, digits, plusSign: plusSign, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// As `fixed`, appended to a byte buffer (the bulk-scoring writer's path).
    public static func appendFixed(_ x: Double, _ digits: Int, plusSign: Bool = false, to out: inout [UInt8]) {
        guard x.isFinite else { out.append(contentsOf: (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")).utf8); return }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e15 else { out.append(contentsOf: String(x).utf8); return }
        let units = Int(scaled)
        if x < 0 && units != 0 { out.append(UInt8(ascii: "-")) } else if plusSign { out.append(UInt8(ascii: "+")) }
        appendInteger(units / Int(scale), to: &out)
        if digits > 0 {
            out.append(UInt8(ascii: "."))
            var fraction = units % Int(scale)
            let start = out.count
            for _ in 0..<digits { out.append(0) }
            for k in stride(from: start + digits - 1, through: start, by: -1) {
                out[k] = UInt8(truncatingIfNeeded: 0x30 + fraction % 10)
                fraction /= 10
            }
        }
    }

    /// The shortest decimal text that reads back as exactly `x` (Swift's own rendering;
    /// "nan", "inf", "-inf" for the rest), appended.
    public static func appendShortest(_ x: Double, to out: inout [UInt8]) {
        guard x.isFinite else { out.append(contentsOf: (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")).utf8); return }
        out.append(contentsOf: x.description.utf8)
    }

    /// Decimal digits of a non-negative integer, appended.
    public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")); appendInteger(-value, to: &out); return }
        if value < 10 { out.append(UInt8(truncatingIfNeeded: 0x30 + value)); return }
        appendInteger(value / 10, to: &out)
        out.append(UInt8(truncatingIfNeeded: 0x30 + value % 10))
    }
}
