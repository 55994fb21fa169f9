/// What decides how the canonical text of a number (`Column.canonicalNumber`) reads under
/// either decimal mark: its sign, its digits before the dot (0 for `0.5`, `manyDigits` from
/// 1e12 on) and its decimals (`manyDecimals` beyond three). `NumberFormat.Evidence` weighs a
/// number by its shape; the table reader tallies the shapes of a number column's cells as it
/// parses them (`Tally`), so schema inference weighs a column per shape, not per cell.
struct NumberShape: Equatable {
    var negative: Bool
    /// 0...`manyDecimals`.
    var decimals: Int
    /// 0...`manyDigits`.
    var integerDigits: Int

    static let manyDecimals = 4, manyDigits = 13
    /// Distinct shapes: `index` is below it.
    static let count = 2 * (manyDecimals + 1) * (manyDigits + 1)

    var index: Int { (negative ? 1 : 0) + 2 * decimals + 2 * (NumberShape.manyDecimals + 1) * integerDigits }

    init(negative: Bool, decimals: Int, integerDigits: Int) {
        self.negative = negative
        self.decimals = min(decimals, NumberShape.manyDecimals)
        self.integerDigits = min(integerDigits, NumberShape.manyDigits)
    }

    init(index: Int) {
        let perDigit = 2 * (NumberShape.manyDecimals + 1)
        negative = index % 2 == 1
        decimals = (index % perDigit) / 2
        integerDigits = index / perDigit
    }

    /// The shape of a canonical number's text, from its value: a decimal of at most 15
    /// significant digits is the only one of them that reads as its double, so the fewest
    /// decimals that give the number back (divided back, as reading would) are the text's.
    init(_ v: Double) {
        let a = abs(v)
        var decimals = 0
        // Doubles from 2^52 on are whole; below it a × 1000 fits an Int64.
        if a < 4e15 ? Double(Int64(a)) != a : a != a.rounded() {
            decimals = NumberShape.manyDecimals
            for d in 1...3 {
                // Nearest whole number by conversion: no libm call per cell.
                let p = Column.powersOfTen[d]
                if Double(Int64(a * p + 0.5)) / p == a { decimals = d; break }
            }
        }
        var digits = 0
        while digits < NumberShape.manyDigits && a >= Column.powersOfTen[digits] { digits += 1 }
        self.init(negative: v < 0, decimals: decimals, integerDigits: digits)
    }

    /// How many cells of each shape a column holds, and one number of each (the first).
    struct Tally: Sendable, Equatable {
        var counts = [Int](repeating: 0, count: NumberShape.count)
        var examples = [Double](repeating: 0, count: NumberShape.count)
    }
}
