import ArgumentParser
import Foundation
import LeadScoring

struct Evaluate: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model on labelled leads: AUC, PR AUC, log loss, Brier, lift and tiers.")

    @Option(help: "Model file.")
    var model: String

    @Option(help: "Labelled CSV.")
    var data: String

    @OptionGroup var targetOptions: TargetOptions

    @Option(help: "Field delimiter: , ; tab or | (default: detected).")
    var delimiter: String?

    @OptionGroup var tierOptions: TierOptions

    @Flag(help: "Print JSON.")
    var json = false

    func execute() throws {
        let leadModel = try LeadModel.load(from: model)
        let table = try Table.read(path: data, delimiter: try delimiter.map(DataSource.parseDelimiter))
        let missingColumns = leadModel.encoder.missingColumns(in: table.header)
        if !missingColumns.isEmpty { throw DataError.missingColumns(file: data, columns: missingColumns) }
        // The model's target definition unless the user gives another.
        var spec = leadModel.target
        if let column = targetOptions.target { spec.column = column }
        if targetOptions.positive != nil {
            spec.positive = splitList(targetOptions.positive)
            spec.negative = splitList(targetOptions.negative)
        }
        guard let tc = table.index(of: spec.column) else { throw table.unknownColumn(spec.column, role: "target") }
        spec = try spec.resolved(values: table.columns[tc], missing: leadModel.schema.missingTokens, file: data)
        let labels = try Labels(table: table, spec: spec, missing: leadModel.schema.missingTokens)
        guard !labels.rows.isEmpty else {
            throw DataError.target(file: data, column: spec.column, reason: "no rows with a known outcome")
        }
        var issues = EncodingIssues()
        let p = try LeadScorer(model: leadModel, reasonsPerSide: 0).probabilities(table: table, rows: labels.rows, issues: &issues)
        // The model's tiers, unless given: explicitly, or by capacity on these labelled leads.
        var thresholds = leadModel.tiers
        if let explicit = try tierOptions.explicit {
            thresholds = explicit
        } else if tierOptions.sqlTop != nil || tierOptions.mqlTop != nil {
            thresholds = try tierOptions.policy.thresholds(probabilities: p, labels: labels.y)
        }
        let report = EvaluationReport(probabilities: p, labels: labels.y, thresholds: thresholds)
        for message in issues.messages(file: data) { Console.note("warning: \(message)") }
        if json {
            print(try jsonString(report))
            return
        }
        print("\(data): \(grouped(report.rows)) labelled leads, \(grouped(report.conversions)) converted (\(pct(Double(report.conversions) / Double(max(1, report.rows)))))")
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
