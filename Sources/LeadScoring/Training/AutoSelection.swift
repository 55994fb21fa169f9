import Foundation
import LinearAlgebra

/// How `--model auto` chose the number of trees: from its cross-validation folds, each fold's
/// fit early-stopped on that fold's held-out part, rather than from one small validation part.
public struct AutoTrees: Codable, Equatable, Sendable {
    public var folds: Int
    /// Each fold's best iteration on its own held-out part.
    public var bestIterations: [Int]
    /// Where the mean of the folds' held-out log-loss curves is lowest (models fitted on
    /// (k−1)/k of the training part).
    public var crossValidated: Int
    /// `trees / crossValidated`: more rows support more trees at the same learning rate.
    public var scale: Double
    /// Trees fitted on the training part, with no validation split.
    public var trees: Int
    /// `--trees`, the most any fit may grow.
    public var ceiling: Int

    public var description: String {
        "\(folds)-fold CV: \(trees) trees (mean held-out log loss lowest at \(crossValidated) trees on \(folds - 1)/\(folds) of the rows, × \(NumberFormatting.fixed(scale, 2)); best iterations \(bestIterations.map(String.init).joined(separator: ", ")); at most \(ceiling))"
    }
}

/// `--model auto`'s candidates.
enum AutoWinner: Equatable {
    case logistic, trees, blend

    /// The lowest out-of-fold log loss wins; the blend only when strictly below both single
    /// learners (it costs a second learner in the model file and in every score), trees only
    /// when strictly below logistic regression (the simpler model on a tie).
    static func choose(logistic: Double, trees: Double, blend: Double) -> AutoWinner {
        if blend < min(logistic, trees) { return .blend }
        return trees < logistic ? .trees : .logistic
    }
}

/// What `--model auto` decided, kept on the run for the fits that follow.
struct AutoOutcome {
    var trees: AutoTrees?
    /// Set when the blend of both learners won.
    var blend: BlendWeights?
}

extension Trainer {
    /// Stratified fold of every row (0..<k), shuffled by `seed`: the same assignment for every
    /// learner cross-validated on the same rows.
    static func foldAssignment(y: [Double], k: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        var fold = [Int](repeating: 0, count: y.count)
        for label in [0.0, 1.0] {
            var members = y.indices.filter { y[$0] == label }
            members.shuffle(using: &rng)
            for (i, m) in members.enumerated() { fold[m] = i % k }
        }
        return fold
    }

    /// How many more trees the training part supports than a fold's fit:
    /// ```
    /// scale = √(training rows / fold-training rows)     (√1.5 ≈ 1.22 with 3 folds)
    /// ```
    /// More rows support more trees at the same learning rate, but the held-out curves are flat
    /// near their lowest point, and the model that scores new leads is refitted on the holdout
    /// too with the same count. Measured on three tables (sample, X Education, a telecom-churn-like
    /// table; test part = id % 5 == 0): no scaling, √ and linear (1.5×) scaling gave mean test
    /// log loss 0.3060, 0.3063, 0.3072 and mean AUC 0.8769, 0.8772, 0.8767 — within noise of
    /// each other; the square root sits between the two rules and did not lose on either measure
    /// by more than 0.0003.
    static func treeScale(trainingRows: Int, foldRows: Int) -> Double {
        (Double(trainingRows) / Double(max(1, foldRows))).squareRoot()
    }

    /// Boosted trees cross-validated over the folds of `fold`: each fold's fit early-stopped on
    /// that fold's held-out part (patience `earlyStopping`, at most `trees`), keeping its trees
    /// past the best iteration; the shared count is where the mean held-out curve is lowest, and
    /// every fold's out-of-fold probabilities come from its first that many trees (one count
    /// chosen on all folds, not each fold's own best, so the out-of-fold log loss is not
    /// flattered by choosing on the rows it scores).
    static func crossValidatedTrees(table: Table, rows: [Int], y: [Double], schema: Schema, options: TrainingOptions,
                                    fold: [Int]) throws -> (oof: [Double], trees: AutoTrees) {
        let k = (fold.max() ?? 0) + 1
        let settings = options.boosting
        var fitted: [(model: BoostedTrees, x: Matrix, test: [Int])] = []
        var curves: [(curve: [Double], weight: Double)] = []
        var foldRows = 0
        for f in 0..<k {
            let fitIdx = y.indices.filter { fold[$0] != f }, testIdx = y.indices.filter { fold[$0] == f }
            foldRows = max(foldRows, fitIdx.count)
            let encoder = try FeatureEncoder.fit(table: table, rows: fitIdx.map { rows[$0] }, schema: schema, style: .raw,
                                                 minCategoryCount: options.minCategoryCount)
            var issues = EncodingIssues()
            let x = try encoder.encode(table: table, rows: fitIdx.map { rows[$0] }, issues: &issues)
            let xt = try encoder.encode(table: table, rows: testIdx.map { rows[$0] }, issues: &issues)
            let model = try settings.fit(x, fitIdx.map { y[$0] }, categoryCounts: encoder.categoryCounts,
                                         validation: (xt, testIdx.map { y[$0] }), keepAllTrees: true)
            fitted.append((model, xt, testIdx))
            curves.append((model.validationLoss, Double(testIdx.count)))
        }
        let length = curves.map(\.curve.count).min() ?? 0
        var best = 0, bestLoss = Double.infinity
        let total = curves.reduce(0) { $0 + $1.weight }
        for t in 0..<length {
            let mean = curves.reduce(0) { $0 + $1.weight * $1.curve[t] } / total
            if mean < bestLoss - 1e-12 { bestLoss = mean; best = t + 1 }
        }
        let chosen = max(1, best)
        var oof = [Double](repeating: 0, count: y.count)
        for (model, xt, test) in fitted {
            var cut = model
            cut.trees = Array(model.trees.prefix(chosen))
            let p = cut.uncalibratedProbabilities(xt)
            for (i, t) in test.enumerated() { oof[t] = p[i] }
        }
        let scale = treeScale(trainingRows: y.count, foldRows: foldRows)
        let trees = min(settings.trees, max(1, Int((Double(chosen) * scale).rounded())))
        let auto = AutoTrees(folds: k, bestIterations: fitted.map { $0.model.bestIteration }, crossValidated: chosen,
                             scale: scale, trees: trees, ceiling: settings.trees)
        return (oof, auto)
    }
}

extension TrainingRun {
    /// `--model auto`: logistic regression and boosted trees cross-validated on the same folds
    /// of the training part (the trees' count chosen from those folds), and the stacking blend
    /// of both judged by cross-fitted out-of-fold log loss. The lowest log loss wins. Returns the
    /// learner to fit and, when a single learner won, its out-of-fold probabilities (for
    /// calibration); `auto` holds the tree count and the blend's weights.
    mutating func autoSelect(trainRows: [Int], trainY: [Double]) throws -> (ModelChoice, [Double]?) {
        let fold = Trainer.foldAssignment(y: trainY, k: max(2, options.folds), seed: options.seed &+ 7)
        let logistic = try Trainer.outOfFoldProbabilities(kind: .logistic, table: table, rows: trainRows, y: trainY, schema: schema,
                                                          options: options, progress: progress)
        let logisticLoss = Metrics.logLoss(logistic, trainY)
        progress("auto: logistic out-of-fold log loss \(NumberFormatting.fixed(logisticLoss, 4))")
        let (trees, autoTrees) = try Trainer.crossValidatedTrees(table: table, rows: trainRows, y: trainY, schema: schema,
                                                                 options: options, fold: fold)
        let treesLoss = Metrics.logLoss(trees, trainY)
        progress("auto: gbdt out-of-fold log loss \(NumberFormatting.fixed(treesLoss, 4)) at \(autoTrees.crossValidated) trees")
        let blendLoss = (try? BlendWeights.crossFittedLogLoss(trees: trees, logistic: logistic, y: trainY, fold: fold)) ?? .infinity
        progress("auto: blend cross-fitted out-of-fold log loss \(NumberFormatting.fixed(blendLoss, 4))")
        let losses = "\(options.folds)-fold out-of-fold log loss \(NumberFormatting.fixed(logisticLoss, 4)) (logistic) vs \(NumberFormatting.fixed(treesLoss, 4)) (trees) vs \(blendLoss.isFinite ? NumberFormatting.fixed(blendLoss, 4) : "–") (blend of both, cross-fitted) on the training part"
        var outcome = AutoOutcome(trees: autoTrees, blend: nil)
        let result: (ModelChoice, [Double]?)
        let winner = AutoWinner.choose(logistic: logisticLoss, trees: treesLoss, blend: blendLoss)
        if winner == .blend, let weights = try? BlendWeights.fit(trees: trees, logistic: logistic, y: trainY) {
            outcome.blend = weights
            notices.append("--model auto chose a blend of boosted trees and logistic regression, margin = \(weights.description): \(losses)")
            notices.append("calibration: none (the blend is itself a logistic fit on out-of-fold margins)")
            result = (.gbdt, nil)
        } else if winner != .logistic && treesLoss < logisticLoss {
            notices.append("--model auto chose boosted trees: \(losses)")
            result = (.gbdt, trees)
        } else {
            notices.append("--model auto chose logistic regression: \(losses)")
            result = (.logistic, logistic)
        }
        if result.0 == .gbdt {
            notices.append("--model auto: \(autoTrees.trees) trees from \(autoTrees.folds)-fold CV (best iterations \(autoTrees.bestIterations.map(String.init).joined(separator: ", ")); mean held-out log loss lowest at \(autoTrees.crossValidated), × \(NumberFormatting.fixed(autoTrees.scale, 2)) for the training part's \(trainRows.count) rows), fitted with no validation split")
            // The training part's fit: this many trees on all its rows, no inner validation split.
            options.boosting.trees = autoTrees.trees
            options.boosting.earlyStopping = 0
        }
        auto = outcome
        return result
    }

    /// The blend fitted on the training part: both learners on every training row (the trees
    /// with the count from the folds), combined by the weights fitted on the out-of-fold
    /// predictions, measured on the holdout. No calibration: the blend is one already.
    mutating func fitBlendOnTrainingPart(_ weights: BlendWeights, split: Split) throws -> HoldoutFit {
        let trainRows = split.train.map { labels.rows[$0] }, trainY = split.train.map { labels.y[$0] }
        let holdoutRows = split.holdout.map { labels.rows[$0] }, holdoutY = split.holdout.map { labels.y[$0] }
        progress("fitting boosted trees and logistic regression on \(trainRows.count) leads")
        let (encoder, predictor, issues) = try Trainer.fit(kind: .gbdt, table: table, rows: trainRows, y: trainY, schema: schema,
                                                           options: options, fixedTrees: options.boosting.trees, progress: progress)
        let (linearEncoder, linear, _) = try Trainer.fit(kind: .logistic, table: table, rows: trainRows, y: trainY, schema: schema,
                                                         options: options, fixedTrees: nil, progress: progress)
        guard case let .logistic(logistic) = linear else { preconditionFailure("a logistic fit returned another learner") }
        var ignored = EncodingIssues()
        let treeMargins = predictor.classifier.rawScores(try encoder.encode(table: table, rows: holdoutRows, issues: &ignored))
        let linearMargins = logistic.rawScores(try linearEncoder.encode(table: table, rows: holdoutRows, issues: &ignored))
        let p = treeMargins.indices.map { sigmoid(weights.margin(trees: treeMargins[$0], logistic: linearMargins[$0])) }
        let tiers = options.explicitTiers ?? options.tierPolicy.thresholds(probabilities: p, labels: holdoutY)
        let report = EvaluationReport(probabilities: p, labels: holdoutY, thresholds: tiers)
        progress("holdout ROC AUC \(NumberFormatting.fixed(report.auc, 4)), log loss \(NumberFormatting.fixed(report.logLoss, 4))")
        lap("holdoutFit")
        return HoldoutFit(encoder: encoder, issues: issues, predictor: predictor,
                          blend: Blend(encoder: linearEncoder, logistic: logistic, weights: weights),
                          calibration: nil, probabilities: p, tiers: tiers, report: report)
    }

    /// The blend that scores new leads: both learners refitted on every labelled row (trees: as
    /// many as the training part's fit), with the weights from the out-of-fold predictions.
    mutating func refitBlend(_ weights: BlendWeights, holdoutPredictor: Predictor) throws -> (encoder: FeatureEncoder, predictor: Predictor, blend: Blend) {
        progress("refitting boosted trees and logistic regression on all \(labels.rows.count) labelled leads")
        var fixedTrees = options.boosting.trees
        if case let .gbdt(m) = holdoutPredictor { fixedTrees = max(1, m.trees.count) }
        let (encoder, predictor, issues) = try Trainer.fit(kind: .gbdt, table: table, rows: labels.rows, y: labels.y, schema: schema,
                                                           options: options, fixedTrees: fixedTrees, progress: progress)
        let (linearEncoder, linear, _) = try Trainer.fit(kind: .logistic, table: table, rows: labels.rows, y: labels.y, schema: schema,
                                                         options: options, fixedTrees: nil, progress: progress)
        guard case let .logistic(logistic) = linear else { preconditionFailure("a logistic fit returned another learner") }
        lap("finalFit")
        noteFitOutcome(linear)
        notices += issues.messages(file: table.source)
        return (encoder, predictor, Blend(encoder: linearEncoder, logistic: logistic, weights: weights))
    }

    /// The final model's settings, with how `auto` chose the trees and the blend's weights.
    func finalHyperparameters(_ predictor: Predictor, blend: Blend?) -> Hyperparameters {
        var h = hyperparameters(predictor)
        if case .gbdt = predictor { h.autoTrees = auto?.trees }
        if let blend {
            h.logistic = options.logistic
            h.blend = blend.weights
        }
        return h
    }
}
