import Foundation

/// How a column writes its numbers, as CRM and spreadsheet exports do across locales:
/// `129,5` and `1.234,50` (decimal comma), `1,234.50` and `1 234,5` (thousands separators),
/// `$1,200`, `€ 1.200,00`, `1200 USD`, `₪350` (currencies before or after), `45%` (→ 0.45),
/// `(1,200)` and `1200-` (accounting negatives).
///
/// Inference chooses the decimal mark per column from its values (`NumberFormat.Evidence`); the
/// model file stores the format so that every later file is read the way training read it.
/// Only `decimal` changes how a value is read; the other fields describe what training saw
/// (for `leadscore schema` and the model's facts).
public struct NumberFormat: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public enum DecimalMark: String, Codable, Sendable, CaseIterable {
        case point = "."
        case comma = ","
    }

    /// The decimal mark; the other of `.` and `,` may then only separate thousands.
    public var decimal: DecimalMark
    /// The thousands separator seen in training (`,` `.` ` ` `'`), if any.
    public var grouping: String?
    /// The currency symbol or code seen most in training, if any.
    public var currency: String?
    /// Values were written with `%` (read as a fraction: `45%` → 0.45).
    public var percent: Bool
    /// Negatives were written in parentheses or with a trailing minus.
    public var accounting: Bool

    public init(decimal: DecimalMark = .point, grouping: String? = nil, currency: String? = nil,
                percent: Bool = false, accounting: Bool = false) {
        self.decimal = decimal
        self.grouping = grouping
        self.currency = currency
        self.percent = percent
        self.accounting = accounting
    }

    /// Plain decimal numbers (`1234.5`, `-3`, `1e6`).
    public static let plain = NumberFormat()

    /// Field by field, not `self == .plain`: callers ask per column and sometimes per value, and
    /// comparing with the shared value copies its strings.
    public var isPlain: Bool { decimal == .point && grouping == nil && currency == nil && !percent && !accounting }

    /// "decimal comma, thousands '.', currency €"; "plain" for plain numbers.
    public var description: String {
        var parts: [String] = []
        if decimal == .comma { parts.append("decimal comma") }
        if let grouping { parts.append("thousands '\(grouping)'") }
        if let currency { parts.append("currency \(currency)") }
        if percent { parts.append("percent") }
        if accounting { parts.append("accounting negatives") }
        return parts.isEmpty ? "plain" : parts.joined(separator: ", ")
    }

    /// The value of `raw` in this format, or nil when it is not a number written this way.
    public func parse(_ raw: String) -> Double? {
        var raw = raw
        return raw.withUTF8 { parse($0) }
    }

    /// The same on the bytes of a field. Plain numbers take the fast path of `Values`; anything
    /// else goes through the full scanner.
    @inline(__always)
    public func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        if decimal == .point, let x = Values.parseNumber(bytes) { return x }
        guard let scan = NumberScan(bytes) else { return nil }
        return scan.value(decimal: decimal)
    }

    // MARK: - Inference

    /// What a column's values say about its number format, gathered value by value (weighted by
    /// how often each distinct value occurs).
    public struct Evidence: Sendable {
        /// Adds `n` occurrences of a number whose text is canonical (`Column.canonicalNumber`),
        /// as `add` would its text: a whole number reads the same either way; a fraction with
        /// up to three decimals (`1.234`) may be a thousands dot, so its text is weighed;
        /// longer fractions read with a decimal point only.
        mutating func addCanonical(_ v: Double, count n: Int = 1) {
            addCanonical(v, shape: NumberShape(v), count: n)
        }

        /// The same for `n` numbers of the given shape, `v` one of them.
        mutating func addCanonical(_ v: Double, shape: NumberShape, count n: Int) {
            if shape.decimals == 0 {
                point += n; pointIntegers += n; comma += n; commaIntegers += n
                return
            }
            // From 1e12, or beyond three decimals, a dot reads as a decimal point only.
            guard shape.integerDigits < NumberShape.manyDigits, shape.decimals < NumberShape.manyDecimals else {
                point += n; pointOnly += n; return
            }
            // Up to three decimals: whether the dot reads as a thousands separator depends on
            // the text's shape only (sign, digits before the dot, decimals), so the text is
            // weighed once per shape and the outcome repeated.
            let key = shape.index
            if shapes.isEmpty { shapes = [Int8](repeating: -1, count: NumberShape.count) }
            if shapes[key] >= 0 {
                point += n
                if shapes[key] == 1 {
                    comma += n; commaIntegers += n; ambiguous += n
                    groupings[.comma, default: [:]][".", default: 0] += n
                } else {
                    pointOnly += n
                }
                return
            }
            let before = comma
            add(Column.canonicalText(v), count: n)
            shapes[key] = comma > before ? 1 : 0
        }

        /// Every number of a column's tally (`NumberShape.Tally`), as `addCanonical` would
        /// add them one by one.
        mutating func addCanonical(_ tally: NumberShape.Tally) {
            for key in 0..<NumberShape.count where tally.counts[key] > 0 {
                addCanonical(tally.examples[key], shape: NumberShape(index: key), count: tally.counts[key])
            }
        }

        /// `addCanonical`'s outcome per shape (-1 not seen yet, 0 point only, 1 either way),
        /// indexed by `NumberShape.index`.
        private var shapes: [Int8] = []

        /// Values readable with a decimal point / a decimal comma, and the whole numbers among them.
        public private(set) var point = 0, comma = 0
        public private(set) var pointIntegers = 0, commaIntegers = 0
        /// Values readable one way only (`1,5` is comma only; `1,234.5` point only).
        public private(set) var pointOnly = 0, commaOnly = 0
        /// Values with separators that read either way (`1,234`, `1.234`).
        public private(set) var ambiguous = 0
        var currencies: [String: Int] = [:]
        var groupings: [DecimalMark: [String: Int]] = [.point: [:], .comma: [:]]
        var percents = 0, accountings = 0

        public init() {}

        /// Adds `count` occurrences of the (non-missing) value `raw`.
        public mutating func add(_ raw: String, count: Int = 1) {
            var raw = raw
            raw.withUTF8 { add(bytes: $0, count: count) }
        }

        public mutating func add(bytes: UnsafeBufferPointer<UInt8>, count: Int = 1) {
            // Plain numbers (nearly every value of most columns) read the same either way
            // unless they hold a '.' (a decimal point, or a thousands dot in comma columns).
            if let x = Values.parseNumber(bytes) {
                point += count
                if x == x.rounded() { pointIntegers += count }
                if !bytes.contains(0x2E) {
                    comma += count
                    if x == x.rounded() { commaIntegers += count }
                    return
                }
                if let scan = NumberScan(bytes), let y = scan.value(decimal: .comma) {
                    comma += count
                    if y == y.rounded() { commaIntegers += count }
                    ambiguous += count
                    groupings[.comma, default: [:]][".", default: 0] += count
                } else {
                    pointOnly += count
                }
                return
            }
            guard let scan = NumberScan(bytes) else { return }
            let p = scan.value(decimal: .point), c = scan.value(decimal: .comma)
            if let p { point += count; if p == p.rounded() { pointIntegers += count } }
            if let c { comma += count; if c == c.rounded() { commaIntegers += count } }
            switch (p != nil, c != nil) {
            case (true, false): pointOnly += count
            case (false, true): commaOnly += count
            case (true, true): if scan.hasSeparators && p != c { ambiguous += count }
            default: return
            }
            if let currency = scan.currency { currencies[currency, default: 0] += count }
            if scan.percent { percents += count }
            if scan.accounting { accountings += count }
            for mark in DecimalMark.allCases where scan.value(decimal: mark) != nil {
                if let g = scan.grouping(decimal: mark) { groupings[mark, default: [:]][g, default: 0] += count }
            }
        }

        /// Values readable with `mark`, and whole numbers among them.
        public func numbers(_ mark: DecimalMark) -> (numbers: Int, integers: Int) {
            mark == .point ? (point, pointIntegers) : (comma, commaIntegers)
        }

        /// The decimal mark the values favour: the one that reads at least `share` of the
        /// `present` values, and when both do, the one with more values readable only its way;
        /// with no such value either (every separator ambiguous, as in `1,234`), a comma for a
        /// `;`-delimited file and a point otherwise. nil when neither reads enough of them.
        public func decimalMark(present: Int, share: Double, semicolonFile: Bool) -> DecimalMark? {
            let need = share * Double(present)
            let pointOK = Double(point) >= need, commaOK = Double(comma) >= need
            switch (pointOK, commaOK) {
            case (true, false): return .point
            case (false, true): return .comma
            case (false, false): return nil
            case (true, true):
                if commaOnly != pointOnly { return commaOnly > pointOnly ? .comma : .point }
                return ambiguous > 0 && semicolonFile ? .comma : .point
            }
        }

        /// The format of a column read with `mark`.
        public func format(decimal mark: DecimalMark) -> NumberFormat {
            func top(_ counts: [String: Int]) -> String? {
                counts.max { $0.value == $1.value ? $0.key > $1.key : $0.value < $1.value }?.key
            }
            return NumberFormat(decimal: mark, grouping: top(groupings[mark] ?? [:]), currency: top(currencies),
                                percent: percents > 0, accounting: accountings > 0)
        }

        /// Distinct currencies seen, most frequent first.
        public var currencyList: [String] {
            currencies.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map(\.key)
        }
    }
}

/// One value taken apart: sign, currency, percent and the digits with their separators, so that
/// it can be read under either decimal mark.
struct NumberScan {
    /// The number's characters: ASCII digits, `.`, `,`, `'`, ` ` (any space), `e`, `+`, `-` (in an exponent).
    private var core: [UInt8] = []
    var negative = false
    var currency: String?
    var percent = false
    var accounting = false

    /// Longest value considered: beyond this it is not a number anyone typed.
    static let maxLength = 64

    /// Currency symbols and codes recognised before or after a number. Codes are matched
    /// ignoring case; symbols as written.
    static let symbols: [[UInt8]] = ["US$", "R$", "A$", "C$", "NZ$", "HK$", "S$", "$", "€", "£", "¥", "₪", "₹", "₽", "₩", "₺", "₫",
                                     "₴", "₦", "₱", "฿", "₡", "₲", "₵", "₸", "₼", "₾", "zł", "Kč", "kr.", "kr", "Fr.", "Ft",
                                     "ש״ח", "ש\"ח", "lei", "руб.", "руб"].map { Array($0.utf8) }.sorted { $0.count > $1.count }
    static let codes: Set<String> = ["usd", "eur", "gbp", "ils", "nis", "jpy", "cny", "rmb", "inr", "chf", "sek", "nok", "dkk",
                                     "pln", "czk", "huf", "ron", "aud", "cad", "nzd", "brl", "mxn", "zar", "rub", "try", "krw",
                                     "sgd", "hkd", "aed", "sar", "thb", "idr", "myr", "php", "vnd", "uah", "ngn", "egp", "cop",
                                     "clp", "ars", "pen", "isk", "bgn"]

    /// nil when `bytes` cannot be a number in any format.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty, bytes.count <= NumberScan.maxLength * 2, let core = stripAffixes(bytes), scanCore(bytes, core) else {
            return nil
        }
    }

    /// Spaces: ASCII space and tab, no-break space (C2 A0), narrow no-break space (E2 80 AF),
    /// thin space (E2 80 89): the byte length of the one starting at `i`, or 0.
    static func spaceLength(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, end hi: Int) -> Int {
        if i < hi, bytes[i] == 0x20 || bytes[i] == 0x09 { return 1 }
        if i + 1 < hi, bytes[i] == 0xC2, bytes[i + 1] == 0xA0 { return 2 }
        if i + 2 < hi, bytes[i] == 0xE2, bytes[i + 1] == 0x80, bytes[i + 2] == 0xAF || bytes[i + 2] == 0x89 { return 3 }
        return 0
    }

    /// Takes off what surrounds the digits — spaces, accounting parentheses, a sign, a currency
    /// before or after, a percent sign, a trailing minus — noting each; returns where the digits
    /// are, or nil when what surrounds them is not a number's. (Over 80 lines: its small helpers
    /// share the two bounds it moves inwards, `lo` and `hi`.)
    private mutating func stripAffixes(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var lo = 0, hi = bytes.count
        func spaceLength(at i: Int, forward: Bool) -> Int {
            if forward {
                return NumberScan.spaceLength(bytes, at: i, end: hi)
            } else {
                if i > lo, bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09 { return 1 }
                if i - 2 >= lo, bytes[i - 2] == 0xC2, bytes[i - 1] == 0xA0 { return 2 }
                if i - 3 >= lo, bytes[i - 3] == 0xE2, bytes[i - 2] == 0x80, bytes[i - 1] == 0xAF || bytes[i - 1] == 0x89 { return 3 }
            }
            return 0
        }
        func trim() {
            while lo < hi { let n = spaceLength(at: lo, forward: true); if n == 0 { break }; lo += n }
            while hi > lo { let n = spaceLength(at: hi, forward: false); if n == 0 { break }; hi -= n }
        }
        func matches(_ token: [UInt8], at i: Int) -> Bool {
            guard i >= lo, i + token.count <= hi else { return false }
            for k in 0..<token.count where bytes[i + k] != token[k] { return false }
            return true
        }
        /// A currency at the front (forward) or the back: its length, or 0.
        func currencyLength(forward: Bool) -> Int {
            for s in NumberScan.symbols where matches(s, at: forward ? lo : hi - s.count) {
                currency = String(decoding: s, as: UTF8.self)
                return s.count
            }
            // A three-letter code, not glued to a letter.
            let start = forward ? lo : hi - 3
            guard hi - lo >= 4, start >= lo, start + 3 <= hi else { return 0 }
            func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
            guard (0..<3).allSatisfy({ isLetter(bytes[start + $0]) }) else { return 0 }
            let next = forward ? start + 3 : start - 1
            if next >= lo && next < hi && isLetter(bytes[next]) { return 0 }
            let code = String(decoding: (0..<3).map { bytes[start + $0] | 0x20 }, as: UTF8.self)
            guard NumberScan.codes.contains(code) else { return 0 }
            currency = code.uppercased()
            return 3
        }
        func isMinus(at i: Int, forward: Bool) -> Int {
            // ASCII hyphen-minus, or U+2212 MINUS SIGN (E2 88 92).
            if forward {
                if i < hi, bytes[i] == 0x2D { return 1 }
                if i + 2 < hi, bytes[i] == 0xE2, bytes[i + 1] == 0x88, bytes[i + 2] == 0x92 { return 3 }
            } else {
                if i > lo, bytes[i - 1] == 0x2D { return 1 }
                if i - 3 >= lo, bytes[i - 3] == 0xE2, bytes[i - 2] == 0x88, bytes[i - 1] == 0x92 { return 3 }
            }
            return 0
        }
        trim()
        // Accounting parentheses around everything: (1,200), ($1,200), (1.200 €).
        var parenthesized = false
        if hi - lo >= 3, bytes[lo] == 0x28, bytes[hi - 1] == 0x29 {
            negative = true; accounting = true; parenthesized = true
            lo += 1; hi -= 1
            trim()
        }
        var signs = 0
        // Front: sign and currency in either order ("-$5", "$-5", "$ 5").
        for _ in 0..<2 {
            let m = isMinus(at: lo, forward: true)
            if m > 0 { negative.toggle(); signs += 1; lo += m; trim(); continue }
            if lo < hi, bytes[lo] == 0x2B { signs += 1; lo += 1; trim(); continue }
            if currency == nil { let n = currencyLength(forward: true); if n > 0 { lo += n; trim(); continue } }
            break
        }
        // Turkish and some other locales put the percent sign first: %45.
        if lo < hi, bytes[lo] == 0x25 { percent = true; lo += 1; trim() }
        // Back: percent, currency and a trailing minus (SAP's "1200-"), in any order.
        for _ in 0..<3 {
            if hi > lo, bytes[hi - 1] == 0x25, !percent { percent = true; hi -= 1; trim(); continue }
            if currency == nil { let n = currencyLength(forward: false); if n > 0 { hi -= n; trim(); continue } }
            let m = isMinus(at: hi, forward: false)
            if m > 0, signs == 0, !accounting { negative = true; accounting = true; signs += 1; hi -= m; trim(); continue }
            break
        }
        // One sign at most, and none inside accounting parentheses: "(-5)" is no number.
        guard signs <= 1, !(parenthesized && signs > 0), lo < hi, hi - lo <= NumberScan.maxLength else { return nil }
        return lo..<hi
    }

    /// Reads the digits and separators of `range` into `core`; false when something else is there.
    private mutating func scanCore(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        // The core: digits and separators (any space counts as a space).
        var i = range.lowerBound
        let hi = range.upperBound
        var sawDigit = false
        while i < hi {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 { core.append(b); sawDigit = true; i += 1; continue }
            if b == 0x2E || b == 0x2C || b == 0x27 { core.append(b); i += 1; continue }
            // Right single quotation mark (U+2019), used as a Swiss thousands separator.
            if i + 2 < hi, bytes[i] == 0xE2, bytes[i + 1] == 0x80, bytes[i + 2] == 0x99 { core.append(0x27); i += 3; continue }
            let s = NumberScan.spaceLength(bytes, at: i, end: hi)
            if s > 0 { core.append(0x20); i += s; continue }
            if (b == 0x65 || b == 0x45) && sawDigit { core.append(0x65); i += 1; continue }
            if (b == 0x2B || b == 0x2D), let last = core.last, last == 0x65 { core.append(b); i += 1; continue }
            return false
        }
        return sawDigit
    }

    /// Whether the core holds a separator (`.` `,` `'` or a space).
    var hasSeparators: Bool { core.contains { $0 == 0x2E || $0 == 0x2C || $0 == 0x27 || $0 == 0x20 } }

    /// The thousands separator the value uses when read with `decimal`, if any.
    func grouping(decimal: NumberFormat.DecimalMark) -> String? {
        let mark: UInt8 = decimal == .point ? 0x2E : 0x2C
        for b in core where b == 0x2E || b == 0x2C || b == 0x27 || b == 0x20 {
            if b != mark { return String(decoding: [b], as: UTF8.self) }
        }
        return nil
    }

    /// The value read with `decimal` as the decimal mark: the other separators must group the
    /// integer part in threes (`1,234,567`; the first group 1–3 digits), all with one character.
    func value(decimal: NumberFormat.DecimalMark) -> Double? {
        let mark: UInt8 = decimal == .point ? 0x2E : 0x2C
        var integer: [UInt8] = [], fraction: [UInt8] = [], exponent: [UInt8] = []
        var separator: UInt8? = nil
        var groupLength = 0, groups = 0
        var seenMark = false, inExponent = false
        for b in core {
            if inExponent {
                guard (b >= 0x30 && b <= 0x39) || ((b == 0x2B || b == 0x2D) && exponent.isEmpty) else { return nil }
                exponent.append(b)
                continue
            }
            switch b {
            case 0x30...0x39:
                if seenMark { fraction.append(b) } else { integer.append(b); groupLength += 1 }
            case mark:
                guard !seenMark else { return nil }
                seenMark = true
            case 0x65:
                guard !integer.isEmpty || !fraction.isEmpty, separator == nil else { return nil }
                inExponent = true
            default:  // a thousands separator
                guard !seenMark else { return nil }
                if let separator { guard b == separator else { return nil } } else { separator = b }
                // The first group has 1–3 digits, the others exactly 3.
                guard groups == 0 ? (groupLength >= 1 && groupLength <= 3) : groupLength == 3 else { return nil }
                groups += 1
                groupLength = 0
            }
        }
        if groups > 0 { guard groupLength == 3 else { return nil } }
        guard !integer.isEmpty || !fraction.isEmpty else { return nil }
        if inExponent { guard exponent.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) else { return nil } }
        var text: [UInt8] = negative ? [0x2D] : []
        text += integer.isEmpty ? [0x30] : integer
        if !fraction.isEmpty { text.append(0x2E); text += fraction }
        if inExponent { text.append(0x65); text += exponent }
        guard let x = text.withUnsafeBufferPointer({ Values.parseNumber($0) }), x.isFinite else { return nil }
        return percent ? x / 100 : x
    }
}
