import Foundation

/// Scored leads as CSV or JSON lines: the kept input columns (lead ids first), or `line` when
/// there are none, then `probability`, when asked the `margin` (always at full precision),
/// then `score`, `tier` and, when asked, `reasons`.
public struct ScoreWriter: Sendable {
    public var keepNames: [String]
    public var addLine: Bool
    public var withReasons: Bool
    public var withMargin: Bool
    /// Decimals of the probability; nil: the shortest text that reads back as the same double.
    public var probabilityDigits: Int?
    public let records: RecordWriter

    public init(format: RecordWriter.Format, keepNames: [String], addLine: Bool, withReasons: Bool, probabilityDigits: Int? = 6,
                withMargin: Bool = false) {
        self.keepNames = keepNames
        self.addLine = addLine
        self.withReasons = withReasons
        self.withMargin = withMargin
        self.probabilityDigits = probabilityDigits
        records = RecordWriter(format: format, columns: keepNames + (addLine ? ["line"] : []) + ["probability"]
                                                        + (withMargin ? ["margin"] : []) + ["score", "tier"]
                                                        + (withReasons ? ["reasons"] : []))
    }

    public func header() -> [UInt8] { records.header() }

    /// Appends one scored lead; `kept` are its values of `keepNames`.
    public func append(kept: [String], line: Int, lead: ScoredLead, to out: inout [UInt8]) {
        records.append(to: &out) { r in
            for value in kept { r.text(value) }
            if addLine { r.integer(line) }
            r.number(lead.probability, digits: probabilityDigits)
            if withMargin { r.number(lead.margin, digits: nil) }
            r.integer(lead.score)
            r.text(lead.tier.rawValue)
            if withReasons {
                r.structured(json: Array(("[" + lead.reasons.map {
                    "{\"feature\":\(NumberFormatting.quoted($0.feature)),\"value\":\(NumberFormatting.quoted($0.value)),\"contribution\":\(NumberFormatting.fixed($0.contribution, 4))}"
                }.joined(separator: ",") + "]").utf8), csv: lead.reasons.map(\.text).joined(separator: "; "))
            }
        }
    }
}
