import Foundation
import LinearAlgebra

/// Which learner `train` fits.
/// `--calibration`: auto chooses among none, Platt and isotonic on out-of-fold predictions.
public enum CalibrationChoice: String, Sendable, CaseIterable {
    case auto, none, platt, isotonic
}

public enum ModelChoice: String, Sendable, CaseIterable {
    /// L2 logistic regression (IRLS).
    case logistic
    /// Histogram gradient-boosted trees.
    case gbdt
    /// Both, cross-validated on the training part; the lower out-of-fold log loss wins.
    case auto
}

/// Settings of a training run (`leadscore train`).
public struct TrainingOptions: Sendable {
    public var target: TargetSpec
    /// The library's default is the cheap, deterministic logistic fit; the `train` and
    /// `quickstart` commands ask for `.auto`.
    public var model = ModelChoice.logistic
    public var boosting = GradientBoosting()
    /// Share of the training part held back for early stopping of the trees.
    public var validationFraction = 0.1
    /// Folds for `--model auto`.
    public var folds = 3
    /// A date column: hold out the most recent 20% instead of a random 20%.
    public var timeColumn: String?
    public var logistic = LogisticRegression()
    public var minCategoryCount = FeatureEncoder.defaultMinCategoryCount
    public var tierPolicy = TierPolicy()
    /// Fixed thresholds instead of ones chosen on the holdout.
    public var explicitTiers: TierThresholds?
    /// 20%: enough holdout leads to measure AUC to about ±0.01 on a few thousand leads while
    /// keeping 80% for fitting.
    public var holdoutFraction = 0.2
    public var seed: UInt64 = 42
    public var leakageGuard = LeakageGuard()
    /// Keep every column flagged as a probable leak (`--keep-leaks`); by default they are left out.
    public var keepLeaks = false
    /// Flagged columns to keep all the same (`--allow-leak COL`).
    public var allowedLeaks: [String] = []
    /// How probabilities are calibrated (auto: chosen on out-of-fold predictions).
    public var calibration = CalibrationChoice.auto
    /// `--tune`: seconds for the settings search (nil: no search), or a fixed number of trials.
    public var tuneBudget: Double? = nil
    public var tuneTrials: Int? = nil

    public init(target: TargetSpec) { self.target = target }
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable {
    public var model: LeadModel
    /// All single-column holdout AUCs (the leaks are those ≥ the guard's threshold).
    public var singleColumnAUCs: [LeakFinding]
    /// Wall seconds per phase: `leakCheck`, `autoSelection`, `holdoutFit`, `finalFit` (encode and
    /// fit on every labelled row: the number to compare with another library's fit).
    public var timings: [String: Double]
}

/// Train → holdout metrics → tiers on the holdout → refit on all labelled rows.
public enum Trainer {
    /// Fewest leads of each outcome we will fit on: below 40 a 20% holdout has a handful of
    /// conversions and every number measured on it is noise.
    public static let minimumPerClass = 40
    /// Below this many conversions training warns that the model and its metrics are fragile.
    public static let comfortablePositives = 120

    public static func train(table: Table, schema inferred: Schema, options: TrainingOptions, dataSHA256: String,
                             progress: @escaping (String) -> Void = { _ in }) throws -> TrainingResult {
        var options = options  // --tune replaces the settings
        var schema = inferred  // probable leaks are left out of it
        for name in options.allowedLeaks where table.index(of: name) == nil { throw table.unknownColumn(name, role: "--allow-leak") }
        guard let targetIndex = table.index(of: options.target.column) else {
            throw table.unknownColumn(options.target.column, role: "target")
        }
        let spec = try options.target.resolved(values: table.columns[targetIndex], missing: schema.missingTokens, file: table.source)
        let labels = try Labels(table: table, spec: spec, missing: schema.missingTokens)
        let positives = labels.positives, negatives = labels.y.count - positives
        guard positives >= minimumPerClass, negatives >= minimumPerClass else {
            throw DataError.tooFewRows(file: table.source, reason: "only \(positives) converted and \(negatives) not converted leads with a known outcome in '\(spec.column)'; need at least \(minimumPerClass) of each")
        }
        guard !schema.featureColumns.isEmpty else {
            throw DataError.tooFewRows(file: table.source, reason: "no usable feature columns (see `leadscore schema`)")
        }
        // Oddities worth reading; identifiers, dates and the target are listed elsewhere.
        var notices = schema.columns.filter { $0.kind.isFeature || [.text, .constant, .empty].contains($0.kind) }
            .compactMap { c in c.notice.map { "'\(c.name.isEmpty ? "(no name)" : c.name)': \($0)" } }
        if positives < comfortablePositives {
            notices.append("only \(positives) converted leads (fewer than \(comfortablePositives)): the model and its holdout numbers are fragile; read the AUC's confidence interval, and retrain as history grows")
        }
        if labels.missingTarget > 0 { notices.append("\(labels.missingTarget) rows with no value in '\(spec.column)' left out") }
        if labels.undecided > 0 { notices.append("\(labels.undecided) rows neither positive nor negative in '\(spec.column)' (still open) left out") }

        // Holdout split.
        let split: Split
        if let timeName = options.timeColumn {
            let (times, missingTimes) = try TimeColumn.read(table, column: timeName, schema: schema, rows: labels.rows)
            if missingTimes > 0 { notices.append("\(missingTimes) rows with no '\(timeName)' counted as oldest (training side)") }
            split = Split.byTime(times, holdoutFraction: options.holdoutFraction, column: timeName)
        } else {
            split = Split.stratified(labels: labels.y, holdoutFraction: options.holdoutFraction, seed: options.seed)
        }
        let holdoutY = split.holdout.map { labels.y[$0] }
        guard holdoutY.contains(1), holdoutY.contains(0), split.train.map({ labels.y[$0] }).contains(1), split.train.map({ labels.y[$0] }).contains(0) else {
            throw DataError.tooFewRows(file: table.source, reason: "the holdout (\(split.description)) or the training part has only one outcome; use more data or a random split")
        }
        progress("split: \(split.train.count) training rows, \(split.holdout.count) holdout rows (\(split.description))")

        // Leakage guard on the same split.
        var timings: [String: Double] = [:]
        var clock = Date()
        func lap(_ name: String) { timings[name] = Date().timeIntervalSince(clock); clock = Date() }
        let aucs = options.leakageGuard.singleColumnAUCs(table: table, schema: schema, tableRows: labels.rows, y: labels.y, split: split)
        let leaks = aucs.filter { $0.auc >= options.leakageGuard.threshold }
        // A column that alone nearly decides the outcome was probably filled in after it: a
        // model built on it scores history well and new leads not at all. Left out unless kept.
        for leak in leaks {
            let allowed = options.keepLeaks || options.allowedLeaks.contains { $0.lowercased() == leak.column.lowercased() }
            guard !allowed, let i = schema.columns.firstIndex(where: { $0.name == leak.column }) else { continue }
            schema.columns[i].kind = .excluded
            schema.columns[i].notice = "probable leak: alone it reaches holdout ROC AUC \(NumberFormatting.fixed(leak.auc, 3)); left out (keep it with --allow-leak \(NumberFormatting.quoted(leak.column)) or --keep-leaks)"
            progress("left out '\(leak.column)': a probable leak (alone it reaches holdout ROC AUC \(NumberFormatting.fixed(leak.auc, 3))); keep it with --allow-leak \(NumberFormatting.quoted(leak.column)) or --keep-leaks")
        }
        guard !schema.featureColumns.isEmpty else {
            throw DataError.tooFewRows(file: table.source, reason: "every feature column was left out as a probable leak (\(leaks.map { "'\($0.column)'" }.joined(separator: ", "))); keep one with --allow-leak COL if it is known before the outcome")
        }

        lap("leakCheck")
        // Choose the learner (auto: cross-validation on the training part), or tune it.
        var kind = options.model
        var oofByKind: [ModelChoice: [Double]] = [:]
        var tuning: TuningReport? = nil
        if options.tuneBudget != nil || options.tuneTrials != nil {
            let kinds: [ModelChoice] = options.model == .auto ? [.logistic, .gbdt] : [options.model]
            let (winner, tuned, oof, report) = try tune(kinds: kinds, table: table, rows: split.train.map { labels.rows[$0] },
                                                        y: split.train.map { labels.y[$0] }, schema: schema, options: options,
                                                        budget: options.tuneBudget, trials: options.tuneTrials, progress: progress)
            kind = winner
            options = tuned
            options.model = winner
            oofByKind[winner] = oof
            tuning = report
            notices.append("--tune tried \(report.evaluated) settings in \(Int(report.seconds.rounded())) s; best out-of-fold log loss \(NumberFormatting.fixed(report.bestLogLoss, 4))"
                + (report.defaultLogLoss.map { " (defaults: \(NumberFormatting.fixed($0, 4)))" } ?? "") + " with "
                + report.best.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
            lap("tuning")
        } else if kind == .auto {
            let trainY = split.train.map { labels.y[$0] }
            let trainRows = split.train.map { labels.rows[$0] }
            var losses: [ModelChoice: Double] = [:]
            for candidate in [ModelChoice.logistic, .gbdt] {
                let p = try outOfFoldProbabilities(kind: candidate, table: table, rows: trainRows, y: trainY,
                                                   schema: schema, options: options, progress: progress)
                oofByKind[candidate] = p
                losses[candidate] = Metrics.logLoss(p, trainY)
                progress("auto: \(candidate.rawValue) out-of-fold log loss \(NumberFormatting.fixed(losses[candidate]!, 4))")
            }
            kind = losses[.gbdt]! < losses[.logistic]! ? .gbdt : .logistic
            notices.append("--model auto chose \(kind == .gbdt ? "boosted trees" : "logistic regression"): \(options.folds)-fold out-of-fold log loss \(NumberFormatting.fixed(losses[.logistic]!, 4)) (logistic) vs \(NumberFormatting.fixed(losses[.gbdt]!, 4)) (trees) on the training part")
        }

        if options.model == .auto { lap("autoSelection") }
        // Fit on the training part, measure on the holdout.
        let trainRows = split.train.map { labels.rows[$0] }
        let holdoutRows = split.holdout.map { labels.rows[$0] }
        progress("fitting \(kind == .gbdt ? "boosted trees" : "logistic regression") on \(trainRows.count) leads")
        let (encoder, holdoutPredictor, _) = try fit(kind: kind, table: table, rows: trainRows, y: split.train.map { labels.y[$0] },
                                                  schema: schema, options: options, fixedTrees: nil, progress: progress)
        // Unreadable values are reported once, from the final encoding of every row.
        var holdoutIssues = EncodingIssues()
        let xHoldout = try encoder.encode(table: table, rows: holdoutRows, issues: &holdoutIssues)
        let rawHoldoutP = holdoutPredictor.classifier.probabilities(xHoldout)
        // Calibration on out-of-fold predictions of the training part (those of --model auto
        // when it ran), so the holdout judges it fairly.
        var calibration: Calibration? = nil
        let trainY = split.train.map { labels.y[$0] }
        let calibrationRowLimit = 200_000
        if options.calibration == .auto && oofByKind[kind] == nil && trainRows.count > calibrationRowLimit {
            notices.append("calibration not fitted: \(trainRows.count) training rows would need \(options.folds) extra fits; log-loss models are close to calibrated at this size (see the reliability table; force it with --calibration platt or isotonic)")
        } else if options.calibration != .none {
            let oof = try oofByKind[kind] ?? outOfFoldProbabilities(kind: kind, table: table, rows: trainRows, y: trainY,
                                                                    schema: schema, options: options, progress: progress)
            switch options.calibration {
            case .platt: calibration = Calibration.fitPlatt(oof, trainY)
            case .isotonic: calibration = Calibration.fitIsotonic(oof, trainY)
            default:
                let (chosen, losses) = Calibration.choose(probabilities: oof, labels: trainY, seed: options.seed)
                calibration = chosen
                notices.append("calibration: \(chosen?.name ?? "none needed") (cross-fitted log loss on out-of-fold predictions: none \(NumberFormatting.fixed(losses["none"]!, 4)), Platt \(NumberFormatting.fixed(losses["platt"]!, 4)), isotonic \(NumberFormatting.fixed(losses["isotonic"]!, 4)))")
            }
        }
        let holdoutP = calibration.map { c in rawHoldoutP.map(c.apply) } ?? rawHoldoutP
        let tiers = options.explicitTiers ?? options.tierPolicy.thresholds(probabilities: holdoutP, labels: holdoutY)
        let report = EvaluationReport(probabilities: holdoutP, labels: holdoutY, thresholds: tiers)
        progress("holdout ROC AUC \(NumberFormatting.fixed(report.auc, 4)), log loss \(NumberFormatting.fixed(report.logLoss, 4))")

        // Refit on every labelled row for the model that will score new leads (trees: as many as
        // early stopping kept).
        lap("holdoutFit")
        progress("refitting on all \(labels.rows.count) labelled leads")
        var fixedTrees: Int? = nil
        if case let .gbdt(m) = holdoutPredictor { fixedTrees = max(1, m.trees.count) }
        let (finalEncoder, finalPredictor, finalIssues) = try fit(kind: kind, table: table, rows: labels.rows, y: labels.y, schema: schema,
                                                     options: options, fixedTrees: fixedTrees, progress: progress)
        lap("finalFit")
        var hyperparameters: [String: String] = ["minCategoryCount": "\(options.minCategoryCount)"]
        if let tuning {
            hyperparameters["tuned"] = "\(tuning.evaluated) settings tried in \(Int(tuning.seconds.rounded())) s, seed \(options.seed)"
        }
        var iterations = 0
        switch finalPredictor {
        case let .logistic(finalModel):
            iterations = finalModel.iterations
            if !finalModel.converged {
                notices.append("logistic regression stopped after \(finalModel.iterations) iterations without meeting the tolerance (gradient norm \(finalModel.gradientNorm))")
            }
            if finalModel.usedFallbackSolver {
                notices.append("the Newton system was not positive definite at some step; the SVD fallback solver was used")
            }
            var weight = "none"
            switch options.logistic.classWeight {
            case .none: break
            case .balanced: weight = "balanced"
            case let .custom(p, n): weight = "positive=\(p),negative=\(n)"
            }
            hyperparameters["l2"] = "\(options.logistic.l2)"
            hyperparameters["classWeight"] = weight
            hyperparameters["tolerance"] = "\(options.logistic.tolerance)"
        case let .gbdt(m):
            iterations = m.trees.count
            let b = options.boosting
            hyperparameters["trees"] = "\(m.trees.count)"
            hyperparameters["maxTrees"] = "\(b.trees)"
            hyperparameters["learningRate"] = "\(b.learningRate)"
            hyperparameters["leaves"] = "\(b.tree.leaves)"
            hyperparameters["maxDepth"] = "\(b.tree.maxDepth)"
            hyperparameters["minLeaf"] = "\(b.tree.minLeaf)"
            hyperparameters["l2"] = "\(b.tree.l2)"
            hyperparameters["rowSample"] = "\(b.rowSample)"
            hyperparameters["columnSample"] = "\(b.columnSample)"
            hyperparameters["earlyStopping"] = "\(b.earlyStopping)"
            hyperparameters["seed"] = "\(b.seed)"
        }
        notices += finalIssues.messages(file: table.source)

        let formatter = ISO8601DateFormatter()
        let metadata = TrainingMetadata(
            dataFile: URL(fileURLWithPath: table.source).lastPathComponent, dataSHA256: dataSHA256,
            trainedAt: formatter.string(from: Date()), leadscoreVersion: LeadScoreVersion.current,
            rows: labels.rows.count, conversions: positives,
            missingTarget: labels.missingTarget, undecidedTarget: labels.undecided,
            split: split.description, holdout: report,
            hyperparameters: hyperparameters,
            iterations: iterations, leaks: leaks, leftOut: LeftOutColumn.list(schema: schema, leaks: leaks), notices: notices,
            importance: try importance(encoder: finalEncoder, predictor: finalPredictor, table: table, rows: holdoutRows))
        var model = LeadModel(schema: schema, target: spec, encoder: finalEncoder, predictor: finalPredictor,
                              tiers: tiers, training: metadata)
        model.calibration = calibration
        model.profile = DataProfile.build(table: table, rows: labels.rows, schema: schema, probabilities: holdoutP)
        return TrainingResult(model: model, singleColumnAUCs: aucs, timings: timings)
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
            let x = try encoder.encode(table: table, rows: rows, issues: &issues)
            return (encoder, .logistic(try options.logistic.fit(x, y)), issues)
        }
    }

    /// Mean |contribution| per input column over (up to 1,000) holdout leads, plus split gain for trees.
    static func importance(encoder: FeatureEncoder, predictor: Predictor, table: Table, rows: [Int]) throws -> [FeatureImportance] {
        let sample = Array(rows.prefix(1000))
        var issues = EncodingIssues()
        let x = try encoder.encode(table: table, rows: sample, issues: &issues)
        var totals = [Double](repeating: 0, count: encoder.columns.count)
        let classifier = predictor.classifier
        var row = [Double](repeating: 0, count: encoder.width)
        for i in 0..<x.rows {
            for j in 0..<encoder.width { row[j] = x[i, j] }
            let terms = classifier.contributions(row, featureMeans: encoder.featureMeans).terms
            for (k, c) in encoder.columns.enumerated() {
                var s = 0.0
                for j in c.offset..<(c.offset + c.width) { s += terms[j] }
                totals[k] += abs(s)
            }
        }
        var gains: [Double]? = nil
        if case let .gbdt(m) = predictor { gains = m.gainImportance(features: encoder.width) }
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
        var rng = SeededGenerator(seed: options.seed &+ 7)
        var fold = [Int](repeating: 0, count: y.count)
        for label in [0.0, 1.0] {
            var members = y.indices.filter { y[$0] == label }
            members.shuffle(using: &rng)
            for (i, m) in members.enumerated() { fold[m] = i % k }
        }
        var oof = [Double](repeating: 0, count: y.count)
        for f in 0..<k {
            let fitIdx = y.indices.filter { fold[$0] != f }, testIdx = y.indices.filter { fold[$0] == f }
            let (encoder, predictor, _) = try fit(kind: kind, table: table, rows: fitIdx.map { rows[$0] }, y: fitIdx.map { y[$0] },
                                               schema: schema, options: options, fixedTrees: nil, progress: { _ in })
            var issues = EncodingIssues()
            let p = predictor.classifier.probabilities(try encoder.encode(table: table, rows: testIdx.map { rows[$0] }, issues: &issues))
            for (i, t) in testIdx.enumerated() { oof[t] = p[i] }
        }
        return oof
    }
}

public enum LeadScoreVersion {
    public static let current = "0.1.0"
}
