import ArgumentParser
import Foundation
import LeadScoring

struct Evaluate: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model on labelled leads: AUC, PR AUC, log loss, Brier, lift and tiers.")

    @OptionGroup var input: LabelledModelData

    @OptionGroup var tierOptions: TierOptions

    @Flag(help: "Print JSON.")
    var json = false

    func execute() throws {
        let (leadModel, data) = try input.load(purpose: nil)
        let labels = data.labels
        guard !labels.rows.isEmpty else {
            throw DataError.target(SourceLocation(file: input.data, field: data.target.column), reason: "no rows with a known outcome")
        }
        var issues = EncodingIssues()
        let p = try LeadScorer(model: leadModel, reasonsPerSide: 0).probabilities(table: data.table, rows: labels.rows, issues: &issues)
        // The model's tiers, unless given: explicitly, or by capacity on these labelled leads.
        var thresholds = try tierOptions.explicit ?? leadModel.tiers
        if tierOptions.sqlTop != nil || tierOptions.mqlTop != nil {
            thresholds = try tierOptions.policy.thresholds(probabilities: p, labels: labels.y)
        }
        let report = EvaluationReport(probabilities: p, labels: labels.y, thresholds: thresholds)
        for message in issues.messages(file: input.data) { Console.note("warning: \(message)") }
        if json { print(try jsonString(report)); return }
        print("\(input.data): \(grouped(report.rows)) labelled leads, \(grouped(report.conversions)) converted (\(pct(Double(report.conversions) / Double(max(1, report.rows)))))")
        if labels.missingTarget + labels.undecided > 0 {
            print("Left out: \(labels.missingTarget) with no outcome, \(labels.undecided) neither positive nor negative")
        }
        print(metricsText(report))
        print("\nTiers:")
        print(tierTable(report.tiers, thresholds: thresholds))
        if let reliability = report.reliability {
            print("\nReliability (leads in ten equal groups by predicted probability):")
            print(reliabilityText(reliability))
        }
    }
}
