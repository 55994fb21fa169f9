import Foundation

/// Labels of a table's rows under a `TargetSpec`.
public struct Labels: Sendable {
    /// Rows with a decided outcome, in table order.
    public var rows: [Int]
    /// 1 = converted, 0 = not, aligned with `rows`.
    public var y: [Double]
    /// Rows left out: target missing, or neither positive nor negative (still open).
    public var missingTarget: Int
    public var undecided: Int

    public var positives: Int { Int(y.reduce(0, +)) }

    public init(table: Table, spec: TargetSpec, missing: MissingTokens) throws {
        guard let c = table.index(of: spec.column) else {
            throw table.unknownColumn(spec.column, role: "target")
        }
        rows = []; y = []; missingTarget = 0; undecided = 0
        // −2: missing, −1: undecided, else the label; computed once per distinct value.
        let labels = table.columns[c].mapTexts { raw -> Int8 in
            if missing.isMissing(raw) { return -2 }
            return spec.label(raw, missing: missing).map { Int8($0) } ?? -1
        }
        for (r, l) in labels.enumerated() {
            switch l {
            case -2: missingTarget += 1
            case -1: undecided += 1
            default: rows.append(r); y.append(Double(l))
            }
        }
    }
}
