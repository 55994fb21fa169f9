import Foundation

/// Parsing of the scalar values found in CRM exports.
public enum Values {

    /// A plain decimal number: optional sign, digits, optional fraction and exponent.
    /// Rejects `nan`, `inf`, overflow (`1e400`), hexadecimal and thousands separators, which
    /// `Double(_:)` would partly accept. Numbers as CRM exports write them (`1.234,50`, `$1,200`,
    /// `45%`) are `NumberFormat`'s.
    @inline(__always)
    public static func number(_ raw: String) -> Double? {
        var raw = raw
        return raw.withUTF8 { parseNumber($0) }
    }

    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// Decimal text → Double. Plain numbers with at most 15 significant digits and a small
    /// exponent are computed exactly as `m × 10^e` or `m ÷ 10^e` (both exact when m < 2⁵³ and
    /// |e| ≤ 22: Clinger's fast path); anything else goes to `strtod` through `Double(_:)`.
    @inline(__always)
    static func parseNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0, end = bytes.count
        while i < end && bytes[i] == 0x20 { i += 1 }
        while end > i && bytes[end - 1] == 0x20 { end -= 1 }
        guard i < end else { return nil }
        let start = i
        var negative = false
        if bytes[i] == 0x2D || bytes[i] == 0x2B { negative = bytes[i] == 0x2D; i += 1 }
        var mantissa: UInt64 = 0, digits = 0, scale = 0, sawDigit = false, sawDot = false
        while i < end {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 {
                sawDigit = true
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(b - 0x30); if mantissa > 0 { digits += 1 } } else { digits += 1 }
                if sawDot { scale -= 1 }
            } else if b == 0x2E && !sawDot {
                sawDot = true
            } else { break }
            i += 1
        }
        guard sawDigit else { return nil }
        if i == end && digits <= 15 && -scale <= 22 {
            let m = Double(mantissa)
            let v = scale == 0 ? m : m / powersOfTen[-scale]
            return negative ? -v : v
        }
        // Exponents, long mantissas and anything unusual: validate the characters, then strtod.
        for k in start..<end {
            let b = bytes[k]
            if !((b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2B || b == 0x2E || b == 0x65 || b == 0x45) { return nil }
        }
        // Overflow to ±∞ (`1e400`) is not a number a CRM field holds: it would poison every sum.
        guard let x = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)), x.isFinite else {
            return nil
        }
        return x
    }

    static let trueTokens: Set<String> = ["yes", "true", "y", "1", "t"]
    static let falseTokens: Set<String> = ["no", "false", "n", "0", "f"]
    /// The pairs that make a two-valued column boolean.
    static let booleanPairs: [(String, String)] = [("yes", "no"), ("true", "false"), ("y", "n"), ("1", "0"), ("t", "f")]

    /// true / false for the usual spellings (yes/no, true/false, y/n, 1/0, t/f), else nil.
    public static func boolean(_ raw: String) -> Bool? {
        let s = lowercasedTrimmed(raw)
        if trueTokens.contains(s) { return true }
        if falseTokens.contains(s) { return false }
        if let d = number(s) { return d == 1 ? true : d == 0 ? false : nil }
        return nil
    }

    /// `raw` without leading and trailing spaces and tabs; `raw` itself (no copy) when it has none.
    @inline(__always)
    public static func trim(_ raw: String) -> String {
        let u = raw.utf8
        guard let f = u.first, let l = u.last else { return raw }
        if f != 0x20 && f != 0x09 && l != 0x20 && l != 0x09 { return raw }
        return String(Substring(raw).drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// Trimmed and lowercased; ASCII is lowercased byte-wise without Foundation.
    @inline(__always)
    public static func lowercasedTrimmed(_ raw: String) -> String {
        let t = trim(raw)
        var ascii = true
        var upper = false
        for b in t.utf8 {
            if b >= 0x80 { ascii = false; break }
            if b >= 0x41 && b <= 0x5A { upper = true }
        }
        if !ascii { return t.lowercased() }
        if !upper { return t }
        return String(decoding: t.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
