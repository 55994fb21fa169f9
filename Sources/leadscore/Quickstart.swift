import ArgumentParser
import Foundation
import LeadScoring

struct Quickstart: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train on the bundled sample, score a held-out part and print metrics and tiers.")

    @Option(help: "Sample CSV (default: the bundled datasets/sample-leads.csv).")
    var data: String = "datasets/sample-leads.csv"

    @Option(help: "Model file to write.")
    var out: String = "models/quickstart.json"

    @Option(help: "Scored held-out leads to write.")
    var scored: String = "models/quickstart-scored.csv"

    @Option(help: "Rules to compare the model with (default: the bundled datasets/rules-example.yaml; 'none' to skip).")
    var rules: String = "datasets/rules-example.yaml"

    @Option(name: .customLong("report"), help: "HTML report on the held-out leads to write.")
    var reportPath: String = "models/quickstart-report.html"

    func execute() throws {
        let start = Date()
        guard FileManager.default.fileExists(atPath: data) else {
            throw UsageError("\(data): not found; run quickstart from the repository root, or give --data FILE (make one with `leadscore generate --out FILE`)")
        }
        try checkWritable(out)
        try checkWritable(scored)
        try checkWritable(reportPath)
        if rules != "none" { _ = try RuleSet.load(path: rules) }  // a bad rules file fails before training
        print("leadscore quickstart: train on 80% of \(data), score the other 20% as new leads\n")
        let all = try LabelledData.load(DataSource(path: data), target: TargetSpec(column: "converted"), hashing: true)
        let outer = Split.stratified(labels: all.labels.y, holdoutFraction: 0.2, seed: 7)
        let history = all.table.subset(outer.train.map { all.labels.rows[$0] })
        let heldOut = try LabelledData(table: all.table.subset(outer.holdout.map { all.labels.rows[$0] }), schema: all.schema, target: all.target)
        var options = TrainingOptions(target: all.target)
        options.model = .auto
        let result = try Trainer.train(table: history, schema: all.schema, options: options,
                                       dataSHA256: all.table.sha256 ?? "") { Console.note($0) }
        try result.model.save(to: out)
        printTrainingSummary(result, table: history)

        // Score the leads the model has never seen, as `predict` would: records handed to the scorer.
        let scorer = LeadScorer(model: result.model)
        let newLeads = heldOut.table
        let fields = try scorer.fields(in: newLeads.header, file: newLeads.source)
        let records = (0..<newLeads.rowCount).map { r in fields.map { newLeads.columns[$0][r] } }
        var issues = EncodingIssues()
        let scoredLeads = scorer.score(records: records, lines: newLeads.lines, issues: &issues)
        // The sample's id column (the first column of another file), and the outcome to compare with.
        let idColumn = newLeads.index(of: "lead_id") ?? 0
        let ids = newLeads.columns[idColumn], outcomes = newLeads.columns[newLeads.index(of: all.target.column) ?? 0]
        let writer = ScoreWriter(format: .csv, keepNames: [newLeads.header[idColumn], all.target.column], addLine: false, withReasons: true)
        var text = writer.header()
        for (i, lead) in scoredLeads.enumerated() { writer.append(kept: [ids[i], outcomes[i]], line: 0, lead: lead, to: &text) }
        try AtomicFile.write(Data(text), to: scored)

        let report = EvaluationReport(probabilities: scoredLeads.map(\.probability), labels: heldOut.labels.y, thresholds: result.model.tiers)
        print("\n=== \(grouped(report.rows)) held-out leads scored as new (never seen in training) ===")
        print(metricsText(report))
        print("\nTiers:")
        print(tierTable(report.tiers, thresholds: result.model.tiers))
        if let top = scoredLeads.indices.max(by: { scoredLeads[$0].probability < scoredLeads[$1].probability }) {
            let lead = scoredLeads[top]
            print("\nWhy lead \(ids[top]) scores \(lead.score) (\(lead.tier.rawValue)): " + lead.reasons.map(\.text).joined(separator: "; "))
        }
        // The same held-out leads scored by the rules a marketing team would write, as of the
        // export date (the newest date in the file), so that inactivity decays as it did then.
        let ruleSet = rules == "none" ? nil : try RuleSet.load(path: rules)
        let asOf = try newestDate(table: all.table, schema: all.schema) ?? RuleScorer.asOfDate(nil)
        let page = try HTMLReport.build(model: result.model, modelPath: out, data: heldOut, rules: ruleSet, events: nil, asOf: asOf)
        if let comparison = page.rules?.comparison {
            print("\n=== The model against the rules in \(rules) on the same held-out leads (as of \(DateParser.isoDate(days: Int(asOf / 86_400)))) ===")
            print(comparisonText(comparison))
        }
        try AtomicFile.write(Data(page.html().utf8), to: reportPath)
        print("\nWrote \(out), \(scored) and the report \(reportPath) (open it in a browser) (\(elapsed(start)))")
        print("Next: leadscore predict --model \(out) --data NEW.csv --out scored.csv")
    }
}

/// Midnight UTC of the newest date in any date column: the export date of a CRM file.
func newestDate(table: Table, schema: Schema) -> Double? {
    var newest: Double? = nil
    for column in schema.columns where column.kind == .date {
        guard let c = table.index(of: column.name) else { continue }
        for raw in table.columns[c] {
            if let t = DateParser.parse(raw, dayFirst: column.dayFirst ?? false), t > (newest ?? -.infinity) { newest = t }
        }
    }
    return newest.map { ($0 / 86_400).rounded(.down) * 86_400 }
}
