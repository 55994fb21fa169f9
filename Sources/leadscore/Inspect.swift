import ArgumentParser
import Foundation
import LeadScoring

struct Inspect: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a model is: schema, strongest effects, metrics and tiers.")

    @Argument(help: "Model file.")
    var model: String

    @Option(help: "How many of the strongest coefficients to show.")
    var top: Int = 15

    @Flag(help: "Print the model file's metadata as JSON.")
    var json = false

    func execute() throws {
        let m = try LeadModel.load(from: model)
        if json {
            print(try jsonString(TrainSummary(model: model, training: m.training, tiers: m.tiers)))
            return
        }
        let t = m.training
        print("\(model): \(m.blend == nil ? m.kind.rawValue : "blend (gbdt + logistic)") model, format version \(m.formatVersion), leadscore \(t.leadscoreVersion)")
        print("Trained \(t.trainedAt) on \(t.dataFile) (SHA-256 \(t.dataSHA256.prefix(16))…): \(grouped(t.rows)) leads, \(grouped(t.conversions)) converted")
        print("Target '\(m.target.column)': converted = \(m.target.positive.joined(separator: "/"))")
        print("Settings: " + t.hyperparameters.summary)
        print("\nInput columns:")
        print(renderTable(["column", "kind", "encoded as"], m.encoder.columns.map { c in
            let how: String
            switch c.encoding {
            case let .numeric(e): how = "standardised (fill \(num(e.fill, 2)))" + (e.missingIndicator ? " + missing flag" : "")
            case let .boolean(e): how = "0/1" + (e.missingIndicator ? " + missing flag" : "")
            case let .categorical(e): how = "one-hot, \(e.levels.count) levels" + (e.hasOther ? " + (other)" : "")
            case let .raw(e): how = e.kind == .categorical ? "category codes, \(e.levels.count) levels + (other)" : "raw value, missing kept"
            }
            return [c.name, m.schema.column(named: c.name)?.kindDescription ?? "-", how]
        }))
        let ignored = m.schema.columns.filter { !$0.kind.isFeature }
        if !ignored.isEmpty {
            print("Not used: " + ignored.map { "\($0.name.isEmpty ? "(no name)" : $0.name) (\($0.kind.rawValue))" }.joined(separator: ", "))
        }
        if let importance = t.importance, !importance.isEmpty {
            print("\nGlobal importance (mean |contribution| to the log-odds on holdout leads" + (importance.first?.gain != nil ? "; total split gain" : "") + "):")
            print(renderTable(["feature", "mean |contribution|"] + (importance.first?.gain != nil ? ["total gain"] : []),
                              importance.prefix(top).map { i in [i.feature, num(i.meanAbsContribution)] + (i.gain.map { [num($0, 1)] } ?? []) }))
        }
        if case let .gbdt(b) = m.predictor {
            print("\nBoosted trees: \(b.trees.count) trees, \(b.settings.tree.leaves) leaves at most, learning rate \(b.settings.learningRate), base margin \(num(b.baseScore))")
        }
        if let blend = m.blend {
            let w = blend.weights
            print("Blend: margin = \(w.description); logistic regression beside the trees: \(blend.encoder.width) encoded features, L2 \(blend.logistic.l2), intercept \(num(blend.logistic.intercept)); no calibration on top")
        }
        if case let .logistic(lr) = m.predictor {
            print("\nStrongest effects (odds ratio per +1 standard deviation, or for the level vs. average):")
            let order = lr.coefficients.indices.sorted { abs(lr.coefficients[$0]) > abs(lr.coefficients[$1]) }.prefix(top)
            print(renderTable(["feature", "coefficient", "odds ratio", "per"], order.map { j in
                let name = m.encoder.featureNames[j]
                var per = "level present"
                for c in m.encoder.columns where j == c.offset {
                    if case let .numeric(e) = c.encoding { per = "+\(num(e.scale, 2)) (1 SD)" }
                    if case .boolean = c.encoding { per = "yes vs. no (scaled)" }
                }
                if name.hasSuffix(" (missing)") { per = "value missing" }
                return [name, String(format: "%+.3f", lr.coefficients[j]), num(exp(lr.coefficients[j]), 2), per]
            }))
            print("Intercept \(num(lr.intercept)), L2 \(lr.l2), \(lr.iterations) Newton iterations")
        }
        print("\nHoldout (\(t.split)):")
        print(metricsText(t.holdout))
        print("\nTiers (\(m.tiers.method)):")
        print(tierTable(t.holdout.tiers, thresholds: m.tiers))
        printLeaks(t)
    }
}
