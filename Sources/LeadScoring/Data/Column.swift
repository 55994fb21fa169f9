import Foundation

/// One column of a table, stored typed: numbers as `Double`s, other text as codes into a
/// dictionary of its distinct values. It is still a collection of the cells' texts:
/// `column[r]` is exactly what the file held, so code that reads text keeps working, while the
/// hot paths (schema inference, encoding, the leakage check, profiles) read the numbers and
/// codes directly, and a transform of the text runs once per distinct value.
public struct Column: RandomAccessCollection, Sendable {
    public enum Storage: Sendable {
        /// `values[r]` is the cell's number when its text is the number's canonical writing
        /// (`Column.canonicalNumber`); NaN otherwise, the text then being that of the
        /// exception at row r (`exceptionRows` ascending, `exceptionCodes` into
        /// `exceptionTexts`), or empty when row r is not an exception.
        case numbers(NumberCells)
        /// `texts[codes[r]]` is row r's text.
        case dictionary(codes: Cells<UInt32>, texts: [String])
    }

    public struct NumberCells: Sendable {
        public var values: Cells<Double>
        public var exceptionRows: [Int32]
        public var exceptionCodes: [UInt32]
        public var exceptionTexts: [String]
        /// The shapes of the numbers in `values` (for schema inference), when the reader
        /// tallied them; nil for cells made otherwise (a subset).
        var shapes: NumberShape.Tally? = nil

        /// The exception's text at row r, if r is one.
        func exception(_ r: Int) -> String? {
            var lo = 0, hi = exceptionRows.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if Int(exceptionRows[mid]) < r { lo = mid + 1 } else { hi = mid }
            }
            return lo < exceptionRows.count && Int(exceptionRows[lo]) == r ? exceptionTexts[Int(exceptionCodes[lo])] : nil
        }
    }

    public let storage: Storage

    /// `Column.numbers(rows:format:missing:)`'s result.
    public struct ParsedNumbers: Sendable {
        /// NaN: missing or unreadable.
        public var values: [Double]
        public var missing = 0
        public var unreadable = 0
        /// The first unreadable value's row (in the table) and text.
        public var firstUnreadable: (row: Int, text: String)?
    }

    public init(storage: Storage) { self.storage = storage }

    /// A column of the given texts, stored as reading a file would store them.
    public init<S: Sequence>(texts: S) where S.Element == String {
        let builder = ColumnBuilder()
        for var t in texts { t.withUTF8 { builder.append($0.baseAddress, $0.count) } }
        self = builder.column()
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case let .numbers(n): return n.values.count
        case let .dictionary(codes, _): return codes.count
        }
    }

    public subscript(r: Int) -> String {
        switch storage {
        case let .numbers(n):
            let v = n.values[r]
            if !v.isNaN { return Column.canonicalText(v) }
            return n.exception(r) ?? ""
        case let .dictionary(codes, texts):
            return texts[Int(codes[r])]
        }
    }

    /// The numbers of a number column (NaN where the text is not a canonical number), else nil.
    public var numbers: NumberCells? {
        if case let .numbers(n) = storage { return n }
        return nil
    }

    /// `transform` of each of `rows`' texts (every row when nil), computed once per distinct
    /// text of a dictionary column and once per distinct number (up to a few thousand) of a
    /// number column.
    public func mapTexts<T>(rows: [Int]? = nil, _ transform: (String) throws -> T) rethrows -> [T] {
        let n = rows?.count ?? count
        var out: [T] = []
        out.reserveCapacity(n)
        switch storage {
        case let .dictionary(codes, texts):
            var memo = [T?](repeating: nil, count: texts.count)
            for i in 0..<n {
                let code = Int(codes[rows?[i] ?? i])
                if let t = memo[code] { out.append(t); continue }
                let t = try transform(texts[code])
                memo[code] = t
                out.append(t)
            }
        case let .numbers(cells):
            var memo: [UInt64: T] = [:]
            for i in 0..<n {
                let r = rows?[i] ?? i
                let v = cells.values[r]
                if v.isNaN { out.append(try transform(cells.exception(r) ?? "")); continue }
                if let t = memo[v.bitPattern] { out.append(t); continue }
                let t = try transform(Column.canonicalText(v))
                if memo.count < 4096 { memo[v.bitPattern] = t }
                out.append(t)
            }
        }
        return out
    }

    /// Each of `rows`' numbers (every row when nil) as `format` reads its text, NaN where the
    /// text is a missing token or unreadable; canonical numbers of a plain column are taken as
    /// stored, a dictionary column's texts are read once each.
    public func numbers(rows: [Int]? = nil, format: NumberFormat, missing: MissingTokens) -> ParsedNumbers {
        let n = rows?.count ?? count
        var out = ParsedNumbers(values: [Double](repeating: .nan, count: n))
        func text(_ i: Int, _ r: Int, _ raw: String) {
            if missing.isMissing(raw) { out.missing += 1; return }
            if let v = format.parse(raw) { out.values[i] = v; return }
            out.unreadable += 1
            if out.firstUnreadable == nil { out.firstUnreadable = (r, raw) }
        }
        switch storage {
        case let .numbers(cells) where format.isPlain:
            let missingNumbers = missing.numbers
            for i in 0..<n {
                let r = rows?[i] ?? i
                let v = cells.values[r]
                if !v.isNaN {
                    if missingNumbers.isEmpty || !missingNumbers.contains(v.bitPattern) { out.values[i] = v } else { out.missing += 1 }
                } else {
                    text(i, r, cells.exception(r) ?? "")
                }
            }
        case let .dictionary(codes, texts):
            // Per code: 0 = unseen, 1 = number, 2 = missing, 3 = unreadable.
            var state = [UInt8](repeating: 0, count: texts.count), value = [Double](repeating: .nan, count: texts.count)
            for i in 0..<n {
                let r = rows?[i] ?? i
                let code = Int(codes[r])
                if state[code] == 0 {
                    let raw = texts[code]
                    if missing.isMissing(raw) { state[code] = 2 }
                    else if let v = format.parse(raw) { state[code] = 1; value[code] = v }
                    else { state[code] = 3 }
                }
                switch state[code] {
                case 1: out.values[i] = value[code]
                case 2: out.missing += 1
                default:
                    out.unreadable += 1
                    if out.firstUnreadable == nil { out.firstUnreadable = (r, texts[code]) }
                }
            }
        default:
            for i in 0..<n { let r = rows?[i] ?? i; text(i, r, self[r]) }
        }
        return out
    }

    /// How often each key of `rows`' texts occurs (`key` nil: not counted), the key computed
    /// once per distinct text of a dictionary column.
    public func counts(rows: [Int]? = nil, key: (String) -> String?) -> [String: Int] {
        var out: [String: Int] = [:]
        if case let .dictionary(codes, texts) = storage {
            var perCode = [Int](repeating: 0, count: texts.count)
            if let rows { for r in rows { perCode[Int(codes[r])] += 1 } } else { for c in codes { perCode[Int(c)] += 1 } }
            for (code, n) in perCode.enumerated() where n > 0 {
                if let k = key(texts[code]) { out[k, default: 0] += n }
            }
            return out
        }
        for k in mapTexts(rows: rows, key) { if let k { out[k, default: 0] += 1 } }
        return out
    }

    /// `transform` of every cell's text, in row order: `mapTexts`, so computed once per
    /// distinct value (`transform` must depend on the text only).
    public func map<T>(_ transform: (String) throws -> T) rethrows -> [T] { try mapTexts(transform) }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Column {
        switch storage {
        case let .dictionary(codes, texts):
            return Column(storage: .dictionary(codes: Cells(indices.lazy.map { codes[$0] }), texts: texts))
        case let .numbers(cells):
            var out = NumberCells(values: Cells(indices.lazy.map { cells.values[$0] }), exceptionRows: [], exceptionCodes: [], exceptionTexts: cells.exceptionTexts)
            if !cells.exceptionRows.isEmpty {
                for (i, r) in indices.enumerated() where cells.values[r].isNaN {
                    var lo = 0, hi = cells.exceptionRows.count
                    while lo < hi { let mid = (lo + hi) / 2; if Int(cells.exceptionRows[mid]) < r { lo = mid + 1 } else { hi = mid } }
                    if lo < cells.exceptionRows.count && Int(cells.exceptionRows[lo]) == r {
                        out.exceptionRows.append(Int32(i)); out.exceptionCodes.append(cells.exceptionCodes[lo])
                    }
                }
                // Rows came out of order: keep the exceptions sorted by row.
                let order = out.exceptionRows.indices.sorted { out.exceptionRows[$0] < out.exceptionRows[$1] }
                out.exceptionRows = order.map { out.exceptionRows[$0] }
                out.exceptionCodes = order.map { out.exceptionCodes[$0] }
            }
            return Column(storage: .numbers(out))
        }
    }

    /// This column followed by `other`'s rows.
    public func appending(_ other: Column) -> Column {
        let builder = ColumnBuilder()
        builder.absorb(self)
        builder.absorb(other)
        return builder.column()
    }

    // MARK: Canonical numbers

    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// The number a cell's bytes write canonically, else nil: an optional `-`, an integer part
    /// without leading zeros, and an optional fraction that does not end in 0, with at most 15
    /// significant digits and 22 decimals, not `-0`. Such text and its number determine each
    /// other (`canonicalText` gives the text back), and the number is exact: m ÷ 10^k with
    /// m < 2⁵³ and k ≤ 22 is one correctly rounded division.
    @inline(__always)
    public static func canonicalNumber(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var shape = 0
        return canonicalNumber(p, n, shape: &shape)
    }

    /// The same, with the number's `NumberShape.index` in `shape`.
    @inline(__always)
    static func canonicalNumber(_ p: UnsafePointer<UInt8>, _ n: Int, shape: inout Int) -> Double? {
        guard n > 0 else { return nil }
        var i = 0
        let negative = p[0] == 0x2D
        if negative { i = 1; if n == 1 { return nil } }
        var mantissa: UInt64 = 0, significant = 0, decimals = 0
        let first = p[i] &- 0x30
        guard first < 10 else { return nil }
        if first == 0 {
            i += 1
            if i < n && p[i] &- 0x30 < 10 { return nil }
        } else {
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d); significant += 1; i += 1
            }
        }
        let integerDigits = significant
        if i < n {
            guard p[i] == 0x2E, i + 1 < n, p[n - 1] != 0x30 else { return nil }
            i += 1
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { return nil }
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { significant += 1 }
                decimals += 1; i += 1
            }
        }
        guard significant <= 15, decimals <= 22 else { return nil }
        if mantissa == 0 && negative { return nil }
        shape = NumberShape(negative: negative, decimals: decimals, integerDigits: integerDigits).index
        let m = Double(mantissa)
        let v = decimals == 0 ? m : m / powersOfTen[decimals]
        return negative ? -v : v
    }

    public static func canonicalNumber(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { b in b.baseAddress.flatMap { canonicalNumber($0, b.count) } }
    }

    /// The text of `v` when it is m ÷ 10^k for a whole m < 10^15 and k ≤ 22 (every number
    /// `canonicalNumber` reads), else nil: the digits of m with k decimals, found without
    /// the general shortest-digits algorithm. A decimal of at most 15 significant digits is
    /// the only one of them that reads as its double, so the smallest such k gives the text
    /// `v.description` would (the check divides back, as reading the text would).
    static func shortDecimalText(_ v: Double) -> String? {
        let a = abs(v)
        guard a < 1e15, v != 0 || v.sign == .plus else { return nil }
        var k = 0, m = 0.0
        while true {
            let scaled = a * powersOfTen[k]
            guard scaled < 1e15 else { return nil }
            m = scaled.rounded()
            if m / powersOfTen[k] == a { break }
            k += 1
            if k > 22 { return nil }
        }
        var digits = UInt64(m)
        let negative = v < 0
        return String(unsafeUninitializedCapacity: 48) { out in
            // Written backwards from the end of a 48-byte window, then moved to the front.
            var i = 48
            var written = 0
            repeat {
                i -= 1; out[i] = UInt8(0x30 + digits % 10); digits /= 10; written += 1
                if written == k { i -= 1; out[i] = 0x2E; if digits == 0 { i -= 1; out[i] = 0x30 } }
            } while digits > 0 || written < k
            if negative { i -= 1; out[i] = 0x2D }
            let n = 48 - i
            for j in 0..<n { out[j] = out[i + j] }
            return n
        }
    }

    /// The canonical text of a number read by `canonicalNumber` (plain decimals, never an
    /// exponent): Swift's shortest round-trip digits, which for at most 15 significant digits
    /// are the digits the text had.
    public static func canonicalText(_ v: Double) -> String {
        shortDecimalText(v) ?? plainDescription(v)
    }

    /// Swift's shortest round-trip digits of `v`, written without an exponent.
    static func plainDescription(_ v: Double) -> String {
        var s = v.description
        guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            if s.hasSuffix(".0") { s.removeLast(2) }
            return s
        }
        let exponent = Int(s[s.index(after: e)...])!
        var mantissa = String(s[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        // The value is 0.d₁d₂… × 10^(exponent + 1).
        let point = exponent + 1
        var out: String
        if point <= 0 {
            out = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            out = digits + String(repeating: "0", count: point - digits.count)
        } else {
            let k = digits.index(digits.startIndex, offsetBy: point)
            out = digits[..<k] + "." + digits[k...]
        }
        return negative ? "-" + out : out
    }
}

/// Builds a column from cell texts given one at a time as bytes: numbers while the cells are
/// mostly numbers, a dictionary otherwise (text with hardly a number in it switches at once;
/// otherwise the choice is made at the end). The reader's threads each fill their own
/// builders; `absorb` joins them. The state lives in plain memory (`State`), so the reader's
/// inner loop appends through a pointer without Swift's dynamic exclusivity checks.
final class ColumnBuilder {
    struct State {
        var isNumbers = true
        var count = 0
        var values = Growable<Double>()
        var exceptionRows = Growable<Int32>()
        var exceptionCodes = Growable<UInt32>()
        var codes = Growable<UInt32>()
        /// Exception texts (number mode) or every text (dictionary mode).
        var dictionary = ByteDictionary()
        /// The shapes of `values`' numbers (`NumberShape.Tally`, in plain memory); `tallied`
        /// false once cells without their shapes were absorbed.
        var shapeCounts = UnsafeMutablePointer<Int>.allocate(capacity: NumberShape.count)
        var shapeExamples = UnsafeMutablePointer<Double>.allocate(capacity: NumberShape.count)
        var tallied = true
        /// Rows the column is expected to reach (0: unknown).
        var expectedRows = 0

        init() {
            shapeCounts.initialize(repeating: 0, count: NumberShape.count)
            shapeExamples.initialize(repeating: 0, count: NumberShape.count)
        }

        /// Appends `rows` cells the parser read: each its number (NaN: not read as one) and
        /// shape, its start and length.
        mutating func append(numbers: UnsafePointer<Double>, shapes: UnsafePointer<UInt8>, starts: UnsafePointer<UnsafePointer<UInt8>?>,
                             lengths: UnsafePointer<Int32>, rows: Int) {
            for r in 0..<rows {
                let v = numbers[r]
                if v.isNaN { append(starts[r], Int(lengths[r])) } else { append(starts[r]!, Int(lengths[r]), number: v, shape: Int(shapes[r])) }
            }
        }

        /// Appends a cell the parser read as a canonical number `v` of shape `shape` (its
        /// text is `p`, `n` bytes).
        @inline(__always)
        mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int, number v: Double, shape: Int) {
            guard isNumbers else { return append(p, n) }
            values.append(v)
            if shapeCounts[shape] == 0 { shapeExamples[shape] = v }
            shapeCounts[shape] += 1
            count += 1
        }

        @inline(__always)
        mutating func append(_ p: UnsafePointer<UInt8>?, _ n: Int) {
            if isNumbers {
                var shape = 0
                if n == 0 {
                    values.append(.nan)
                } else if let v = Column.canonicalNumber(p!, n, shape: &shape) {
                    values.append(v)
                    if shapeCounts[shape] == 0 { shapeExamples[shape] = v }
                    shapeCounts[shape] += 1
                } else {
                    values.append(.nan)
                    exceptionRows.append(Int32(truncatingIfNeeded: count))
                    exceptionCodes.append(dictionary.code(p!, n))
                    // Text with hardly a number among it (labels, yes/no) becomes a dictionary at
                    // once; a number column whose first rows are missing tokens stays numbers.
                    if exceptionRows.count >= 256 && dictionary.count >= 2 && 16 * (count + 1 - exceptionRows.count) < exceptionRows.count {
                        switchToDictionary()
                    }
                }
            } else {
                codes.append(dictionary.code(p ?? ByteDictionary.empty, n))
            }
            count += 1
        }

        /// Turns the number cells so far into dictionary codes.
        mutating func switchToDictionary() {
            guard isNumbers else { return }
            let exceptionTexts = (0..<dictionary.count).map { dictionary.bytes(UInt32($0)) }
            dictionary.free()
            dictionary = ByteDictionary()
            codes.reserve(max(count * 2, expectedRows, 1024))
            var e = 0
            for r in 0..<values.count {
                let v = values[r]
                var text: [UInt8]
                if !v.isNaN {
                    text = Array(Column.canonicalText(v).utf8)
                } else if e < exceptionRows.count && Int(exceptionRows[e]) == r {
                    text = exceptionTexts[Int(exceptionCodes[e])]; e += 1
                } else {
                    text = []
                }
                let code = text.withUnsafeBufferPointer { dictionary.code($0.baseAddress ?? ByteDictionary.empty, $0.count) }
                codes.append(code)
            }
            values.free(); exceptionRows.free(); exceptionCodes.free()
            isNumbers = false
        }

        mutating func free() {
            values.free(); exceptionRows.free(); exceptionCodes.free(); codes.free(); dictionary.free()
            shapeCounts.deallocate(); shapeExamples.deallocate()
        }

        /// The shape tally, when every number's shape is in it.
        var tally: NumberShape.Tally? {
            guard isNumbers && tallied else { return nil }
            return NumberShape.Tally(counts: Array(UnsafeBufferPointer(start: shapeCounts, count: NumberShape.count)),
                                     examples: Array(UnsafeBufferPointer(start: shapeExamples, count: NumberShape.count)))
        }

        /// Adds a tally of absorbed cells (nil: their shapes are unknown).
        mutating func add(_ tally: NumberShape.Tally?) {
            guard let tally else { tallied = false; return }
            for k in 0..<NumberShape.count where tally.counts[k] > 0 {
                if shapeCounts[k] == 0 { shapeExamples[k] = tally.examples[k] }
                shapeCounts[k] += tally.counts[k]
            }
        }
    }

    let state: UnsafeMutablePointer<State>

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    deinit {
        state.pointee.free()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    @inline(__always)
    func append(_ p: UnsafePointer<UInt8>?, _ n: Int) { state.pointee.append(p, n) }

    /// Room for `rows` numbers before the column grows (address space only: pages are
    /// touched as cells arrive), so a column read whole is not copied as it doubles; the
    /// same for its codes should it become a dictionary.
    func reserve(rows: Int) {
        if state.pointee.isNumbers { state.pointee.values.reserve(rows) }
        state.pointee.expectedRows = rows
    }

    /// Numbers go into `capacity` values at `base`, memory the builder does not own (until it
    /// needs more); codes, should the column become a dictionary, get room for `rows`.
    func window(_ base: UnsafeMutablePointer<Double>, capacity: Int, rows: Int) {
        state.pointee.values.window(base, capacity: capacity)
        state.pointee.expectedRows = rows
    }

    /// Appends every row of `other` (a builder of a later part of the file). When this
    /// builder's numbers fill a window at the start of `region` (`capacity` values) and
    /// `other`'s a later window of it, `other`'s numbers are moved down after this one's and
    /// the builder takes the region over: true then (the caller must not release it).
    @discardableResult
    func absorb(_ other: ColumnBuilder, region: UnsafeMutablePointer<Double>? = nil, capacity: Int = 0) -> Bool {
        let a = state, b = other.state
        var adopted = false
        if a.pointee.isNumbers && b.pointee.isNumbers {
            let offset = a.pointee.count
            let remap = (0..<b.pointee.dictionary.count).map { code in
                b.pointee.dictionary.bytes(UInt32(code)).withUnsafeBufferPointer { a.pointee.dictionary.code($0.baseAddress ?? ByteDictionary.empty, $0.count) }
            }
            if let region, a.pointee.values.base == region, !a.pointee.values.owned,
               let later = b.pointee.values.base, !b.pointee.values.owned, later >= region + a.pointee.values.count {
                let (n, m) = (a.pointee.values.count, b.pointee.values.count)
                (region + n).moveInitialize(from: later, count: m)
                a.pointee.values.adopt(region, count: n + m, capacity: capacity)
                adopted = true
            } else {
                a.pointee.values.append(contentsOf: b.pointee.values)
            }
            a.pointee.add(b.pointee.tally)
            for k in 0..<b.pointee.exceptionRows.count {
                a.pointee.exceptionRows.append(Int32(truncatingIfNeeded: Int(b.pointee.exceptionRows[k]) + offset))
                a.pointee.exceptionCodes.append(remap[Int(b.pointee.exceptionCodes[k])])
            }
            a.pointee.count += b.pointee.count
            b.pointee.free()
            b.pointee = State()
            return adopted
        }
        a.pointee.switchToDictionary()
        b.pointee.switchToDictionary()
        let remap = (0..<b.pointee.dictionary.count).map { code in
            b.pointee.dictionary.bytes(UInt32(code)).withUnsafeBufferPointer { a.pointee.dictionary.code($0.baseAddress ?? ByteDictionary.empty, $0.count) }
        }
        a.pointee.codes.reserve(a.pointee.count + b.pointee.count)
        for r in 0..<b.pointee.codes.count { a.pointee.codes.append(remap[Int(b.pointee.codes[r])]) }
        a.pointee.count += b.pointee.count
        b.pointee.free()
        b.pointee = State()
        return false
    }

    /// Appends every row of a finished column.
    func absorb(_ column: Column) {
        let other = ColumnBuilder()
        let b = other.state
        switch column.storage {
        case let .numbers(cells):
            b.pointee.values.append(contentsOf: cells.values)
            b.pointee.add(cells.shapes)
            for t in cells.exceptionTexts { var t = t; _ = t.withUTF8 { b.pointee.dictionary.code($0.baseAddress ?? ByteDictionary.empty, $0.count) } }
            for (r, c) in zip(cells.exceptionRows, cells.exceptionCodes) { b.pointee.exceptionRows.append(r); b.pointee.exceptionCodes.append(c) }
            b.pointee.count = cells.values.count
        case let .dictionary(codes, texts):
            for t in texts { var t = t; _ = t.withUTF8 { b.pointee.dictionary.code($0.baseAddress ?? ByteDictionary.empty, $0.count) } }
            b.pointee.isNumbers = false
            b.pointee.codes.append(contentsOf: codes)
            b.pointee.count = codes.count
        }
        absorb(other)
    }

    /// The finished column (the builder's memory is handed over and released).
    func column() -> Column {
        let s = state
        // More text than numbers: a dictionary serves it better.
        if s.pointee.isNumbers && s.pointee.exceptionRows.count > 64 && 2 * s.pointee.exceptionRows.count > s.pointee.count {
            s.pointee.switchToDictionary()
        }
        let texts = (0..<s.pointee.dictionary.count).map { s.pointee.dictionary.text(UInt32($0)) }
        let column: Column
        if s.pointee.isNumbers {
            column = Column(storage: .numbers(Column.NumberCells(values: s.pointee.values.take(), exceptionRows: s.pointee.exceptionRows.array(),
                                                                 exceptionCodes: s.pointee.exceptionCodes.array(), exceptionTexts: texts,
                                                                 shapes: s.pointee.tally)))
        } else {
            column = Column(storage: .dictionary(codes: s.pointee.codes.take(), texts: texts))
        }
        s.pointee.free()
        s.pointee = State()
        return column
    }
}

/// A growable buffer of plain values in manually managed memory: appends in the reader's
/// inner loop without Swift arrays' uniqueness and exclusivity checks. It owns its memory, or
/// fills a window of someone else's (`window`) until it outgrows it.
struct Growable<T> {
    private(set) var base: UnsafeMutablePointer<T>? = nil
    private(set) var count = 0
    private(set) var capacity = 0
    /// False while filling a window of memory it does not own.
    private(set) var owned = true

    /// Fills up to `capacity` values from `base`, memory it does not own (it moves to memory
    /// of its own if it needs more).
    mutating func window(_ base: UnsafeMutablePointer<T>, capacity: Int) {
        free()
        self.base = base; self.capacity = capacity; owned = false
    }

    /// Takes ownership of `base`, a block of `capacity` values of which the first `count`
    /// are set.
    mutating func adopt(_ base: UnsafeMutablePointer<T>, count: Int, capacity: Int) {
        free()
        self.base = base; self.count = count; self.capacity = capacity; owned = true
    }

    mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        let fresh = UnsafeMutablePointer<T>.allocate(capacity: n)
        if let base {
            fresh.moveInitialize(from: base, count: count)
            if owned { base.deallocate() }
        }
        base = fresh
        capacity = n
        owned = true
    }

    @inline(__always)
    mutating func append(_ v: T) {
        if count == capacity { reserve(max(1024, capacity * 2)) }
        (base! + count).initialize(to: v)
        count += 1
    }

    mutating func append(contentsOf other: Growable<T>) {
        guard other.count > 0 else { return }
        reserve(count + other.count)
        (base! + count).initialize(from: other.base!, count: other.count)
        count += other.count
    }

    mutating func append(contentsOf other: Cells<T>) {
        guard !other.isEmpty else { return }
        reserve(count + other.count)
        other.withUnsafeBufferPointer { (base! + count).initialize(from: $0.baseAddress!, count: other.count) }
        count += other.count
    }

    /// Appends `n` values from `p`.
    mutating func append(_ p: UnsafePointer<T>, _ n: Int) {
        guard n > 0 else { return }
        if count + n > capacity { reserve(max(1024, max(capacity * 2, count + n))) }
        (base! + count).initialize(from: p, count: n)
        count += n
    }

    @inline(__always)
    subscript(i: Int) -> T { base![i] }

    func array() -> [T] {
        guard let base else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// The values as cells, handing the memory over (copied first when not owned); the
    /// buffer is left empty.
    mutating func take() -> Cells<T> {
        if !owned { reserve(capacity + 1) }
        let cells = Cells(adopting: base, count: count)
        base = nil; count = 0; capacity = 0; owned = true
        return cells
    }

    mutating func free() {
        if let base, owned { base.deinitialize(count: count); base.deallocate() }
        base = nil; count = 0; capacity = 0; owned = true
    }
}

/// Distinct byte strings and their codes (0, 1, … in order of first appearance): an
/// open-addressing hash table over an arena of the bytes, in manually managed memory
/// (`free()` releases it).
struct ByteDictionary {
    /// A valid address for empty texts.
    static var empty: UnsafePointer<UInt8> { UnsafePointer(bitPattern: 1)! }
    private var arena = Growable<UInt8>()
    private var starts = Growable<Int>()
    private var hashes = Growable<UInt64>()
    private var slots: UnsafeMutablePointer<UInt32>
    private var mask: Int

    init() {
        mask = 63
        slots = .allocate(capacity: 64)
        slots.initialize(repeating: 0, count: 64)
        starts.append(0)
    }

    /// Releases the memory; the dictionary must not be used afterwards.
    mutating func free() {
        arena.free(); starts.free(); hashes.free(); slots.deallocate()
    }

    var count: Int { hashes.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 8
        }
        while i < n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3; i += 1 }
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }

    /// The code of the bytes, added when new.
    @inline(__always)
    mutating func code(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        let h = ByteDictionary.hash(p, n)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = Int(slots[s])
            if slot == 0 { break }
            let c = slot - 1
            if hashes[c] == h {
                let start = starts[c], length = starts[c + 1] - start
                if length == n && (n == 0 || memcmp(arena.base! + start, p, n) == 0) { return UInt32(c) }
            }
            s = (s + 1) & mask
        }
        let c = hashes.count
        arena.append(p, n)
        starts.append(arena.count)
        hashes.append(h)
        slots[s] = UInt32(c + 1)
        if 2 * hashes.count > mask { grow() }
        return UInt32(c)
    }

    private mutating func grow() {
        let size = (mask + 1) * 4
        slots.deallocate()
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        mask = size - 1
        for c in 0..<hashes.count {
            var s = Int(truncatingIfNeeded: hashes[c]) & mask
            while slots[s] != 0 { s = (s + 1) & mask }
            slots[s] = UInt32(c + 1)
        }
    }

    func bytes(_ code: UInt32) -> [UInt8] {
        let c = Int(code), start = starts[c], end = starts[c + 1]
        guard end > start else { return [] }
        return Array(UnsafeBufferPointer(start: arena.base! + start, count: end - start))
    }

    func text(_ code: UInt32) -> String {
        let c = Int(code), start = starts[c], end = starts[c + 1]
        guard end > start else { return "" }
        return String(decoding: UnsafeBufferPointer(start: arena.base! + start, count: end - start), as: UTF8.self)
    }
}
