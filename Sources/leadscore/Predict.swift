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
        let featureIndex = leadModel.encoder.columns.map { index($0.name)! }
        var keepColumns = leadModel.schema.identifierColumns.compactMap { index($0.name) }
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
        let output = try AtomicFile(path: out)
        let writer = ScoreWriter(json: json, keepNames: keepColumns.map { header[$0] }, addLine: addLine, withReasons: reasons > 0)
        try output.write(writer.header())
        var issues = EncodingIssues()
        var batch: [[String]] = [], kept: [[String]] = [], lines: [Int] = []
        var count = 0
        var tierCounts: [Tier: Int] = [:]
        func flush() throws {
            guard !batch.isEmpty else { return }
            let scored = scorer.score(rows: batch, lines: lines, issues: &issues)
            var text = ""
            for (i, lead) in scored.enumerated() {
                text += writer.row(kept: kept[i], line: lines[i], lead: lead)
                tierCounts[lead.tier, default: 0] += 1
            }
            try output.write(text)
            count += batch.count
            if count % 200_000 < batch.count { Console.note("scored \(grouped(count)) leads (\(elapsed(start)))") }
            batch.removeAll(keepingCapacity: true); kept.removeAll(keepingCapacity: true); lines.removeAll(keepingCapacity: true)
        }
        while let record = try reader.next() {
            batch.append(featureIndex.map { record.fields[$0] })
            kept.append(keepColumns.map { record.fields[$0] })
            lines.append(record.line)
            if batch.count == 4096 { try flush() }
        }
        try flush()
        try output.commit()
        for message in issues.messages(file: data) { Console.note("warning: \(message)") }
        let summary = Tier.allCases.reversed().map { "\($0.rawValue) \(grouped(tierCounts[$0] ?? 0))" }.joined(separator: ", ")
        Console.note("Scored \(grouped(count)) leads from \(data) into \(out): \(summary) (\(elapsed(start)))")
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

    func row(kept: [String], line: Int, lead: ScoredLead) -> String {
        let p = NumberFormatting.fixed(lead.probability, 6)
        if json {
            var parts = zip(keepNames, kept).map { "\(jsonQuote($0)):\(jsonQuote($1))" }
            if addLine { parts.append("\"line\":\(line)") }
            parts += ["\"probability\":\(p)", "\"score\":\(lead.score)", "\"tier\":\"\(lead.tier.rawValue)\""]
            if withReasons {
                let reasons = lead.reasons.map {
                    "{\"feature\":\(jsonQuote($0.feature)),\"value\":\(jsonQuote($0.value)),\"contribution\":\(NumberFormatting.fixed($0.contribution, 4))}"
                }
                parts.append("\"reasons\":[\(reasons.joined(separator: ","))]")
            }
            return "{" + parts.joined(separator: ",") + "}\n"
        }
        var cells = kept.map(csvField)
        if addLine { cells.append(String(line)) }
        cells += [p, String(lead.score), lead.tier.rawValue]
        if withReasons { cells.append(csvField(lead.reasons.map(\.text).joined(separator: "; "))) }
        return cells.joined(separator: ",") + "\n"
    }
}

func csvField(_ s: String) -> String {
    if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
}

func jsonQuote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
