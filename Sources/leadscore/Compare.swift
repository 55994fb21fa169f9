import ArgumentParser
import Foundation
import LeadScoring

struct Compare: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "AI scores against rule points on the same labelled history: which converts better, where they disagree.",
        discussion: """
        Both methods score the same leads. Reported: ROC AUC, PR AUC and lift for each; per tier the \
        leads, conversion rate and share of conversions; the agreement matrix (rule tier × model tier); \
        the leads on which they disagree most; and, for a sales capacity of N calls, the conversions \
        each method puts in its top N against random's.
        """)

    @OptionGroup var input: LabelledModelData

    @Option(help: "Rules file (YAML or JSON).")
    var rules: String

    @Option(help: "Leads sales can work (default: as many as the rules put in SQL).")
    var capacity: Int?

    @OptionGroup var context: RuleContextOptions

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let capacity, capacity < 1 { throw ValidationError("--capacity must be at least 1") }
    }

    func execute() throws {
        let ruleSet = try RuleSet.load(path: rules)
        let (leadModel, data) = try input.load(purpose: "a comparison")
        let day = try context.day
        let report = try ComparisonReport.compute(model: leadModel, rules: ruleSet, data: data, events: try context.eventLog,
                                                  asOf: day, capacity: capacity)
        if json { print(try jsonString(report)); return }
        print("\(input.data): \(grouped(report.rows)) labelled leads, \(grouped(report.conversions)) converted (\(pct(Double(report.conversions) / Double(max(1, report.rows)))))")
        print("model: \(input.model) (\(leadModel.kindDescription))   rules: \(rules), as of \(DateParser.isoDate(days: Int(day / 86_400)))\n")
        print(comparisonText(report))
    }
}

/// The comparison as `compare` and `quickstart` print it.
func comparisonText(_ r: ComparisonReport) -> String {
    var out: [String] = []
    out.append(renderTable(["", "model", "rules"], [
        ["ROC AUC", num(r.ai.auc), num(r.rules.auc)],
        ["PR AUC", num(r.ai.prAuc), num(r.rules.prAuc)],
        ["lift, top 10%", num(r.ai.liftAt10, 2), num(r.rules.liftAt10, 2)],
        ["lift, top 20%", num(r.ai.liftAt20, 2), num(r.rules.liftAt20, 2)],
        ["SQL leads that did not convert", grouped(r.ai.wastedSQL), grouped(r.rules.wastedSQL)],
        ["conversions left in Cold", grouped(r.ai.missedInCold), grouped(r.rules.missedInCold)],
    ]))
    out.append("\nTiers:")
    var rows: [[String]] = []
    for (a, b) in zip(r.ai.tiers, r.rules.tiers) {
        rows.append([a.name, grouped(a.count), pct(a.conversionRate), pct(a.captureRate), grouped(b.count), pct(b.conversionRate), pct(b.captureRate)])
    }
    out.append(renderTable(["tier", "model: leads", "conv. rate", "share of conv.", "rules: leads", "conv. rate", "share of conv."], rows))
    out.append("\nAgreement (rows: rules' tier, columns: model's tier; leads and their conversion rate):")
    let names = Tier.allCases.reversed().map(\.rawValue)
    out.append(renderTable(["rules \\ model"] + names, names.map { rt in
        [rt] + names.map { at in
            guard let c = r.agreement.first(where: { $0.rules == rt && $0.ai == at }), c.count > 0 else { return "0" }
            return "\(grouped(c.count)) (\(pct(c.conversionRate, digits: 0)))"
        }
    }))
    if !r.disagreements.isEmpty {
        out.append("\nWhere they disagree most (percentile: 100 = best-scored lead):")
        out.append(renderTable(["lead", "model", "pctl", "rules", "pctl", "converted"], r.disagreements.map { d in
            [d.id, "\(pct(d.probability)) \(d.aiTier)", num(d.aiPercentile, 0), "\(num(d.points, 0)) pts \(d.ruleTier)", num(d.rulePercentile, 0), d.converted ? "yes" : "no"]
        }))
    }
    out.append("\nCapacity: sales works the top \(grouped(r.capacity)) leads: the model's hold \(num(r.ai.capacityConversions, 1)) conversions, the rules' \(num(r.rules.capacityConversions, 1)), a random pick \(num(r.randomConversions, 1)).")
    out.append(r.verdict)
    return out.joined(separator: "\n")
}
