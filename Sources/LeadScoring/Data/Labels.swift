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
        for (r, raw) in table.columns[c].enumerated() {
            if missing.isMissing(raw) { missingTarget += 1; continue }
            guard let l = spec.label(raw, missing: missing) else { undecided += 1; continue }
            rows.append(r); y.append(Double(l))
        }
    }
}
