import ArgumentParser
import Foundation
import LeadScoring

struct Report: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML page of charts: how the model's scores work on labelled leads, and against rules.",
        discussion: """
        ROC and precision-recall curves, cumulative gains and lift, the calibration diagram, conversion \
        per tier, the score distributions of converters and the others, feature importance and partial \
        dependence of the strongest inputs, a threshold explorer and the model's facts; with --rules \
        also the rules on the same axes, the agreement heat map and the capacity view. Inline SVG and \
        CSS only: it opens from disk or as an e-mail attachment, prints, and reads on a phone.
        """)

    @Option(help: "Model file.")
    var model: String

    @Option(help: "Labelled CSV of leads.")
    var data: String

    @OptionGroup var targetOptions: TargetOptions

    @Option(help: "Rules file to compare with (YAML or JSON).")
    var rules: String?

    @Option(help: "Activity log CSV for the rules' 'on:' rules.")
    var events: String?

    @Option(name: .customLong("as-of"), help: "Date rule decay and event windows count to (YYYY-MM-DD; default: today).")
    var asOf: String?

    @Option(help: "Field delimiter: , ; tab or | (default: detected).")
    var delimiter: String?

    @Option(help: "HTML file to write.")
    var out: String = "report.html"

    func execute() throws {
        try checkWritable(out)
        let leadModel = try LeadModel.load(from: model)
        let ruleSet = try rules.map { try RuleSet.load(path: $0) }
        var source = DataSource(path: data, delimiter: try delimiter.map(DataSource.parseDelimiter))
        source.missingTokens = leadModel.schema.missingTokens.tokens
        var spec = leadModel.target
        if let column = targetOptions.target { spec.column = column }
        if targetOptions.positive != nil {
            spec.positive = splitList(targetOptions.positive)
            spec.negative = splitList(targetOptions.negative)
        }
        let (table, schema) = try source.load(target: spec.column)
        let missingColumns = leadModel.encoder.missingColumns(in: table.header)
        if !missingColumns.isEmpty { throw DataError.missingColumns(file: data, columns: missingColumns) }
        guard let tc = table.index(of: spec.column) else { throw table.unknownColumn(spec.column, role: "target") }
        spec = try spec.resolved(values: table.columns[tc], missing: schema.missingTokens, file: data)
        let labels = try Labels(table: table, spec: spec, missing: schema.missingTokens)
        guard labels.y.contains(1), labels.y.contains(0) else {
            throw DataError.target(file: data, column: spec.column, reason: "a report needs both converted and unconverted leads")
        }
        let report = try HTMLReport.build(model: leadModel, modelPath: model, table: table, schema: schema, labels: labels,
                                          rules: ruleSet, events: try events.map { try EventLog.read(path: $0) },
                                          asOf: try RuleScorer.asOfDate(asOf))
        let file = try AtomicFile(path: out)
        try file.write(report.html())
        try file.commit()
        print("Wrote \(out): \(report.chartIDs.count) charts on \(grouped(labels.rows.count)) labelled leads (ROC AUC \(num(report.evaluation.auc)))")
    }
}
