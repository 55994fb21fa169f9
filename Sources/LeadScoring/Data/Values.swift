import Foundation

/// The tokens that mean "no value" in CRM exports. Matching ignores case and surrounding spaces.
///
/// `Select` is the placeholder of unanswered web-form drop-downs; `-` is what several CRMs print
/// for an empty field; `#N/A`, `#VALUE!`, `#DIV/0!`, `#REF!`, `#NULL!`, `#NAME?` and `#NUM!` are
/// the error values Excel writes into an exported cell whose formula failed.
public struct MissingTokens: Codable, Equatable, Sendable {
    public static let defaults = ["", "NA", "N/A", "null", "none", "Select", "-"] + excelErrors
    public static let excelErrors = ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NULL!", "#NAME?", "#NUM!"]
    public var tokens: [String]
    /// Trimmed, lowercased tokens: matched byte-wise (this runs once per cell, on two threads
    /// at once: the ASCII path reads two flat arrays, so it touches no reference counts per
    /// token).
    private var lowered: Set<String>
    /// The tokens' bytes back to back; token t is `flat[starts[t] ..< starts[t + 1]]`.
    private var flat: [UInt8]
    private var starts: [Int]
    private var longest: Int

    public init(_ tokens: [String] = MissingTokens.defaults) {
        self.tokens = tokens
        var lowered = Set(tokens.map { Values.trim($0).lowercased() })
        lowered.insert("")
        self.lowered = lowered
        var flat: [UInt8] = [], starts = [0]
        for token in lowered.sorted() { flat += token.utf8; starts.append(flat.count) }
        self.flat = flat
        self.starts = starts
        self.longest = lowered.map { $0.utf8.count }.max() ?? 0
    }

    public init(from decoder: Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String].self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(tokens)
    }

    public static func == (a: MissingTokens, b: MissingTokens) -> Bool { a.tokens == b.tokens }

    @inline(__always)
    public func isMissing(_ raw: String) -> Bool {
        if raw.isEmpty { return true }
        var raw = raw
        return raw.withUTF8 { isMissing($0) }
    }

    /// The same test on the raw bytes of a field (no string made unless the value is
    /// non-ASCII and could match a token only after Unicode lowercasing).
    @inline(__always)
    public func isMissing(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var lo = 0, hi = bytes.count
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
        let n = hi - lo
        if n == 0 { return true }
        // Non-ASCII letters need Unicode lowercasing, which can shrink a letter's bytes
        // (the Kelvin sign's 3 to k's 1), never by more than that.
        if (lo..<hi).contains(where: { bytes[$0] >= 0x80 }) {
            guard n <= 3 * longest else { return false }
            return lowered.contains(Values.lowercasedTrimmed(String(decoding: bytes, as: UTF8.self)))
        }
        if n > longest { return false }
        // Byte-wise, ASCII case-insensitive comparison with each token: no hashing, no copies.
        return flat.withUnsafeBufferPointer { tokens in
            starts.withUnsafeBufferPointer { starts in
                for t in 0..<(starts.count - 1) where starts[t + 1] - starts[t] == n {
                    var equal = true
                    for k in 0..<n {
                        let b = bytes[lo + k]
                        if (b >= 0x41 && b <= 0x5A ? b + 32 : b) != tokens[starts[t] + k] { equal = false; break }
                    }
                    if equal { return true }
                }
                return false
            }
        }
    }
}

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
