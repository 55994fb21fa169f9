import Foundation

/// The tokens that mean "no value" in CRM exports. Matching ignores case and surrounding spaces.
///
/// `Select` is the placeholder of unanswered web-form drop-downs; `-` is what several CRMs print
/// for an empty field.
public struct MissingTokens: Codable, Equatable, Sendable {
    public static let defaults = ["", "NA", "N/A", "null", "none", "Select", "-"]
    public var tokens: [String]
    private var lowered: Set<String>
    private var longest: Int

    public init(_ tokens: [String] = MissingTokens.defaults) {
        self.tokens = tokens
        self.lowered = Set(tokens.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        self.lowered.insert("")
        self.longest = lowered.map { $0.utf8.count }.max() ?? 0
    }

    public init(from decoder: Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String].self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(tokens)
    }

    @inline(__always)
    public func isMissing(_ raw: String) -> Bool {
        if raw.isEmpty { return true }
        if raw.utf8.count > longest + 8 { return false }  // cannot be a token, even padded
        return lowered.contains(raw.trimmingCharacters(in: .whitespaces).lowercased())
    }
}

/// Parsing of the scalar values found in CRM exports.
public enum Values {

    /// A plain decimal number: optional sign, digits, optional fraction and exponent.
    /// Rejects `nan`, `inf`, hexadecimal and thousands separators, which `Double(_:)` would
    /// partly accept.
    @inline(__always)
    public static func number(_ raw: String) -> Double? {
        var s = Substring(raw)
        while let f = s.first, f == " " { s = s.dropFirst() }
        while let l = s.last, l == " " { s = s.dropLast() }
        guard let first = s.utf8.first else { return nil }
        let ok = (first >= 48 && first <= 57) || first == 45 || first == 43 || first == 46
        guard ok else { return nil }
        for b in s.utf8 where !((b >= 48 && b <= 57) || b == 45 || b == 43 || b == 46 || b == 101 || b == 69) {
            return nil
        }
        return Double(s)
    }

    static let trueTokens: Set<String> = ["yes", "true", "y", "1", "t"]
    static let falseTokens: Set<String> = ["no", "false", "n", "0", "f"]
    /// The pairs that make a two-valued column boolean.
    static let booleanPairs: [(String, String)] = [("yes", "no"), ("true", "false"), ("y", "n"), ("1", "0"), ("t", "f")]

    /// true / false for the usual spellings (yes/no, true/false, y/n, 1/0, t/f), else nil.
    public static func boolean(_ raw: String) -> Bool? {
        let s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if trueTokens.contains(s) { return true }
        if falseTokens.contains(s) { return false }
        if let d = number(s) { return d == 1 ? true : d == 0 ? false : nil }
        return nil
    }
}
