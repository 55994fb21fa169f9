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
    /// The tokens written as canonical numbers (`-1`, `0`), as the bit patterns of their
    /// values: a typed number column holds such a cell as a number, which counts as missing.
    private(set) var numbers: Set<UInt64>

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
        self.numbers = Set(tokens.compactMap { Column.canonicalNumber(Values.trim($0))?.bitPattern })
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
