import Foundation
import LeadScoring

/// One harness per parser of outside input. Each takes arbitrary bytes and must return without
/// crashing, hanging or leaking: errors are fine (that is what bad input gets), traps are not.
///
/// `scripts/fuzz.sh` builds these into a libFuzzer binary (`scripts/fuzz/`); the seed corpora
/// and every input that ever crashed a harness live in `Tests/FuzzCorpus/<harness>/` and are
/// replayed as ordinary unit tests (`FuzzReplayTests`), so CI needs no fuzzer.
public enum FuzzTargets {
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "csv": csv, "dates": dates, "numbers": numbers, "rules": rules, "model": model,
        "schema-overrides": schemaOverrides, "events": events, "patterns": patterns, "json": json,
        "service-config": serviceConfiguration, "retry-after": retryAfter,
    ]

    /// A webhook receiver's `Retry-After` header: a wait between 0 and a day, or nothing.
    public static func retryAfter(_ data: [UInt8]) {
        guard let wait = RetryAfter.seconds(String(decoding: data, as: UTF8.self), now: 1_796_000_000) else { return }
        precondition(wait >= 0 && wait <= 86_400, "a Retry-After wait outside 0 s to a day: \(wait)")
    }

    /// The JSON reader of the service's request bodies, and writing back what it read (which
    /// must read again as the same value).
    public static func json(_ data: [UInt8]) {
        guard let value = try? JSONValue.parse(data) else { return }
        let again = try? JSONValue.parse(value.jsonText)
        precondition(again == value, "JSON text written from a parsed value reads back differently")
    }

    /// service.yaml, inputs and durations included.
    public static func serviceConfiguration(_ data: [UInt8]) {
        _ = try? ServiceConfiguration.parse(String(decoding: data, as: UTF8.self), file: "service.yaml")
    }

    /// The CSV readers and schema inference, then every numeric column read in its format. The
    /// table reader's bulk parser (a file) must read exactly what the streaming reader reads
    /// (the same bytes in memory): the same cells and lines, or an error from both.
    public static func csv(_ data: [UInt8]) {
        let streamed = (try? CSVReader(bytes: data, name: "fuzz.csv")).flatMap { try? Table.read($0) }
        let path = NSTemporaryDirectory() + "/leadscore-fuzz-\(getpid()).csv"
        if FileManager.default.createFile(atPath: path, contents: Data(data)) {
            let bulk = try? Table.read(path: path)
            precondition((bulk == nil) == (streamed == nil), "one CSV reader failed where the other read the file")
            if let bulk, let streamed {
                precondition(bulk.header == streamed.header && bulk.lines == streamed.lines
                             && zip(bulk.columns, streamed.columns).allSatisfy { Array($0) == Array($1) },
                             "the table reader and the streaming reader read different cells")
            }
        }
        guard let table = streamed, let schema = try? SchemaInference().infer(table) else { return }
        for (c, column) in schema.columns.enumerated() where column.kind == .numeric {
            for v in table.columns[c] { _ = column.numberFormat.parse(v) }
        }
        if let tc = schema.columns.lastIndex(where: { $0.kind == .boolean }) {
            let spec = TargetSpec(column: table.header[tc])
            if let resolved = try? spec.resolved(column: table.columns[tc], missing: schema.missingTokens, file: table.source) {
                _ = try? Labels(table: table, spec: resolved, missing: schema.missingTokens)
            }
        }
    }

    /// The date parser, both ways round.
    public static func dates(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        _ = DateParser.parse(text)
        _ = DateParser.parse(text, dayFirst: true)
        _ = DateParser.needsDayFirst(text)
    }

    /// The number parser under both decimal marks, and the evidence inference gathers.
    public static func numbers(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        _ = Values.number(text)
        _ = NumberFormat.plain.parse(text)
        _ = NumberFormat(decimal: .comma).parse(text)
        var evidence = NumberFormat.Evidence()
        for part in text.split(separator: "\n", omittingEmptySubsequences: false) { evidence.add(String(part)) }
        _ = evidence.decimalMark(present: max(1, evidence.numbers(.point).numbers), share: 0.99, semicolonFile: true)
    }

    /// A small leads table the rules harness checks rules against.
    static let leads: (Table, Schema)? = {
        var csv = "lead_id,title,visits,revenue,signed_up,last_seen\n"
        for i in 0..<30 {
            csv += "L\(i),\(["VP Sales", "Engineer", "Director of IT", "Intern"][i % 4]),\(i % 9),\(i * 1250).5,\(i % 2 == 0 ? "Yes" : "No"),2026-0\(i % 9 + 1)-1\(i % 10)\n"
        }
        guard let reader = try? CSVReader(bytes: Array(csv.utf8), name: "leads.csv"), let table = try? Table.read(reader),
              let schema = try? SchemaInference().infer(table) else { return nil }
        return (table, schema)
    }()

    /// The rules file reader (YAML with bounds, patterns), then the checks against a table and
    /// scoring every row.
    public static func rules(_ data: [UInt8]) {
        guard let text = String(validating: data, as: UTF8.self), let set = try? RuleSet.parse(text, source: "fuzz.yaml"),
              let (table, schema) = leads else { return }
        let asOf = DateParser.parse("2026-10-01") ?? 0
        guard let scorer = try? RuleScorer(rules: set, table: table, schema: schema, asOf: asOf) else { return }
        _ = scorer.scoreAll()
    }

    /// The model file reader and its validation; a model that loads then scores rows, with reasons.
    public static func model(_ data: [UInt8]) {
        guard let model = try? LeadModel.decode(Data(data), file: "fuzz.json") else { return }
        var row: [String] = model.encoder.columns.map { _ in "" }
        var lines: [Int] = [1]
        var rows = [row]
        for (k, column) in model.encoder.columns.enumerated() {
            row[k] = column.numberFormat.isPlain ? "3" : "1,5"
            if case let .categorical(e) = column.encoding, let level = e.levels.first { row[k] = level }
            if case let .raw(e) = column.encoding, let level = e.levels.first { row[k] = level }
        }
        rows.append(row)
        lines.append(2)
        var issues = EncodingIssues()
        _ = LeadScorer(model: model, reasonsPerSide: 3).score(records: rows, lines: lines, issues: &issues)
    }

    /// The schema override reader.
    public static func schemaOverrides(_ data: [UInt8]) {
        guard let text = String(validating: data, as: UTF8.self) else { return }
        _ = try? SchemaOverrides.parse(text, file: "fuzz.yaml")
    }

    /// The event log reader.
    public static func events(_ data: [UInt8]) {
        guard let reader = try? CSVReader(bytes: data, name: "events.csv") else { return }
        _ = try? EventLog.read(reader)
    }

    /// Rules' regular expressions: the first line is the pattern, the rest the value.
    public static func patterns(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard let regex = try? SafeRegex(String(parts[0])) else { return }
        _ = regex.matches(parts.count > 1 ? String(parts[1]) : "")
    }
}
