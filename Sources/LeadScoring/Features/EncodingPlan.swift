import Foundation

/// `FeatureEncoder`'s per-value work compiled for the hot loop of bulk encoding.
///
/// The encoder's column descriptions hold strings, arrays and dictionaries; touching them per
/// value costs reference counting, and with two threads the counts' cache lines bounce between
/// the cores (measured: about 100 ns per value). The plan copies what encoding needs into
/// plain memory: one `Cell` per column, and one open-addressing hash table over the bytes of
/// every categorical level, so a level is found without making a string. Missing values are
/// `MissingTokens`' byte test.
final class EncodingPlan: @unchecked Sendable {
    enum Kind: UInt8 { case numeric, boolean, categorical, rawNumeric, rawBoolean, rawCategorical }

    struct Cell {
        var kind: Kind
        var offset: Int
        var width: Int
        /// Linear numeric and boolean columns.
        var fill = 0.0, mean = 0.0, scale = 1.0
        var missingIndicator = false
        /// Numbers written plainly (`NumberFormat.plain`): a typed column's canonical numbers
        /// are then the values (read once here: `formats[k]` per value copies its strings).
        var plainNumbers = true
        /// Categorical columns: the code (or one-hot position) of the pooled "(other)" level,
        /// −1 when there is none, and of the missing level (linear encoding), −1 when none.
        var other = -1
        var missingLevel = -1
    }

    private let cells: UnsafeMutablePointer<Cell>
    private let columnCount: Int
    /// Hash table: `slots[h]` = entry + 1 (0 = empty); entries are (column, code, key start,
    /// key length) into `keys`.
    private let slots: UnsafeMutablePointer<Int32>
    private let slotMask: Int
    private let entries: UnsafeMutablePointer<(column: Int32, code: Int32, start: Int32, length: Int32)>
    private let entryCount: Int
    private let keys: UnsafeMutablePointer<UInt8>
    private let keyBytes: Int
    private let missing: MissingTokens
    /// Missing tokens that are canonical numbers (`-1`), as bit patterns.
    private let missingNumbers: Set<UInt64>
    private let encoder: FeatureEncoder
    /// Per column: how its numbers are written.
    private let formats: [NumberFormat]

    /// Standardised values are clamped to ± this many standard deviations, so that an absurd
    /// outlier (`1e300`) cannot overflow a margin to ±∞ (and ∞ − ∞ to NaN). No real value comes
    /// near it; the probability is saturated long before.
    static let standardLimit = 1e12

    init(_ encoder: FeatureEncoder) {
        self.encoder = encoder
        formats = encoder.columns.map(\.numberFormat)
        columnCount = encoder.columns.count
        cells = .allocate(capacity: max(1, columnCount))
        var entries: [(column: Int32, code: Int32, start: Int32, length: Int32)] = []
        var keys: [UInt8] = []
        func addLevels(_ levels: [String], column: Int) {
            for (code, level) in levels.enumerated() {
                let bytes = Array(level.utf8)
                entries.append((Int32(column), Int32(code), Int32(keys.count), Int32(bytes.count)))
                keys += bytes
            }
        }
        for (k, column) in encoder.columns.enumerated() {
            var cell = Cell(kind: .numeric, offset: column.offset, width: column.width)
            cell.plainNumbers = column.numberFormat.isPlain
            switch column.encoding {
            case let .numeric(e), let .boolean(e):
                if case .boolean = column.encoding { cell.kind = .boolean }
                cell.fill = e.fill; cell.mean = e.mean; cell.scale = e.scale
                cell.missingIndicator = e.missingIndicator
            case let .categorical(e):
                cell.kind = .categorical
                cell.other = e.hasOther ? e.levels.count : -1
                cell.missingLevel = e.position[CategoricalEncoding.missingLevel] ?? -1
                addLevels(e.levels, column: k)
            case let .raw(e):
                switch e.kind {
                case .categorical:
                    cell.kind = .rawCategorical
                    cell.other = e.levels.count
                    addLevels(e.levels, column: k)
                case .boolean: cell.kind = .rawBoolean
                default: cell.kind = .rawNumeric
                }
            }
            cells[k] = cell
        }
        var size = 16
        while size < entries.count * 2 { size <<= 1 }
        slotMask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        self.entries = .allocate(capacity: max(1, entries.count))
        entryCount = entries.count
        self.keys = .allocate(capacity: max(1, keys.count))
        keyBytes = keys.count
        for (i, entry) in entries.enumerated() { self.entries[i] = entry }
        for (i, b) in keys.enumerated() { self.keys[i] = b }
        missing = encoder.missingTokens
        missingNumbers = encoder.missingTokens.numbers
        for (i, entry) in entries.enumerated() {
            var h = EncodingPlan.hash(UnsafeBufferPointer(start: self.keys + Int(entry.start), count: Int(entry.length)),
                                      column: Int(entry.column)) & slotMask
            while slots[h] != 0 { h = (h + 1) & slotMask }
            slots[h] = Int32(i + 1)
        }
    }

    /// Column k's positions in an encoded row.
    func cellRange(_ k: Int) -> Range<Int> { cells[k].offset..<(cells[k].offset + cells[k].width) }

    deinit {
        cells.deallocate(); slots.deallocate(); entries.deallocate(); keys.deallocate()
    }

    /// FNV-1a over the bytes, seeded by the column.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, column: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(truncatingIfNeeded: column &* 0x9E37_79B9)
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The code of a (trimmed) level of column k, or nil.
    @inline(__always)
    private func find(_ bytes: UnsafeBufferPointer<UInt8>, column k: Int) -> Int? {
        var h = EncodingPlan.hash(bytes, column: k) & slotMask
        while true {
            let s = Int(slots[h])
            if s == 0 { return nil }
            let e = entries[s - 1]
            if Int(e.column) == k && Int(e.length) == bytes.count
                && (bytes.count == 0 || memcmp(keys + Int(e.start), bytes.baseAddress!, bytes.count) == 0) {
                return Int(e.code)
            }
            h = (h + 1) & slotMask
        }
    }

    /// A level lookup that agrees with the string dictionaries: by bytes, and, for non-ASCII
    /// text that the bytes did not find, by Swift string equality (canonically equivalent
    /// spellings of one accented letter are equal there).
    @inline(__always)
    private func level(_ trimmed: UnsafeBufferPointer<UInt8>, column k: Int) -> Int? {
        if let code = find(trimmed, column: k) { return code }
        guard trimmed.contains(where: { $0 >= 0x80 }) else { return nil }
        let text = String(decoding: trimmed, as: UTF8.self)
        switch encoder.columns[k].encoding {
        case let .categorical(e): return e.position[text]
        case let .raw(e): return e.position[text]
        default: return nil
        }
    }

    @inline(__always)
    private func isMissing(_ raw: UnsafeBufferPointer<UInt8>) -> Bool { missing.isMissing(raw) }

    /// Encodes column k's value when its text is the canonical writing of `v`
    /// (`Column.canonicalNumber`), as `encode(column:raw:)` would encode that text, without
    /// making it; false when only the text will do (categories, numbers in another format,
    /// a number that is a missing token or not a yes/no).
    @inline(__always)
    func encode(column k: Int, number v: Double, into out: UnsafeMutablePointer<Double>) -> Bool {
        let cell = cells[k]
        let o = cell.offset
        switch cell.kind {
        case .numeric:
            guard cell.plainNumbers, missingNumbers.isEmpty || !missingNumbers.contains(v.bitPattern) else { return false }
            let z = (v - cell.mean) / cell.scale
            out[o] = min(max(z, -EncodingPlan.standardLimit), EncodingPlan.standardLimit)
            if cell.missingIndicator { out[o + 1] = 0 }
            return true
        case .rawNumeric:
            guard cell.plainNumbers, missingNumbers.isEmpty || !missingNumbers.contains(v.bitPattern) else { return false }
            out[o] = v
            return true
        case .boolean:
            guard v == 0 || v == 1, missingNumbers.isEmpty || !missingNumbers.contains(v.bitPattern) else { return false }
            let z = (v - cell.mean) / cell.scale
            out[o] = min(max(z, -EncodingPlan.standardLimit), EncodingPlan.standardLimit)
            if cell.missingIndicator { out[o + 1] = 0 }
            return true
        case .rawBoolean:
            guard v == 0 || v == 1, missingNumbers.isEmpty || !missingNumbers.contains(v.bitPattern) else { return false }
            out[o] = v
            return true
        default:
            return false
        }
    }

    /// Encodes the raw bytes of column k's value into `out[offset..<offset + width]`.
    @inline(__always)
    func encode(column k: Int, raw: UnsafeBufferPointer<UInt8>, line: Int, into out: UnsafeMutablePointer<Double>,
                issues: inout EncodingIssues) {
        let cell = cells[k]
        let o = cell.offset
        @inline(__always) func trimmed() -> UnsafeBufferPointer<UInt8> {
            var lo = 0, hi = raw.count
            while lo < hi, raw[lo] == 0x20 || raw[lo] == 0x09 { lo += 1 }
            while hi > lo, raw[hi - 1] == 0x20 || raw[hi - 1] == 0x09 { hi -= 1 }
            return UnsafeBufferPointer(rebasing: raw[lo..<hi])
        }
        func text() -> String { String(decoding: trimmed(), as: UTF8.self) }
        func record() { issues.record(column: encoder.columns[k].name, line: line, value: text()) }
        switch cell.kind {
        case .numeric, .boolean:
            // A number is tried first: only a missing token written as a number (`-1`, in
            // `missingNumbers`) parses as one, and is missing.
            var v: Double? = nil
            if cell.kind == .boolean {
                if !isMissing(raw) { v = Values.boolean(text()).map { $0 ? 1 : 0 } }
            } else {
                v = formats[k].parse(raw)
                if v != nil, !missingNumbers.isEmpty, isMissing(raw) { v = nil }
            }
            if v == nil, !isMissing(raw) { record() }
            let z = ((v ?? cell.fill) - cell.mean) / cell.scale
            out[o] = min(max(z, -EncodingPlan.standardLimit), EncodingPlan.standardLimit)
            if cell.missingIndicator { out[o + 1] = v == nil ? 1 : 0 }
        case .categorical:
            for j in 0..<cell.width { out[o + j] = 0 }
            if isMissing(raw) {
                if cell.missingLevel >= 0 { out[o + cell.missingLevel] = 1 }
                else if cell.other >= 0 { out[o + cell.other] = 1 }
            } else if let j = level(trimmed(), column: k) {
                out[o + j] = 1
            } else if cell.other >= 0 {
                out[o + cell.other] = 1
            }
        case .rawNumeric:
            if let d = formats[k].parse(raw), missingNumbers.isEmpty || !isMissing(raw) { out[o] = d; return }
            out[o] = .nan
            if !isMissing(raw) { record() }
        case .rawCategorical:
            if let code = level(trimmed(), column: k) { out[o] = Double(code); return }
            out[o] = isMissing(raw) ? .nan : Double(cell.other)
        case .rawBoolean:
            if isMissing(raw) { out[o] = .nan; return }
            if let b = Values.boolean(text()) { out[o] = b ? 1 : 0 } else { out[o] = .nan; record() }
        }
    }
}
