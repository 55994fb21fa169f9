import ArgumentParser
import Foundation
import LeadScoring

struct Predict: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score new leads: probability, score 0–100, tier and reasons per lead.",
        discussion: "Streams the input in batches, so files larger than memory can be scored.")

    @Option(help: "Model file.")
    var model: String

    @Option(help: "CSV of leads to score (the target column may be absent).")
    var data: String

    @Option(help: "Output file (CSV, or JSON lines with --json).")
    var out: String

    @Option(help: "Reasons per direction (up and down); 0 turns them off for bulk scoring.")
    var reasons: Int = 3

    @Option(help: ArgumentHelp("Input columns to copy to the output besides the id columns: COL,... or 'all'.", valueName: "COL,..."))
    var keep: String?

    @Option(help: "Field delimiter of the input: , ; tab or | (default: detected).")
    var delimiter: String?

    @OptionGroup var tierOptions: TierOptions

    @Flag(help: "Write JSON lines instead of CSV.")
    var json = false

    func validate() throws {
        guard reasons >= 0 else { throw ValidationError("--reasons must be ≥ 0") }
        if tierOptions.sqlTop != nil || tierOptions.mqlTop != nil {
            throw ValidationError("--sql-top/--mql-top need labelled holdout leads; at predict time use --tiers mql=P,sql=P")
        }
    }

    func execute() throws {
        let start = Date()
        let leadModel = try LeadModel.load(from: model)
        let reader = try CSVReader(path: data, delimiter: try delimiter.map(DataSource.parseDelimiter))
        defer { reader.close() }
        let header = reader.header
        let missing = leadModel.encoder.missingColumns(in: header)
        if !missing.isEmpty { throw DataError.missingColumns(file: data, columns: missing) }
        func index(_ name: String) -> Int? {
            header.firstIndex(of: name) ?? header.firstIndex { $0.lowercased() == name.lowercased() }
        }
        let featureIndex = leadModel.encoder.columns.compactMap { index($0.name) }
        // The first batch is read before anything is written: its rows show which columns are
        // lead ids (unique per row), to be kept first even when training dropped them.
        let batchSize = 16_384
        var batch = RecordBatch(width: header.count)
        while batch.count < batchSize, try reader.next(appendingTo: &batch) {}
        let sample = header.indices.map { c in (0..<min(batch.count, 2_000)).map { batch.string(row: $0, field: c) } }
        var keepColumns = SchemaInference(missingTokens: leadModel.schema.missingTokens).identifierColumns(
            header: header, sample: sample, known: Set(leadModel.schema.identifierColumns.map(\.name)), excluding: Set(featureIndex))
        if let keep {
            if keep.lowercased() == "all" {
                keepColumns = Array(header.indices)
            } else {
                for name in splitList(keep) {
                    guard let i = index(name) else {
                        throw UsageError("\(data): --keep: no column named '\(name)'")
                    }
                    if !keepColumns.contains(i) { keepColumns.append(i) }
                }
            }
        }
        let addLine = keepColumns.isEmpty
        let scorer = LeadScorer(model: leadModel, tiers: try tierOptions.explicit, reasonsPerSide: reasons)
        let encoder = leadModel.encoder
        let output = try AtomicFile(path: out)
        let writer = ScoreWriter(json: json, keepNames: keepColumns.map { header[$0] }, addLine: addLine, withReasons: reasons > 0)
        try output.write(writer.header())
        // Records are gathered as bytes, then encoded on both cores straight from the bytes;
        // strings are made only for the kept columns (and, with reasons, the feature values
        // the reasons show).
        var issues = EncodingIssues()
        var count = 0
        var tierCounts: [Tier: Int] = [:]
        var timing = (read: 0.0, encode: 0.0, score: 0.0, write: 0.0)
        var clock = Date()
        func lap() -> Double { let now = Date(); defer { clock = now }; return now.timeIntervalSince(clock) }
        var text: [UInt8] = []
        func flush() throws {
            guard batch.count > 0 else { return }
            timing.read += lap()
            let x = encoder.encode(batch: batch, fields: featureIndex, issues: &issues)
            let raw = reasons > 0 ? (0..<batch.count).map { r in featureIndex.map { batch.string(row: r, field: $0) } } : []
            timing.encode += lap()
            let scored = scorer.score(x, raw: raw)
            timing.score += lap()
            text.removeAll(keepingCapacity: true)
            for (i, lead) in scored.enumerated() {
                writer.append(kept: keepColumns.map { batch.string(row: i, field: $0) }, line: batch.lines[i], lead: lead, to: &text)
                tierCounts[lead.tier, default: 0] += 1
            }
            try output.write(bytes: text)
            timing.write += lap()
            count += batch.count
            if count % 200_000 < batch.count { Console.note("scored \(grouped(count)) leads (\(elapsed(start)))") }
            batch.removeAll()
        }
        if batch.count == batchSize { try flush() }
        while try reader.next(appendingTo: &batch) {
            if batch.count == batchSize { try flush() }
        }
        try flush()
        try output.commit()
        timing.write += lap()
        for message in issues.messages(file: data) { Console.note("warning: \(message)") }
        let summary = Tier.allCases.reversed().map { "\($0.rawValue) \(grouped(tierCounts[$0] ?? 0))" }.joined(separator: ", ")
        Console.note("Scored \(grouped(count)) leads from \(data) into \(out): \(summary) (\(elapsed(start)))")
        let perSecond = timing.score > 0 ? Double(count) / timing.score : 0
        func seconds(_ t: Double) -> String { NumberFormatting.fixed(t, 3) + " s" }
        Console.note("  read \(seconds(timing.read)), encode \(seconds(timing.encode)), score \(seconds(timing.score)) " +
                     "(\(grouped(Int(perSecond))) leads/s), write \(seconds(timing.write))")
    }
}

/// Formats scored leads as CSV or JSON lines.
struct ScoreWriter {
    var json: Bool
    var keepNames: [String]
    var addLine: Bool
    var withReasons: Bool

    func header() -> String {
        if json { return "" }
        var names = keepNames
        if addLine { names.append("line") }
        names += ["probability", "score", "tier"]
        if withReasons { names.append("reasons") }
        return names.map(csvField).joined(separator: ",") + "\n"
    }

    func append(kept: [String], line: Int, lead: ScoredLead, to out: inout [UInt8]) {
        if json {
            var parts = zip(keepNames, kept).map { "\(jsonQuote($0)):\(jsonQuote($1))" }
            if addLine { parts.append("\"line\":\(line)") }
            parts += ["\"probability\":\(NumberFormatting.fixed(lead.probability, 6))", "\"score\":\(lead.score)", "\"tier\":\"\(lead.tier.rawValue)\""]
            if withReasons {
                let reasons = lead.reasons.map {
                    "{\"feature\":\(jsonQuote($0.feature)),\"value\":\(jsonQuote($0.value)),\"contribution\":\(NumberFormatting.fixed($0.contribution, 4))}"
                }
                parts.append("\"reasons\":[\(reasons.joined(separator: ","))]")
            }
            out.append(contentsOf: ("{" + parts.joined(separator: ",") + "}\n").utf8)
            return
        }
        let comma = UInt8(ascii: ",")
        for value in kept { out.append(contentsOf: csvField(value).utf8); out.append(comma) }
        if addLine { NumberFormatting.appendInteger(line, to: &out); out.append(comma) }
        NumberFormatting.appendFixed(lead.probability, 6, to: &out)
        out.append(comma)
        NumberFormatting.appendInteger(lead.score, to: &out)
        out.append(comma)
        out.append(contentsOf: lead.tier.rawValue.utf8)
        if withReasons { out.append(comma); out.append(contentsOf: csvField(lead.reasons.map(\.text).joined(separator: "; ")).utf8) }
        out.append(0x0A)
    }
}

func csvField(_ s: String) -> String {
    var out: [UInt8] = []
    appendCSVField(s, to: &out)
    return String(decoding: out, as: UTF8.self)
}

/// `s` as a CSV field (quoted, with quotes doubled, when it holds a comma, quote or line end),
/// appended as bytes.
func appendCSVField(_ s: String, to out: inout [UInt8]) {
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

func jsonQuote(_ s: String) -> String { NumberFormatting.quoted(s) }
