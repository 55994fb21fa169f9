import Foundation

/// A date column read as instants (seconds since 1970) for ordering leads in time: the
/// holdout of `train --time-column` and `retrain`, and which of a lead's duplicate rows is the
/// newest. Missing dates count as the oldest (the training side, a duplicate that loses); a value
/// that is not a date is an error naming its line, so a typo never silently reorders history.
public enum TimeColumn {
    /// Times of `rows` of `table`'s column `name` (in `rows` order) and how many were missing.
    public static func read(_ table: Table, column name: String, schema: Schema, rows: [Int],
                            role: String = "--time-column") throws -> (times: [Double], missing: Int) {
        guard let c = table.index(of: name) else { throw table.unknownColumn(name, role: role) }
        let dayFirst = c < schema.columns.count ? (schema.columns[c].dayFirst ?? false) : false
        var times: [Double] = []
        times.reserveCapacity(rows.count)
        var missing = 0
        for r in rows {
            let raw = table.columns[c][r]
            if schema.missingTokens.isMissing(raw) { times.append(-.greatestFiniteMagnitude); missing += 1; continue }
            guard let t = DateParser.parse(raw, dayFirst: dayFirst) else {
                throw DataError.badValue(SourceLocation(file: table.source, line: table.lines[r], field: table.header[c], value: raw), reason: "not a date (\(role) needs dates such as 2026-03-01)")
            }
            times.append(t)
        }
        return (times, missing)
    }
}
