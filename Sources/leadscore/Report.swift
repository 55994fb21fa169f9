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

    @OptionGroup var input: LabelledModelData

    @Option(help: "Rules file to compare with (YAML or JSON).")
    var rules: String?

    @OptionGroup var context: RuleContextOptions

    @Option(help: "HTML file to write.")
    var out: String = "report.html"

    func execute() throws {
        try checkWritable(out)
        let ruleSet = try rules.map { try RuleSet.load(path: $0) }
        let (leadModel, data) = try input.load(purpose: "a report")
        let report = try HTMLReport.build(model: leadModel, modelPath: input.model, data: data,
                                          rules: ruleSet, events: try context.eventLog, asOf: try context.day)
        let file = try AtomicFile(path: out)
        try file.write(report.html())
        try file.commit()
        print("Wrote \(out): \(report.chartIDs.count) charts on \(grouped(data.labels.rows.count)) labelled leads (ROC AUC \(num(report.evaluation.auc)))")
    }
}
