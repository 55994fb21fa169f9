import Foundation
import LeadScoring

/// What `train` (and `quickstart`) print about a trained model.
func printTrainingSummary(_ result: TrainingResult, table: Table) {
    let model = result.model
    let t = model.training
    let schema = model.schema
    let features = schema.featureColumns
    let kinds = Dictionary(grouping: features, by: \.kind).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
    print("Data: \(table.source), \(grouped(table.rowCount)) rows, \(table.header.count) columns")
    print("Features: \(features.count) columns (\(kinds.joined(separator: ", "))) → \(model.encoder.width) encoded features")
    let left = schema.columns.filter { !$0.kind.isFeature && $0.notice != "the target" }
    if !left.isEmpty {
        print("Left out: " + left.map { "\($0.name.isEmpty ? "(no name)" : $0.name) (\($0.kind.rawValue))" }.joined(separator: ", "))
    }
    print("Target '\(model.target.column)': converted = \(model.target.positive.joined(separator: "/")), not converted = \(model.target.negative.isEmpty ? "any other value" : model.target.negative.joined(separator: "/"))")
    print("Labelled leads: \(grouped(t.rows)), of which \(grouped(t.conversions)) converted (\(pct(Double(t.conversions) / Double(max(1, t.rows)))))")
    if !t.notices.isEmpty {
        print("Notices:")
        for n in t.notices { print("  - \(n)") }
    }
    printLeaks(t)
    print("\nHoldout (\(t.split)): \(grouped(t.holdout.rows)) leads, \(grouped(t.holdout.conversions)) converted")
    print(metricsText(t.holdout))
    print("\nTiers (\(model.tiers.method)):")
    print(tierTable(t.holdout.tiers, thresholds: model.tiers))
    if let c = model.calibration { print("Probabilities calibrated by \(c.name) (fitted on out-of-fold predictions of the training part).") }
    if let r = t.holdout.reliability { print("Expected calibration error on the holdout: \(pct(r.expectedCalibrationError, digits: 2))") }
    switch model.predictor {
    case let .logistic(m):
        print("\nLogistic regression: L2 \(m.l2), \(m.iterations) Newton iterations, gradient norm \(String(format: "%.2e", m.gradientNorm))\(m.converged ? "" : " (not converged)")")
    case let .gbdt(m):
        let s = m.settings
        let settings = t.hyperparameters.boosting
        var stopping = (settings?.earlyStopping ?? 0) > 0
            ? " (chosen by early stopping on a 10% validation part, at most \(settings.map { String($0.trees) } ?? "?"))" : ""
        if let auto = t.hyperparameters.autoTrees { stopping = " (from \(auto.folds)-fold cross-validation on the training part)" }
        print("\nBoosted trees: \(m.trees.count) trees\(stopping), \(s.tree.leaves) leaves, learning rate \(s.learningRate), L2 \(s.tree.l2), min leaf \(s.tree.minLeaf)")
        if let blend = model.blend {
            print("Blended with logistic regression (L2 \(blend.logistic.l2)): margin = \(blend.weights.description)")
        }
    }
    if let importance = t.importance, !importance.isEmpty {
        print("\nStrongest features (mean |contribution| to the log-odds on the holdout):")
        print(renderTable(["feature", "mean |contribution|"] + (importance.first?.gain != nil ? ["total gain"] : []),
                          importance.prefix(8).map { i in [i.feature, num(i.meanAbsContribution)] + (i.gain.map { [num($0, 1)] } ?? []) }))
    }
}

/// One line per probable leak: left out (how to keep it), or kept (a warning).
func printLeaks(_ t: TrainingMetadata) {
    let leftOut = Set((t.leftOut ?? []).filter { $0.leakAUC != nil }.map(\.column))
    for leak in t.leaks {
        if leftOut.contains(leak.column) {
            print("Left out '\(leak.column)': a probable leak (alone it reaches holdout ROC AUC \(num(leak.auc)): likely filled in after the outcome is known). Keep it with --allow-leak \"\(leak.column)\" or --keep-leaks.")
        } else {
            print("WARNING: kept '\(leak.column)', a probable leak: alone it reaches holdout ROC AUC \(num(leak.auc)). It is likely filled in after the outcome is known; a model that uses it cannot score new leads.")
        }
    }
}
