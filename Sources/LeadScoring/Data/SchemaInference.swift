import Foundation

/// Infers each column's kind from its values.
///
/// The order of the checks matters: empty → constant → boolean → numeric → date →
/// identifier → text/high cardinality → categorical.
public struct SchemaInference: Sendable {
    public var missingTokens = MissingTokens()
    /// A column is numeric when at least this share of its non-missing values are numbers;
    /// the rest are treated as missing (a typo in one cell should not turn a number column
    /// into labels).
    public var numericShare = 0.99
    /// Same for dates.
    public var dateShare = 0.95
    /// More distinct labels than this makes a column "high cardinality": one-hot encoding
    /// thousands of levels over-fits and bloats the model.
    public var maxCategories = 200
    /// Labels longer than this on average, with spaces, look like free text.
    public var textMeanLength = 40.0

    public init(missingTokens: MissingTokens = MissingTokens()) { self.missingTokens = missingTokens }

    /// Names that mark an identifier whatever the values: `id`, `lead_id`, `Prospect ID`,
    /// `uuid`, `Lead Number`, `record key`.
    static func looksLikeIdentifierName(_ name: String) -> Bool {
        let n = name.lowercased()
        let words = n.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        if words.contains(where: { ["id", "uuid", "guid", "key"].contains($0) }) { return true }
        if n.hasSuffix("id") && name.count > 2 && name.dropLast(2).last.map({ $0.isLowercase }) == true
            && name.hasSuffix("Id") { return true }  // leadId, prospectId
        if words.last == "number" && words.count >= 2 && ["lead", "prospect", "contact", "account", "record", "customer", "opportunity", "deal"].contains(words[words.count - 2]) { return true }
        return false
    }

    public func infer(_ table: Table, overrides: SchemaOverrides = SchemaOverrides(),
                      drop: [String] = [], target: String? = nil) throws -> Schema {
        let tokens = overrides.missingTokens.map { MissingTokens($0) } ?? missingTokens
        var inference = self
        inference.missingTokens = tokens
        for name in overrides.kinds.keys where table.index(of: name) == nil {
            throw table.unknownColumn(name, role: "(schema override)")
        }
        for name in drop where table.index(of: name) == nil {
            throw table.unknownColumn(name, role: "--drop")
        }
        let dropped = Set(drop.compactMap { table.index(of: $0) })
        var columns: [ColumnSchema] = []
        let semicolonFile = table.delimiter == UInt8(ascii: ";")
        // Counting is the work: columns on two threads for large tables.
        var counts = [ValueCounts](repeating: ValueCounts(), count: table.header.count)
        counts.withUnsafeMutableBufferPointer { out in
            let results = UncheckedSendable(out.baseAddress!)
            let parts = table.rowCount >= 50_000 ? 2 : 1
            // Each thread takes the next column not yet taken: columns' costs differ.
            let next = NextIndex(below: table.header.count)
            parallelThreads(parts: parts) { _ in
                while let c = next.take() { results.value[c] = inference.count(table.columns[c]) }
            }
        }
        for (c, name) in table.header.enumerated() {
            let decimal = overrides.decimal(for: name)
            var column = inference.inferColumn(name: name, counts: counts[c], decimal: decimal, semicolonFile: semicolonFile)
            if let targetName = target, table.index(of: targetName) == c {
                column.kind = .excluded
                column.notice = "the target"
            } else if dropped.contains(c) {
                column.kind = .excluded
                column.notice = "excluded by --drop"
                column.overridden = true
            } else if let kind = overrides.kind(for: name) {
                column.kind = kind
                column.notice = kind == .excluded ? "excluded by the override file" : "set to \(kind.rawValue) by the override file"
                column.overridden = true
                if kind != .numeric { column.number = nil }
                if kind == .numeric, column.number == nil, let decimal {
                    column.number = NumberFormat(decimal: decimal)
                    if column.number!.isPlain { column.number = nil }
                }
                if kind == .date, column.dayFirst == nil {
                    column.dayFirst = table.columns[c].contains { DateParser.needsDayFirst($0) }
                }
            }
            columns.append(column)
        }
        return Schema(columns: columns, missingTokens: tokens)
    }

    /// Distinct numbers are counted exactly only up to this many: beyond it a column is a
    /// measurement whatever the exact count, and a dictionary of a million float strings costs
    /// seconds. Text values are always counted (identifiers need exact uniqueness).
    static let numericDistinctCap = 20_000

    /// Infers one column. `decimal` forces the decimal mark (from an override file);
    /// `semicolonFile` tips values that read either way (`1,234`) towards a decimal comma.
    public func inferColumn(name: String, values: [String], decimal: NumberFormat.DecimalMark? = nil,
                            semicolonFile: Bool = false) -> ColumnSchema {
        inferColumn(name: name, counts: count(values), decimal: decimal, semicolonFile: semicolonFile)
    }

    /// The `k` most frequent values, the most frequent first, ties in text order (what sorting
    /// all of them would give, in one pass: a column can count 20,000 distinct values).
    static func mostFrequent(_ counts: [String: Int], _ k: Int) -> [String] {
        func before(_ a: (key: String, value: Int), _ b: (key: String, value: Int)) -> Bool {
            a.value == b.value ? a.key < b.key : a.value > b.value
        }
        var top: [(key: String, value: Int)] = []
        for entry in counts {
            if top.count == k, let last = top.last, !before(entry, last) { continue }
            let at = top.firstIndex { before(entry, $0) } ?? top.count
            top.insert(entry, at: at)
            if top.count > k { top.removeLast() }
        }
        return top.map(\.key)
    }

    func inferColumn(name: String, counts: ValueCounts, decimal: NumberFormat.DecimalMark?, semicolonFile: Bool) -> ColumnSchema {
        let c = counts
        let examples = c.mostFrequent(5)
        var column = ColumnSchema(name: name, kind: .categorical, present: c.present, missing: c.missing,
                                  distinct: c.distinct, examples: Array(examples), dayFirst: nil,
                                  notice: nil, overridden: false)
        if c.present == 0 {
            column.kind = .empty
            column.notice = name.isEmpty ? "empty column (no name, no values): dropped" : "no values: dropped"
            return column
        }
        if c.distinct == 1 {
            column.kind = .constant
            column.notice = "one value only ('\(examples[0])'): dropped"
            return column
        }
        // Two values apart from case (a yes/no pair): stop at a third.
        var lowered = Set<String>()
        for key in c.texts.keys {
            lowered.insert(key.lowercased())
            if lowered.count > 2 { break }
        }
        for (number, _) in c.numbers where lowered.count <= 2 { lowered.insert(Column.canonicalText(number)) }
        if lowered.count == 2, Values.booleanPairs.contains(where: { lowered == [$0.0, $0.1] }) {
            column.kind = .boolean
            return column
        }
        let isNameId = SchemaInference.looksLikeIdentifierName(name)
        if asNumbers(&column, c, isNameId: isNameId, decimal: decimal, semicolonFile: semicolonFile) { return column }
        if !isNameId, asDates(&column, c) { return column }
        asTextOrCategories(&column, c, isNameId: isNameId)
        return column
    }

    /// A column's values counted: distinct trimmed values with their counts, missing ones, and
    /// the evidence about how its numbers are written.
    struct ValueCounts {
        /// Distinct values by text, but for `numbers`.
        var texts: [String: Int] = [:]
        /// Distinct canonical numbers counted by value (a typed number column's; their texts
        /// are made when asked for, which a number column seldom needs).
        var numbers: [(value: Double, count: Int)] = []
        var missing = 0, present = 0
        /// A lower bound when numbers went uncounted (they are all distinct from the counted ones
        /// only in the worst case; the exact figure does not change any decision).
        var distinct = 0
        /// Every present value weighed, counted or not (the typed count does it on the
        /// worker threads, from the numbers themselves).
        var evidence = NumberFormat.Evidence()

        /// Every counted value by text.
        var counts: [String: Int] {
            var all = texts
            for (number, n) in numbers { all[Column.canonicalText(number), default: 0] += n }
            return all
        }

        /// The `k` most frequent values (`SchemaInference.mostFrequent` of `counts`), making
        /// texts only for the numbers that could be among them.
        func mostFrequent(_ k: Int) -> [String] {
            guard !numbers.isEmpty else { return SchemaInference.mostFrequent(texts, k) }
            // Every one of the k most frequent occurs at least as often as the k-th highest count.
            var highest: [Int] = []
            func offer(_ n: Int) {
                if highest.count == k { if n <= highest[k - 1] { return }; highest.removeLast() }
                highest.insert(n, at: highest.firstIndex { $0 < n } ?? highest.count)
            }
            for n in texts.values { offer(n) }
            for (_, n) in numbers { offer(n) }
            let least = highest.count == k ? highest[k - 1] : 0
            var candidates = texts.filter { $0.value >= least }
            for (number, n) in numbers where n >= least { candidates[Column.canonicalText(number)] = n }
            return SchemaInference.mostFrequent(candidates, k)
        }
    }

    func count(_ values: [String]) -> ValueCounts {
        var c = ValueCounts()
        var uncounted = 0
        for v in values {
            if missingTokens.isMissing(v) { c.missing += 1; continue }
            let key = Values.trim(v)
            if c.texts.count >= SchemaInference.numericDistinctCap, c.texts[key] == nil, Values.number(key) != nil {
                // Beyond the cap plain numbers are weighed one by one instead of counted.
                c.evidence.add(key)
                uncounted += 1
                continue
            }
            c.texts[key, default: 0] += 1
        }
        for (v, n) in c.texts { c.evidence.add(v, count: n) }
        c.present = values.count - c.missing
        c.distinct = c.texts.count + uncounted
        return c
    }

    /// The same counts from a typed column, without making a string per cell: a number
    /// column's canonical numbers are counted by value (their text is made only for the
    /// distinct values counted, at most `numericDistinctCap`), a dictionary column's texts once
    /// per code. The counts are those `count(_: [String])` gives for the column's texts.
    func count(_ column: Column) -> ValueCounts {
        var c = ValueCounts()
        switch column.storage {
        case let .dictionary(codes, texts):
            var perCode = [Int](repeating: 0, count: texts.count)
            for code in codes { perCode[Int(code)] += 1 }
            // In order of first appearance, as the rows would add them.
            for (code, text) in texts.enumerated() where perCode[code] > 0 {
                if missingTokens.isMissing(text) { c.missing += perCode[code]; continue }
                let key = Values.trim(text)
                c.texts[key, default: 0] += perCode[code]
                c.evidence.add(key, count: perCode[code])
            }
            c.present = codes.count - c.missing
            c.distinct = c.texts.count
        case let .numbers(cells):
            // Missing tokens that are numbers (`-1`, `0`) count as missing.
            let missingNumbers = missingTokens.numbers
            let numbers = NumberCounts()
            var texts: [String: Int] = [:]
            var uncounted = 0, missing = 0
            var evidence = NumberFormat.Evidence()
            // The reader's tally weighs the cells' numbers per shape; without it (a subset)
            // each number is weighed, the counted ones once per distinct value.
            var tally = cells.shapes
            let perNumber = tally == nil
            var e = 0
            let exceptions = cells.exceptionRows
            let cap = SchemaInference.numericDistinctCap
            cells.values.withUnsafeBufferPointer { values in
                for r in 0..<values.count {
                    let v = values[r]
                    var number = v
                    var tallied = true
                    if v.isNaN {
                        guard e < exceptions.count, Int(exceptions[e]) == r else { missing += 1; continue }  // empty
                        let text = cells.exceptionTexts[Int(cells.exceptionCodes[e])]
                        e += 1
                        if missingTokens.isMissing(text) { missing += 1; continue }
                        let key = Values.trim(text)
                        if let n = Column.canonicalNumber(key) {
                            number = n
                            tallied = false
                        } else {
                            if texts[key] == nil, numbers.count + texts.count >= cap, Values.number(key) != nil {
                                evidence.add(key)
                                uncounted += 1
                            } else {
                                texts[key, default: 0] += 1
                            }
                            continue
                        }
                    }
                    let key = number.bitPattern
                    if !missingNumbers.isEmpty && missingNumbers.contains(key) {
                        missing += 1
                        if tallied { tally?.counts[NumberShape(number).index] -= 1 }
                        continue
                    }
                    if !tallied && !perNumber { evidence.addCanonical(number) }
                    if !numbers.increment(key, adding: numbers.count + texts.count < cap) {
                        if perNumber { evidence.addCanonical(number) }
                        uncounted += 1
                    }
                }
            }
            c.missing = missing
            for (key, n) in texts { evidence.add(key, count: n) }
            c.texts = texts
            c.numbers = numbers.entries
            if let tally { evidence.addCanonical(tally) } else { for (number, n) in c.numbers { evidence.addCanonical(number, count: n) } }
            c.evidence = evidence
            c.present = cells.values.count - c.missing
            c.distinct = texts.count + c.numbers.count + uncounted
        }
        return c
    }

    /// Numbers (or identifiers that are whole numbers): true when the column is one.
    private func asNumbers(_ column: inout ColumnSchema, _ c: ValueCounts, isNameId: Bool, decimal: NumberFormat.DecimalMark?,
                           semicolonFile: Bool) -> Bool {
        guard let mark = decimal ?? c.evidence.decimalMark(present: c.present, share: numericShare, semicolonFile: semicolonFile) else {
            return false
        }
        let format = c.evidence.format(decimal: mark)
        let (numbers, integers) = c.evidence.numbers(mark)
        guard Double(numbers) >= numericShare * Double(c.present) || decimal != nil else { return false }
        if isNameId || (format.isPlain && integers == c.present && c.distinct == c.present && c.present >= 20 && c.missing == 0
                        && isNameIdLike(values: c.counts.keys)) {
            column.kind = .identifier
            column.notice = "identifier: kept out of the features, used to key the output"
            return true
        }
        column.kind = .numeric
        column.number = format.isPlain ? nil : format
        var notices: [String] = []
        let bad = c.present - numbers
        if bad > 0 {
            let example = c.counts.keys.sorted().first { format.parse($0) == nil } ?? ""
            notices.append("\(bad) value\(bad == 1 ? "" : "s") that \(bad == 1 ? "is" : "are") not a number\(format.isPlain ? "" : " in this format (\(format))") (e.g. '\(example)') will be treated as missing")
        }
        let currencies = c.evidence.currencyList
        if currencies.count > 1 {
            notices.append("amounts in several currencies (\(currencies.prefix(4).joined(separator: ", "))) are read as plain numbers, not converted")
        }
        if !notices.isEmpty { column.notice = notices.joined(separator: "; ") }
        return true
    }

    /// Dates (day first when a value says so): true when the column is one.
    private func asDates(_ column: inout ColumnSchema, _ c: ValueCounts) -> Bool {
        var dates = 0
        var dayFirst = false
        for (v, n) in c.counts {
            if DateParser.parse(v) != nil { dates += n }
            else if DateParser.parse(v, dayFirst: true) != nil { dates += n; dayFirst = true }
        }
        guard Double(dates) >= dateShare * Double(c.present) else { return false }
        column.kind = .date
        column.dayFirst = dayFirst
        column.notice = "date: kept out of the features (usable with --time-column)"
        return true
    }

    /// Identifiers, free text, too many categories, or (by default) categories.
    private func asTextOrCategories(_ column: inout ColumnSchema, _ c: ValueCounts, isNameId: Bool) {
        let counts = c.counts
        let meanLength = Double(counts.reduce(0) { $0 + $1.key.count * $1.value }) / Double(c.present)
        let hasSpaces = counts.keys.prefix(200).filter { $0.contains(" ") }.count > min(100, c.distinct / 2)
        if isNameId || (c.distinct == c.present && c.present >= 20 && !hasSpaces) {
            column.kind = .identifier
            column.notice = "identifier: kept out of the features, used to key the output"
        } else if meanLength > textMeanLength && hasSpaces {
            column.kind = .text
            column.notice = "free text (mean length \(Int(meanLength))): kept out of the features"
        } else if c.distinct > maxCategories {
            column.kind = .text
            column.notice = "\(c.distinct) distinct values (more than \(maxCategories)): kept out of the features; "
                + keepAdvice(name: column.name, counts: counts, evidence: c.evidence, present: c.present)
        }
    }

    /// How to keep a column left out as text: as a number when most of its values hold digits
    /// (an amount written in a way not recognised), else as categories.
    private func keepAdvice(name: String, counts: [String: Int], evidence: NumberFormat.Evidence, present: Int) -> String {
        // Values mostly made of digits ("12 345 SEKR", "1234!!"), not names with a number in them.
        var withDigits = 0
        for (v, n) in counts {
            let visible = v.utf8.filter { $0 != 0x20 }
            let digits = visible.filter { $0 >= 0x30 && $0 <= 0x39 }.count
            if digits > 0 && 2 * digits >= visible.count { withDigits += n }
        }
        let quoted = name.contains(":") || name.contains("#") ? NumberFormatting.quoted(name) : name
        if Double(withDigits) >= 0.8 * Double(present) {
            let best = max(evidence.numbers(.point).numbers, evidence.numbers(.comma).numbers)
            let unread = counts.keys.sorted().first { NumberFormat.plain.parse($0) == nil && NumberFormat(decimal: .comma).parse($0) == nil } ?? ""
            return "most values hold digits but only \(pct(best, of: present)) read as numbers (e.g. '\(unread)' does not); "
                + "if it is an amount, state its format in a schema file (--schema) as '\(quoted): {kind: numeric, decimal: \",\"}' "
                + "(or decimal: \".\"); values that still do not read become missing and are counted"
        }
        return "to use it as categories anyway, set '\(quoted): categorical' in a schema file (--schema)"
    }

    private func pct(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "0%" : "\(Int((Double(part) / Double(whole) * 100).rounded(.down)))%"
    }

    /// The lead id columns of a file to score, in file order, recognised by the same rules as
    /// training's: a name like `id`, `Lead ID`, `Prospect ID` or `Lead Number`, or values unique
    /// per row (judged on `sample`, the file's first rows, `sample[c]` holding column c), plus
    /// whatever the model's schema already called an identifier. Columns in `excluding` (the
    /// model's inputs) are never ids. Ids dropped at training (`--drop`) are found again, so
    /// scores can be joined back to the CRM.
    public func identifierColumns(header: [String], sample: [[String]], known: Set<String>, excluding: Set<Int>) -> [Int] {
        let knownLower = Set(known.map { $0.lowercased() })
        return header.indices.filter { c in
            guard !excluding.contains(c) else { return false }
            let name = header[c]
            if knownLower.contains(name.lowercased()) || SchemaInference.looksLikeIdentifierName(name) { return true }
            guard c < sample.count, sample[c].count >= 20 else { return false }
            return inferColumn(name: name, values: sample[c]).kind == .identifier
        }
    }

    /// Unique whole numbers without an id-like name are identifiers only when they look like
    /// record numbers: all with the same number of digits (ids), not a spread of magnitudes.
    private func isNameIdLike<S: Sequence>(values: S) -> Bool where S.Element == String {
        var lengths = Set<Int>()
        for v in values { lengths.insert(v.count); if lengths.count > 2 { return false } }
        return true
    }
}

/// Counts of numbers by bit pattern: open addressing with a multiplicative hash over keys in
/// plain memory, their counts beside them in a second array (the schema counts a million
/// cells per column through it). Once the table is full most looks are misses: a bit per
/// hash of the keys in it (a one-hash Bloom filter of 2^20 bits, small enough to stay in a
/// core's cache) turns nearly all of them away before the table is probed.
final class NumberCounts {
    /// Marks an empty slot: a NaN, which is never counted.
    private static let empty: UInt64 = 0x7FF8_0000_0000_0001
    private var keys: UnsafeMutablePointer<UInt64>
    private var counts: UnsafeMutablePointer<Int>
    private var mask: Int
    private let filter: UnsafeMutablePointer<UInt64>
    private static let filterWords = 1 << 14
    private(set) var count = 0

    init() {
        mask = 1023
        keys = .allocate(capacity: 1024); keys.initialize(repeating: NumberCounts.empty, count: 1024)
        counts = .allocate(capacity: 1024); counts.initialize(repeating: 0, count: 1024)
        filter = .allocate(capacity: NumberCounts.filterWords); filter.initialize(repeating: 0, count: NumberCounts.filterWords)
    }

    deinit { keys.deallocate(); counts.deallocate(); filter.deallocate() }

    /// The counted numbers and their counts (in no particular order).
    var entries: [(value: Double, count: Int)] {
        var out: [(value: Double, count: Int)] = []
        out.reserveCapacity(count)
        for s in 0...mask where keys[s] != NumberCounts.empty { out.append((Double(bitPattern: keys[s]), counts[s])) }
        return out
    }

    @inline(__always)
    private static func filterBit(_ key: UInt64) -> (word: Int, bit: UInt64) {
        let h = Int(truncatingIfNeeded: (key &* 0xC2B2_AE3D_27D4_EB4F) >> 44)  // 20 bits
        return (h >> 6, 1 << UInt64(h & 63))
    }

    /// Adds one to `key`'s count; a new key only when `adding` (true: counted).
    @inline(__always)
    func increment(_ key: UInt64, adding: Bool) -> Bool {
        let (word, bit) = NumberCounts.filterBit(key)
        if !adding && filter[word] & bit == 0 { return false }
        var s = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while true {
            let k = keys[s]
            if k == key { counts[s] += 1; return true }
            if k == NumberCounts.empty { break }
            s = (s + 1) & mask
        }
        guard adding else { return false }
        keys[s] = key
        counts[s] = 1
        filter[word] |= bit
        count += 1
        if 2 * count > mask { grow() }
        return true
    }

    private func grow() {
        let (oldKeys, oldCounts, oldSize) = (keys, counts, mask + 1)
        let size = oldSize * 4
        mask = size - 1
        keys = .allocate(capacity: size); keys.initialize(repeating: NumberCounts.empty, count: size)
        counts = .allocate(capacity: size); counts.initialize(repeating: 0, count: size)
        for o in 0..<oldSize where oldKeys[o] != NumberCounts.empty {
            var s = Int(truncatingIfNeeded: (oldKeys[o] &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
            while keys[s] != NumberCounts.empty { s = (s + 1) & mask }
            keys[s] = oldKeys[o]
            counts[s] = oldCounts[o]
        }
        oldKeys.deallocate(); oldCounts.deallocate()
    }
}
