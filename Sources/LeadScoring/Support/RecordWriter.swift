import Foundation

/// Writes records as CSV (RFC 4180 quoting) or JSON lines, straight into a byte buffer: the one
/// writer of every table leadscore outputs (`predict`, `rules score`, `quickstart`). A record is
/// written field by field in column order, with no allocation per record.
public struct RecordWriter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case csv
        case jsonLines
    }

    public let format: Format
    public let columns: [String]
    /// Per column, `"name":` as JSON bytes.
    private let keys: [[UInt8]]

    public init(format: Format, columns: [String]) {
        self.format = format
        self.columns = columns
        keys = columns.map { Array((NumberFormatting.quoted($0) + ":").utf8) }
    }

    /// The CSV header line; nothing for JSON lines.
    public func header() -> [UInt8] {
        guard format == .csv else { return [] }
        var out: [UInt8] = []
        for (k, name) in columns.enumerated() {
            if k > 0 { out.append(0x2C) }
            RecordWriter.appendCSVField(name, to: &out)
        }
        out.append(0x0A)
        return out
    }

    /// Appends one record; `fill` writes its fields, one call per column, in order.
    public func append(to out: inout [UInt8], _ fill: (inout Record) -> Void) {
        var record = Record(writer: self)
        swap(&record.out, &out)
        if format == .jsonLines { record.out.append(UInt8(ascii: "{")) }
        fill(&record)
        record.out.append(contentsOf: format == .jsonLines ? [UInt8(ascii: "}"), 0x0A] : [0x0A])
        swap(&record.out, &out)
    }

    /// One record being written.
    public struct Record {
        let writer: RecordWriter
        fileprivate var out: [UInt8] = []
        private var index = 0

        fileprivate init(writer: RecordWriter) { self.writer = writer }

        private mutating func next() {
            if index > 0 { out.append(0x2C) }
            if writer.format == .jsonLines { out.append(contentsOf: writer.keys[index]) }
            index += 1
        }

        public mutating func text(_ s: String) {
            next()
            if writer.format == .csv { RecordWriter.appendCSVField(s, to: &out) } else { out.append(contentsOf: NumberFormatting.quoted(s).utf8) }
        }

        /// A number with `digits` decimals, or (nil) the shortest text that reads back as the
        /// same double.
        public mutating func number(_ x: Double, digits: Int?) {
            next()
            if let digits { NumberFormatting.appendFixed(x, digits, to: &out) } else { NumberFormatting.appendShortest(x, to: &out) }
        }

        public mutating func integer(_ n: Int) {
            next()
            NumberFormatting.appendInteger(n, to: &out)
        }

        /// A structured value: `json` (already encoded) in JSON lines, `csv` as a text field.
        public mutating func structured(json: @autoclosure () -> [UInt8], csv: @autoclosure () -> String) {
            next()
            if writer.format == .csv { RecordWriter.appendCSVField(csv(), to: &out) } else { out.append(contentsOf: json()) }
        }
    }

    /// `s` as a CSV field (quoted, with quotes doubled, when it holds a comma, quote or line
    /// end), appended as bytes.
    public static func appendCSVField(_ s: String, to out: inout [UInt8]) {
        let utf8 = s.utf8
        guard utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(0x22)
        for b in utf8 {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }
}
