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

    /// How people call it: "logistic regression", "boosted trees".
    public var description: String {
        switch self {
        case .logistic: return "logistic regression"
        case .gbdt: return "boosted trees"
        case .auto: return "the better of logistic regression and boosted trees"
        }
    }
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
    /// The holdout split of the labelled rows (indices into `LabelledData.labels.rows`).
    public var split: Split
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

    /// Trains a model on the labelled rows of `table`: split, leakage guard, learner choice, fit,
    /// calibration, tiers on the holdout, refit on every labelled row.
    public static func train(table: Table, schema inferred: Schema, options: TrainingOptions, dataSHA256: String,
                             progress: @escaping (String) -> Void = { _ in }) throws -> TrainingResult {
        var run = try TrainingRun(table: table, schema: inferred, options: options, progress: progress)
        let split = try run.holdoutSplit()
        let (aucs, leaks) = try run.leaveOutLeaks(split)
        let (kind, oof) = try run.chooseLearner(split)
        let holdout = try run.fitOnTrainingPart(kind, split: split, outOfFold: oof)
        let final = try run.refit(kind, holdoutPredictor: holdout.predictor)
        let labels = run.data.labels
        let metadata = TrainingMetadata(
            dataFile: URL(fileURLWithPath: table.source).lastPathComponent, dataSHA256: dataSHA256,
            trainedAt: ISO8601DateFormatter().string(from: Date()), leadscoreVersion: LeadScoreVersion.current,
            rows: labels.rows.count, conversions: labels.positives,
            missingTarget: labels.missingTarget, undecidedTarget: labels.undecided,
            split: split.description, holdout: holdout.report,
            hyperparameters: run.hyperparameters(final.predictor),
            iterations: final.predictor.iterations, leaks: leaks, leftOut: LeftOutColumn.list(schema: run.schema, leaks: leaks),
            notices: run.notices,
            importance: try importance(encoder: final.encoder, predictor: final.predictor, table: table,
                                       rows: split.holdout.map { labels.rows[$0] }))
        var model = LeadModel(schema: run.schema, target: run.data.target, encoder: final.encoder, predictor: final.predictor,
                              tiers: holdout.tiers, training: metadata)
        model.calibration = holdout.calibration
        model.profile = DataProfile.build(table: table, rows: labels.rows, schema: run.schema, probabilities: holdout.probabilities)
        return TrainingResult(model: model, split: split, singleColumnAUCs: aucs, timings: run.timings)
    }
}

/// One training run's state as it goes through its phases (`Trainer.train`).
struct TrainingRun {
    var options: TrainingOptions
    /// The inferred schema, with probable leaks left out as they are found.
    var schema: Schema
    let data: LabelledData
    var notices: [String] = []
    var timings: [String: Double] = [:]
    private var clock = Date()
    let progress: (String) -> Void
    /// Set by --tune.
    private var tuning: TuningReport? = nil

    var table: Table { data.table }
    var labels: Labels { data.labels }

    init(table: Table, schema: Schema, options: TrainingOptions, progress: @escaping (String) -> Void) throws {
        for name in options.allowedLeaks where table.index(of: name) == nil { throw table.unknownColumn(name, role: "--allow-leak") }
        self.options = options
        self.schema = schema
        self.progress = progress
        data = try LabelledData(table: table, schema: schema, target: options.target)
        let labels = data.labels, column = data.target.column
        let positives = labels.positives, negatives = labels.y.count - positives
        guard positives >= Trainer.minimumPerClass, negatives >= Trainer.minimumPerClass else {
            throw DataError.tooFewRows(SourceLocation(file: table.source), reason: "only \(positives) converted and \(negatives) not converted leads with a known outcome in '\(column)'; need at least \(Trainer.minimumPerClass) of each")
        }
        guard !schema.featureColumns.isEmpty else {
            throw DataError.tooFewRows(SourceLocation(file: table.source), reason: "no usable feature columns (see `leadscore schema`)")
        }
        // Oddities worth reading; identifiers, dates and the target are listed elsewhere.
        notices = schema.columns.filter { $0.kind.isFeature || [.text, .constant, .empty].contains($0.kind) }
            .compactMap { c in c.notice.map { "'\(c.name.isEmpty ? "(no name)" : c.name)': \($0)" } }
        if positives < Trainer.comfortablePositives {
            notices.append("only \(positives) converted leads (fewer than \(Trainer.comfortablePositives)): the model and its holdout numbers are fragile; read the AUC's confidence interval, and retrain as history grows")
        }
        if labels.missingTarget > 0 { notices.append("\(labels.missingTarget) rows with no value in '\(column)' left out") }
        if labels.undecided > 0 { notices.append("\(labels.undecided) rows neither positive nor negative in '\(column)' (still open) left out") }
    }

    /// Records the seconds since the last phase ended under `name`.
    mutating func lap(_ name: String) {
        timings[name] = Date().timeIntervalSince(clock)
        clock = Date()
    }

    /// The most recent 20% by the time column, else a stratified random 20%; both parts must
    /// hold both outcomes.
    mutating func holdoutSplit() throws -> Split {
        let split: Split
        if let timeName = options.timeColumn {
            let (times, missingTimes) = try TimeColumn.read(table, column: timeName, schema: schema, rows: labels.rows)
            if missingTimes > 0 { notices.append("\(missingTimes) rows with no '\(timeName)' counted as oldest (training side)") }
            split = Split.byTime(times, holdoutFraction: options.holdoutFraction, column: timeName)
        } else {
            split = Split.stratified(labels: labels.y, holdoutFraction: options.holdoutFraction, seed: options.seed)
        }
        let holdoutY = split.holdout.map { labels.y[$0] }, trainY = split.train.map { labels.y[$0] }
        guard holdoutY.contains(1), holdoutY.contains(0), trainY.contains(1), trainY.contains(0) else {
            throw DataError.tooFewRows(SourceLocation(file: table.source), reason: "the holdout (\(split.description)) or the training part has only one outcome; use more data or a random split")
        }
        progress("split: \(split.train.count) training rows, \(split.holdout.count) holdout rows (\(split.description))")
        clock = Date()
        return split
    }

    /// Every column's single-column holdout AUC, and the probable leaks among them, which are
    /// left out of the schema unless kept: a column that alone nearly decides the outcome was
    /// probably filled in after it, and a model built on it scores history well and new leads
    /// not at all.
    mutating func leaveOutLeaks(_ split: Split) throws -> (aucs: [LeakFinding], leaks: [LeakFinding]) {
        let aucs = options.leakageGuard.singleColumnAUCs(table: table, schema: schema, tableRows: labels.rows, y: labels.y, split: split)
        let leaks = aucs.filter { $0.auc >= options.leakageGuard.threshold }
        for leak in leaks {
            let allowed = options.keepLeaks || options.allowedLeaks.contains { $0.lowercased() == leak.column.lowercased() }
            guard !allowed, let i = schema.columns.firstIndex(where: { $0.name == leak.column }) else { continue }
            let auc = NumberFormatting.fixed(leak.auc, 3), keep = "--allow-leak \(NumberFormatting.quoted(leak.column)) or --keep-leaks"
            schema.columns[i].kind = .excluded
            schema.columns[i].notice = "probable leak: alone it reaches holdout ROC AUC \(auc); left out (keep it with \(keep))"
            progress("left out '\(leak.column)': a probable leak (alone it reaches holdout ROC AUC \(auc)); keep it with \(keep)")
        }
        guard !schema.featureColumns.isEmpty else {
            throw DataError.tooFewRows(SourceLocation(file: table.source), reason: "every feature column was left out as a probable leak (\(leaks.map { "'\($0.column)'" }.joined(separator: ", "))); keep one with --allow-leak COL if it is known before the outcome")
        }
        lap("leakCheck")
        return (aucs, leaks)
    }

    /// The learner to fit: the one asked for, the better of both by cross-validation on the
    /// training part (`auto`), or the winner of `--tune` (whose settings replace the options).
    /// Returns it with the out-of-fold probabilities computed on the way, for calibration.
    mutating func chooseLearner(_ split: Split) throws -> (ModelChoice, [Double]?) {
        let trainRows = split.train.map { labels.rows[$0] }, trainY = split.train.map { labels.y[$0] }
        if options.tuneBudget != nil || options.tuneTrials != nil {
            let kinds: [ModelChoice] = options.model == .auto ? [.logistic, .gbdt] : [options.model]
            let (winner, tuned, oof, report) = try Trainer.tune(kinds: kinds, table: table, rows: trainRows, y: trainY, schema: schema,
                                                                options: options, budget: options.tuneBudget, trials: options.tuneTrials,
                                                                progress: progress)
            options = tuned
            options.model = winner
            tuning = report
            notices.append("--tune tried \(report.evaluated) settings in \(Int(report.seconds.rounded())) s; best out-of-fold log loss \(NumberFormatting.fixed(report.bestLogLoss, 4))"
                + (report.defaultLogLoss.map { " (defaults: \(NumberFormatting.fixed($0, 4)))" } ?? "") + " with "
                + report.best.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
            lap("tuning")
            return (winner, oof)
        }
        guard options.model == .auto else { return (options.model, nil) }
        var candidates: [(kind: ModelChoice, oof: [Double], loss: Double)] = []
        for kind in [ModelChoice.logistic, .gbdt] {
            let p = try Trainer.outOfFoldProbabilities(kind: kind, table: table, rows: trainRows, y: trainY, schema: schema,
                                                       options: options, progress: progress)
            candidates.append((kind, p, Metrics.logLoss(p, trainY)))
            progress("auto: \(kind.rawValue) out-of-fold log loss \(NumberFormatting.fixed(Metrics.logLoss(p, trainY), 4))")
        }
        let best = candidates[1].loss < candidates[0].loss ? candidates[1] : candidates[0]
        notices.append("--model auto chose \(best.kind.description): \(options.folds)-fold out-of-fold log loss \(NumberFormatting.fixed(candidates[0].loss, 4)) (logistic) vs \(NumberFormatting.fixed(candidates[1].loss, 4)) (trees) on the training part")
        lap("autoSelection")
        return (best.kind, best.oof)
    }

    /// What fitting on the training part gives: the learner, its calibration, the calibrated
    /// holdout probabilities, the tiers chosen on them and the holdout report.
    struct HoldoutFit {
        var predictor: Predictor
        var calibration: Calibration?
        var probabilities: [Double]
        var tiers: TierThresholds
        var report: EvaluationReport
    }

    /// Fits `kind` on the training part, calibrates it on out-of-fold predictions (those of
    /// `auto` when it ran, so the holdout judges it fairly), and measures it on the holdout.
    mutating func fitOnTrainingPart(_ kind: ModelChoice, split: Split, outOfFold: [Double]?) throws -> HoldoutFit {
        let trainRows = split.train.map { labels.rows[$0] }, trainY = split.train.map { labels.y[$0] }
        let holdoutRows = split.holdout.map { labels.rows[$0] }, holdoutY = split.holdout.map { labels.y[$0] }
        progress("fitting \(kind.description) on \(trainRows.count) leads")
        let (encoder, predictor, _) = try Trainer.fit(kind: kind, table: table, rows: trainRows, y: trainY, schema: schema,
                                                      options: options, fixedTrees: nil, progress: progress)
        // Unreadable values are reported once, from the final encoding of every row.
        var ignored = EncodingIssues()
        let rawP = predictor.classifier.uncalibratedProbabilities(try encoder.encode(table: table, rows: holdoutRows, issues: &ignored))
        var calibration: Calibration? = nil
        let calibrationRowLimit = 200_000
        if options.calibration == .auto && outOfFold == nil && trainRows.count > calibrationRowLimit {
            notices.append("calibration not fitted: \(trainRows.count) training rows would need \(options.folds) extra fits; log-loss models are close to calibrated at this size (see the reliability table; force it with --calibration platt or isotonic)")
        } else if options.calibration != .none {
            let oof = try outOfFold ?? Trainer.outOfFoldProbabilities(kind: kind, table: table, rows: trainRows, y: trainY,
                                                                      schema: schema, options: options, progress: progress)
            switch options.calibration {
            case .platt: calibration = Calibration.fitPlatt(oof, trainY)
            case .isotonic: calibration = Calibration.fitIsotonic(oof, trainY)
            default:
                let (chosen, losses) = Calibration.choose(probabilities: oof, labels: trainY, seed: options.seed)
                calibration = chosen
                let loss = { (name: String) in NumberFormatting.fixed(losses[name] ?? .nan, 4) }
                notices.append("calibration: \(chosen?.name ?? "none needed") (cross-fitted log loss on out-of-fold predictions: none \(loss("none")), Platt \(loss("platt")), isotonic \(loss("isotonic")))")
            }
        }
        let p = calibration.map { c in rawP.map(c.apply) } ?? rawP
        let tiers = options.explicitTiers ?? options.tierPolicy.thresholds(probabilities: p, labels: holdoutY)
        let report = EvaluationReport(probabilities: p, labels: holdoutY, thresholds: tiers)
        progress("holdout ROC AUC \(NumberFormatting.fixed(report.auc, 4)), log loss \(NumberFormatting.fixed(report.logLoss, 4))")
        lap("holdoutFit")
        return HoldoutFit(predictor: predictor, calibration: calibration, probabilities: p, tiers: tiers, report: report)
    }

    /// The model that scores new leads: refitted on every labelled row (trees: as many as early
    /// stopping kept on the training part).
    mutating func refit(_ kind: ModelChoice, holdoutPredictor: Predictor) throws -> (encoder: FeatureEncoder, predictor: Predictor) {
        progress("refitting on all \(labels.rows.count) labelled leads")
        var fixedTrees: Int? = nil
        if case let .gbdt(m) = holdoutPredictor { fixedTrees = max(1, m.trees.count) }
        let (encoder, predictor, issues) = try Trainer.fit(kind: kind, table: table, rows: labels.rows, y: labels.y, schema: schema,
                                                           options: options, fixedTrees: fixedTrees, progress: progress)
        lap("finalFit")
        if case let .logistic(m) = predictor {
            if !m.converged {
                notices.append("logistic regression stopped after \(m.iterations) iterations without meeting the tolerance (gradient norm \(m.gradientNorm))")
            }
            if m.usedFallbackSolver {
                notices.append("the Newton system was not positive definite at some step; the SVD fallback solver was used")
            }
        }
        notices += issues.messages(file: table.source)
        return (encoder, predictor)
    }

    /// The settings the final model was fitted with.
    func hyperparameters(_ predictor: Predictor) -> Hyperparameters {
        var h = Hyperparameters(minCategoryCount: options.minCategoryCount)
        if let tuning { h.tuned = "\(tuning.evaluated) settings tried in \(Int(tuning.seconds.rounded())) s, seed \(options.seed)" }
        switch predictor {
        case .logistic: h.logistic = options.logistic
        case let .gbdt(m): h.boosting = options.boosting; h.keptTrees = m.trees.count
        }
        return h
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
            let p = predictor.classifier.uncalibratedProbabilities(try encoder.encode(table: table, rows: testIdx.map { rows[$0] }, issues: &issues))
            for (i, t) in testIdx.enumerated() { oof[t] = p[i] }
        }
        return oof
    }
}

public enum LeadScoreVersion {
    public static let current = "0.1.0"
}
