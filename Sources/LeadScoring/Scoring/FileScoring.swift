import Foundation

/// What scoring a file did: counts per tier, values that could not be read, where the time went.
public struct FileScoringSummary: Sendable {
    public var leads = 0
    public var tiers: [Tier: Int] = [:]
    public var issues = EncodingIssues()
    /// Seconds reading records, encoding them, scoring (margins, probabilities, reasons) and writing.
    public var read = 0.0, encode = 0.0, score = 0.0, write = 0.0
}

/// The columns a scored file keeps besides the scores.
public enum KeptColumns: Sendable {
    /// The lead ids (found as `SchemaInference.identifierColumns` finds them), then these
    /// columns (none: the ids only).
    case ids(plus: [String])
    /// Every input column.
    case all
}

extension LeadScorer {
    /// Rows scored per batch: large enough to keep both cores busy, small enough that memory
    /// stays flat for any file size.
    public static let batchSize = 16_384

    /// Streams every record of `reader` through the scorer into `output` (committed by the
    /// caller), `batchSize` records at a time. The first batch is read before anything is
    /// written: its rows show which columns are lead ids (unique per row), kept first even when
    /// training dropped them. `progress` hears the running count after every batch.
    public func score(file reader: CSVReader, to output: AtomicFile, format: RecordWriter.Format, keep: KeptColumns,
                      probabilityDigits: Int? = 6, withMargin: Bool = false, progress: (Int) -> Void = { _ in }) throws -> FileScoringSummary {
        let header = reader.header
        let fields = try self.fields(in: header, file: reader.path)
        var summary = FileScoringSummary()
        var clock = Date()
        func lap() -> Double { let now = Date(); defer { clock = now }; return now.timeIntervalSince(clock) }
        var batch = RecordBatch(width: header.count)
        while batch.count < LeadScorer.batchSize, try reader.next(appendingTo: &batch) {}
        let keepColumns = try keptColumns(keep, header: header, fields: fields, firstBatch: batch, file: reader.path)
        let writer = ScoreWriter(format: format, keepNames: keepColumns.map { header[$0] }, addLine: keepColumns.isEmpty,
                                 withReasons: reasonsPerSide > 0, probabilityDigits: probabilityDigits, withMargin: withMargin)
        try output.write(bytes: writer.header())
        var text: [UInt8] = []
        func flush() throws {
            guard batch.count > 0 else { return }
            summary.read += lap()
            let x = encode(batch: batch, fields: fields, issues: &summary.issues)
            summary.encode += lap()
            let scored = score(encoded: x) { r in fields.map { batch.string(row: r, field: $0) } }
            summary.score += lap()
            text.removeAll(keepingCapacity: true)
            for (i, lead) in scored.enumerated() {
                writer.append(kept: keepColumns.map { batch.string(row: i, field: $0) }, line: batch.lines[i], lead: lead, to: &text)
                summary.tiers[lead.tier, default: 0] += 1
            }
            try output.write(bytes: text)
            summary.write += lap()
            summary.leads += batch.count
            progress(summary.leads)
            batch.removeAll()
        }
        try flush()
        while try reader.next(appendingTo: &batch) {
            if batch.count == LeadScorer.batchSize { try flush() }
        }
        try flush()
        return summary
    }

    /// The field indices a scored file keeps: ids first, in file order, then what `keep` adds.
    func keptColumns(_ keep: KeptColumns, header: [String], fields: [Int], firstBatch batch: RecordBatch, file: String) throws -> [Int] {
        if case .all = keep { return Array(header.indices) }
        let sample = header.indices.map { c in (0..<min(batch.count, 2_000)).map { batch.string(row: $0, field: c) } }
        var kept = SchemaInference(missingTokens: model.schema.missingTokens).identifierColumns(
            header: header, sample: sample, known: Set(model.schema.identifierColumns.map(\.name)), excluding: Set(fields))
        if case let .ids(plus: names) = keep {
            for name in names {
                guard let i = header.firstIndex(of: name) ?? header.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
                    throw UsageError("\(file): --keep: no column named '\(name)'" + suggestionText(for: name, among: header))
                }
                if !kept.contains(i) { kept.append(i) }
            }
        }
        return kept
    }
}
