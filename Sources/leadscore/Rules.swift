import ArgumentParser
import Foundation
import LeadScoring

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Points-based lead scoring: check a rules file, score leads with it, or derive one from history.",
        discussion: "The rules format is documented in docs/rules.md; datasets/rules-example.yaml is a worked example.",
        subcommands: [RulesCheck.self, RulesScore.self, RulesSuggest.self])
}

/// The inputs every rules command reads: the rules, the leads, the event log and the as-of date.
struct RuleInputOptions: ParsableArguments {
    @Option(help: "Rules file (YAML or JSON).")
    var rules: String

    @Option(help: "CSV of leads.")
    var data: String

    @OptionGroup var context: RuleContextOptions

    @OptionGroup var read: ReadOptions

    /// Reads everything and binds the rules to the data (the checks of `rules check`).
    func load(target: String? = nil) throws -> (RuleScorer, Table, Schema) {
        let ruleSet = try RuleSet.load(path: rules)
        let (table, schema) = try read.source(path: data).load(target: target)
        let log = try context.eventLog
        let scorer = try RuleScorer(rules: ruleSet, table: table, schema: schema, asOf: try context.day, events: log)
        if let log, scorer.unmatchedEventLeads > 0 {
            Console.note("warning: \(log.source): \(grouped(scorer.unmatchedEventLeads)) leads in the event log are not in \(data); their events are ignored")
        }
        return (scorer, table, schema)
    }
}

struct RulesCheck: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a rules file against a CSV's columns and types; print what each rule would do.")

    @OptionGroup var input: RuleInputOptions

    func execute() throws {
        let (scorer, table, _) = try input.load()
        let rules = scorer.rules
        let scores = scorer.scoreAll()
        var fires = [Int](repeating: 0, count: rules.rules.count)
        for s in scores { for f in s.fired { fires[f.rule] += 1 } }
        print("\(input.rules): valid: \(rules.groups.count) group\(rules.groups.count == 1 ? "" : "s"), \(rules.rules.count) rules, tiers MQL ≥ \(formatPoints(rules.mql)), SQL ≥ \(formatPoints(rules.sql)) points")
        print("Checked against \(input.data) (\(grouped(table.rowCount)) leads):\n")
        var k = 0
        var rows: [[String]] = []
        for group in rules.groups {
            for rule in group.rules {
                rows.append([group.name, "\(rule.line)", rule.label, points(rule), "\(grouped(fires[k]))", pct(Double(fires[k]) / Double(max(1, table.rowCount)))])
                k += 1
            }
        }
        print(renderTable(["group", "line", "rule", "points", "fires on", "share"], rows))
        let silent = zip(rules.rules, fires).filter { $0.1 == 0 }.map(\.0)
        for rule in silent { Console.note("warning: \(input.rules):\(rule.line): '\(rule.label)' fires on no lead in \(input.data)") }
        print("\nTiers on these leads: " + tierCounts(scores).map { "\($0.name) \(grouped($0.count)) (\(pct($0.share)))" }.joined(separator: ", "))
    }

    func points(_ rule: Rule) -> String {
        switch rule.kind {
        case let .when(_, p): return (p > 0 ? "+" : "") + formatPoints(p)
        case let .per(_, p, _), let .on(_, p, _, _, _): return (p > 0 ? "+" : "") + formatPoints(p) + " each"
        }
    }
}

struct RulesScore: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score leads with a rules file: total, points per group, grade, tier and the rules that fired.")

    @OptionGroup var input: RuleInputOptions

    @Option(help: "Output CSV.")
    var out: String

    @Option(help: ArgumentHelp("Input columns to copy to the output besides the id columns, or 'all'.", valueName: "COL,..."))
    var keep: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func execute() throws {
        try checkWritable(out)
        let (scorer, table, schema) = try input.load()
        let rules = scorer.rules
        var keepColumns = schema.identifierColumns.compactMap { table.index(of: $0.name) }
        if let keep {
            if keep.lowercased() == "all" { keepColumns = Array(table.header.indices) }
            for name in splitList(keep) where keep.lowercased() != "all" {
                guard let i = table.index(of: name) else { throw table.unknownColumn(name, role: "--keep") }
                if !keepColumns.contains(i) { keepColumns.append(i) }
            }
        }
        let scores = scorer.scoreAll()
        let labels = rules.rules.map(\.label)
        let writer = RecordWriter(format: .csv, columns: keepColumns.map { table.header[$0] } + ["points"] + rules.groups.map { "points_\($0.name)" }
                                  + (rules.grade != nil ? ["grade"] : []) + ["tier", "rules_fired"])
        let file = try AtomicFile(path: out)
        var bytes = writer.header()
        for (r, s) in scores.enumerated() {
            writer.append(to: &bytes) { w in
                for c in keepColumns { w.text(table.columns[c][r]) }
                w.text(formatPoints(s.total))
                for g in s.groups { w.text(formatPoints(g)) }
                if let g = s.grade { w.text(g) }
                w.text(s.tier.rawValue)
                w.text(s.fired.map { "\(labels[$0.rule]) (\($0.points > 0 ? "+" : "")\(formatPoints($0.points)))" }.joined(separator: "; "))
            }
            if bytes.count >= 1 << 16 { try file.write(bytes: bytes); bytes.removeAll(keepingCapacity: true) }
        }
        try file.write(bytes: bytes)
        try file.commit()
        let tiers = tierCounts(scores)
        let summary = RuleScoreSummary(leads: scores.count, asOf: DateParser.isoDate(days: Int(scorer.asOf / 86_400)),
                                       tiers: Dictionary(uniqueKeysWithValues: tiers.map { ($0.name, $0.count) }),
                                       meanPoints: Dictionary(uniqueKeysWithValues: rules.groups.indices.map { g in
                                           (rules.groups[g].name, scores.map { $0.groups[g] }.reduce(0, +) / Double(max(1, scores.count)))
                                       }),
                                       out: out)
        if json { print(try jsonString(summary)); return }
        print("Scored \(grouped(scores.count)) leads with \(input.rules) (as of \(summary.asOf)) → \(out)")
        print(renderTable(["tier", "leads", "share"], tiers.map { [$0.name, grouped($0.count), pct($0.share)] }))
        print("Mean points per group: " + rules.groups.map { "\($0.name) \(num(summary.meanPoints[$0.name] ?? 0, 1))" }.joined(separator: ", "))
    }
}

struct RuleScoreSummary: Codable {
    var leads: Int
    var asOf: String
    var tiers: [String: Int]
    var meanPoints: [String: Double]
    var out: String
}


struct RulesSuggest: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "Derive a points scorecard from labelled history and write it as a rules file.",
        discussion: """
        Numeric columns are cut into quantile bands and categories grouped; a regularised logistic \
        regression on those attributes is scaled to whole points (--double-odds points double the \
        odds of converting). Its holdout ROC AUC is reported next to the full model's on the same split.
        """)

    @Option(help: "Labelled CSV of past leads.")
    var data: String

    @OptionGroup var targetOptions: TargetOptions

    @Option(help: "Rules file to write (YAML).")
    var out: String

    @Option(name: .customLong("double-odds"), help: "Points that double the odds of converting.")
    var doubleOdds: Double = 20

    @Option(help: "Bands per numeric column.")
    var bands: Int = 5

    @OptionGroup var read: ReadOptions

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard doubleOdds > 0 else { throw ValidationError("--double-odds must be positive") }
        guard (2...20).contains(bands) else { throw ValidationError("--bands must be between 2 and 20") }
    }

    func execute() throws {
        try checkWritable(out)
        let data = try LabelledData.load(try read.source(path: self.data), target: try targetOptions.spec, hashing: true)
        let labels = data.labels, table = data.table
        // The full model on the same stratified split, for its holdout AUC.
        var options = TrainingOptions(target: data.target)
        options.model = .auto
        let full = try Trainer.train(table: table, schema: data.schema, options: options, dataSHA256: table.sha256 ?? "")
        let split = full.split  // the model's own holdout: both judged on the same leads
        var builder = ScorecardBuilder()
        builder.pointsToDoubleOdds = doubleOdds
        builder.bands = bands
        // The model's schema: probable leaks are left out of the scorecard as of the model.
        let trial = try builder.build(table: table, schema: full.model.schema, rows: split.train.map { labels.rows[$0] },
                                      y: split.train.map { labels.y[$0] }, source: out)
        let holdoutRows = split.holdout.map { labels.rows[$0] }
        let holdoutScorer = try RuleScorer(rules: trial.rules, table: table, schema: data.schema, asOf: 0)
        let holdoutPoints = holdoutRows.map { holdoutScorer.score(row: $0).total }
        let scorecardAUC = Metrics.rocAUC(holdoutPoints, split.holdout.map { labels.y[$0] })
        // The file: refit on every labelled lead.
        let final = try builder.build(table: table, schema: full.model.schema, rows: labels.rows, y: labels.y, source: out)
        let fullAUC = full.model.training.holdout.auc
        let header = [
            "Suggested by `leadscore rules suggest` from \(data) (\(grouped(labels.rows.count)) labelled leads, \(grouped(labels.positives)) converted).",
            "Points: \(formatPoints(doubleOdds)) points double the odds of converting; each column's most common value scores 0.",
            "Holdout ROC AUC (stratified 20%): this scorecard \(num(scorecardAUC)), the full \(full.model.kindDescription) model \(num(fullAUC)).",
            "Tiers: chosen on the history as the model's are (SQL converts at ≥ 70%, MQL at ≥ 40%, where the data allow).",
        ]
        let file = try AtomicFile(path: out)
        try file.write(final.rules.yaml(header: header))
        try file.commit()
        let summary = SuggestSummary(out: out, rules: final.attributes.count, scorecardHoldoutAUC: scorecardAUC, modelHoldoutAUC: fullAUC,
                                     model: full.model.kindDescription, mql: final.rules.mql, sql: final.rules.sql)
        if json { print(try jsonString(summary)); return }
        print("Wrote \(out): \(final.attributes.count) point rules, tiers MQL ≥ \(formatPoints(final.rules.mql)), SQL ≥ \(formatPoints(final.rules.sql)) points")
        print("Holdout ROC AUC: scorecard \(num(scorecardAUC)), full model (\(full.model.kindDescription)) \(num(fullAUC))")
        let top = final.attributes.sorted { abs($0.points) > abs($1.points) }.prefix(8)
        print(renderTable(["rule", "points"], top.map { [$0.condition.text, ($0.points > 0 ? "+" : "") + formatPoints($0.points)] }))
        for leak in full.model.training.leaks {
            Console.note("note: left out '\(leak.column)': alone it reaches holdout ROC AUC \(num(leak.auc)), probably filled in after the outcome")
        }
    }
}

struct SuggestSummary: Codable {
    var out: String
    var rules: Int
    var scorecardHoldoutAUC: Double
    var modelHoldoutAUC: Double
    var model: String
    var mql: Double
    var sql: Double
}

/// Leads per tier (SQL, MQL, Cold) and their share.
func tierCounts(_ scores: [RuleScore]) -> [(name: String, count: Int, share: Double)] {
    Tier.allCases.reversed().map { tier in
        let count = scores.filter { $0.tier == tier }.count
        return (tier.rawValue, count, scores.isEmpty ? 0 : Double(count) / Double(scores.count))
    }
}
