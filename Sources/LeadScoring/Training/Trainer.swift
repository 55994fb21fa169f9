import Foundation
import LinearAlgebra

/// Train → holdout metrics → tiers on the holdout → refit on all labelled rows.
public enum Trainer {
    /// Fewest leads of each outcome we will fit on: below 40 a 20% holdout has a handful of
    /// conversions and every number measured on it is noise.
    public static let minimumPerClass = 40
    /// Below this many conversions training warns that the model and its metrics are fragile.
    public static let comfortablePositives = 120

    /// Trains a model on the labelled rows of `table`: split, leakage guard, learner choice, fit,
    /// calibration, tiers on the holdout, refit on every labelled row.
    public static func train(table: Table, schema inferred: Schema, options: TrainingOptions, dataSHA256: String,
                             progress: @escaping (String) -> Void = { _ in }) throws -> TrainingResult {
        var run = try TrainingRun(table: table, schema: inferred, options: options, progress: progress)
        let split = try run.holdoutSplit()
        let (aucs, leaks) = try run.leaveOutLeaks(split)
        let (kind, oof) = try run.chooseLearner(split)
        let holdout = try run.auto?.blend.map { try run.fitBlendOnTrainingPart($0, split: split) }
            ?? run.fitOnTrainingPart(kind, split: split, outOfFold: oof)
        let final: (encoder: FeatureEncoder, predictor: Predictor, blend: Blend?)
        if !run.shouldRefit(split) {
            final = run.keep(holdout, split: split)
        } else if let weights = holdout.blend?.weights {
            final = try run.refitBlend(weights, holdoutPredictor: holdout.predictor)
        } else {
            let refitted = try run.refit(kind, holdoutPredictor: holdout.predictor)
            final = (refitted.encoder, refitted.predictor, nil)
        }
        let blend = final.blend
        let labels = run.data.labels
        let importance = try importance(encoder: final.encoder, predictor: final.predictor, blend: blend, table: table,
                                        rows: split.holdout.map { labels.rows[$0] })
        run.lap("importance")
        let metadata = TrainingMetadata(
            dataFile: URL(fileURLWithPath: table.source).lastPathComponent, dataSHA256: dataSHA256,
            trainedAt: ISO8601DateFormatter().string(from: Date()), leadscoreVersion: LeadScoreVersion.current,
            rows: labels.rows.count, conversions: labels.positives,
            missingTarget: labels.missingTarget, undecidedTarget: labels.undecided,
            split: split.description, holdout: holdout.report,
            hyperparameters: run.finalHyperparameters(final.predictor, blend: blend),
            iterations: final.predictor.iterations, leaks: leaks, leftOut: LeftOutColumn.list(schema: run.schema, leaks: leaks),
            notices: run.notices, importance: importance)
        var model = LeadModel(schema: run.schema, target: run.data.target, encoder: final.encoder, predictor: final.predictor,
                              tiers: holdout.tiers, training: metadata)
        model.calibration = holdout.calibration
        model.blend = blend
        model.profile = DataProfile.build(table: table, rows: labels.rows, schema: run.schema, probabilities: holdout.probabilities)
        run.lap("profile")
        return TrainingResult(model: model, split: split, singleColumnAUCs: aucs, timings: run.timings)
    }
}

extension Trainer {
    /// Fits one learner on `rows`: its encoder, then the model. Trees hold back
    /// `validationFraction` of the rows (stratified) for early stopping unless `fixedTrees` is set.
    static func fit(kind: ModelChoice, table: Table, rows: [Int], y: [Double], schema: Schema, options: TrainingOptions,
                    fixedTrees: Int?, progress: @escaping (String) -> Void) throws -> (FeatureEncoder, Predictor, EncodingIssues) {
        switch kind {
        case .gbdt:
            let encoder = try FeatureEncoder.fit(table: table, rows: rows, schema: schema, style: .raw, minCategoryCount: options.minCategoryCount)
            var issues = EncodingIssues()
            var settings = options.boosting
            if let fixedTrees {
                settings.trees = fixedTrees
                settings.earlyStopping = 0
                let x = try encoder.encode(table: table, rows: rows, issues: &issues)
                return (encoder, .gbdt(try settings.fit(x, y, categoryCounts: encoder.categoryCounts, progress: treeProgress(progress))), issues)
            }
            if settings.earlyStopping > 0 {
                let inner = Split.stratified(labels: y, holdoutFraction: options.validationFraction, seed: settings.seed &+ 1)
                let x = try encoder.encode(table: table, rows: inner.train.map { rows[$0] }, issues: &issues)
                let xv = try encoder.encode(table: table, rows: inner.holdout.map { rows[$0] }, issues: &issues)
                let model = try settings.fit(x, inner.train.map { y[$0] }, categoryCounts: encoder.categoryCounts,
                                             validation: (xv, inner.holdout.map { y[$0] }), progress: treeProgress(progress))
                return (encoder, .gbdt(model), issues)
            }
            let x = try encoder.encode(table: table, rows: rows, issues: &issues)
            return (encoder, .gbdt(try settings.fit(x, y, categoryCounts: encoder.categoryCounts, progress: treeProgress(progress))), issues)
        default:
            let encoder = try FeatureEncoder.fit(table: table, rows: rows, schema: schema, style: .linear, minCategoryCount: options.minCategoryCount)
            var issues = EncodingIssues()
            // Dense block + one-hot codes: the n × width matrix is mostly zeros and never built.
            let design = try encoder.encodeDesign(table: table, rows: rows, issues: &issues)
            return (encoder, .logistic(try options.logistic.fit(design: design, y: y)), issues)
        }
    }

    /// Mean |contribution| per input column over (up to 1,000) holdout leads, plus split gain for
    /// trees. With a blend, each column weighs its trees and logistic contributions as the blend
    /// weighs the margins.
    static func importance(encoder: FeatureEncoder, predictor: Predictor, blend: Blend? = nil, table: Table, rows: [Int]) throws -> [FeatureImportance] {
        let sample = Array(rows.prefix(1000))
        var issues = EncodingIssues()
        let x = try encoder.encode(table: table, rows: sample, issues: &issues)
        let xl = try blend.map { try $0.encoder.encode(table: table, rows: sample, issues: &issues) }
        let classifier = predictor.classifier
        let parts = x.rows >= 100 ? 2 : 1
        // Shares of the rows on two threads (TreeSHAP over hundreds of trees is the cost).
        var partTotals = [[Double]](repeating: [Double](repeating: 0, count: encoder.columns.count), count: parts)
        partTotals.withUnsafeMutableBufferPointer { totals in
            let out = UncheckedSendable(totals.baseAddress!)
            parallelFor(parts: parts) { t in
                var row = [Double](repeating: 0, count: encoder.width)
                var linearRow = [Double](repeating: 0, count: blend?.encoder.width ?? 0)
                for i in stride(from: t, to: x.rows, by: parts) {
                    for j in 0..<encoder.width { row[j] = x[i, j] }
                    let terms = classifier.contributions(row, featureMeans: encoder.featureMeans).terms
                    var linear: [Double] = []
                    if let blend, let xl {
                        for j in 0..<xl.columns { linearRow[j] = xl[i, j] }
                        linear = blend.logistic.contributions(linearRow, featureMeans: blend.encoder.featureMeans).terms
                    }
                    let perColumn = encoder.columnContributions(terms, blend: blend, linearTerms: linear)
                    for k in 0..<perColumn.count { out.value[t][k] += abs(perColumn[k]) }
                }
            }
        }
        let totals = (0..<encoder.columns.count).map { k in partTotals.reduce(0) { $0 + $1[k] } }
        // Gains are the trees' alone: given for a model of trees, not for a blend.
        var gains: [Double]? = nil
        if case let .gbdt(m) = predictor, blend == nil { gains = m.gainImportance(features: encoder.width) }
        return encoder.columns.enumerated().map { k, c in
            FeatureImportance(feature: c.name, meanAbsContribution: totals[k] / Double(max(1, x.rows)),
                              gain: gains.map { g in (c.offset..<(c.offset + c.width)).reduce(0) { $0 + g[$1] } })
        }.sorted { $0.meanAbsContribution > $1.meanAbsContribution }
    }

    static func treeProgress(_ progress: @escaping (String) -> Void) -> (Int, Double?) -> Void {
        { t, loss in
            if t % 100 == 0 { progress("tree \(t)" + (loss.map { ", validation log loss \(NumberFormatting.fixed($0, 4))" } ?? "")) }
        }
    }

    /// Out-of-fold probabilities of a learner over `options.folds` stratified folds: each row's
    /// prediction from the model fitted without its fold (aligned with `y`).
    static func outOfFoldProbabilities(kind: ModelChoice, table: Table, rows: [Int], y: [Double], schema: Schema,
                                       options: TrainingOptions, progress: @escaping (String) -> Void) throws -> [Double] {
        let k = max(2, options.folds)
        let fold = foldAssignment(y: y, k: k, seed: options.seed &+ 7)
        var oof = [Double](repeating: 0, count: y.count)
        for f in 0..<k {
            let fitIdx = y.indices.filter { fold[$0] != f }, testIdx = y.indices.filter { fold[$0] == f }
            let (encoder, predictor, _) = try fit(kind: kind, table: table, rows: fitIdx.map { rows[$0] }, y: fitIdx.map { y[$0] },
                                               schema: schema, options: options, fixedTrees: nil, progress: { _ in })
            var issues = EncodingIssues()
            let p = predictor.classifier.uncalibratedProbabilities(try encoder.encode(table: table, rows: testIdx.map { rows[$0] }, issues: &issues))
            for (i, t) in testIdx.enumerated() { oof[t] = p[i] }
        }
        return oof
    }
}

public enum LeadScoreVersion {
    public static let current = "0.1.0"
}
