import Foundation

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
    /// Set by `--model auto`: the trees' count from its folds and the blend's weights when it won.
    var auto: AutoOutcome? = nil

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
        let result = try autoSelect(trainRows: trainRows, trainY: trainY)
        lap("autoSelection")
        return result
    }

    /// What fitting on the training part gives: the learner, its calibration, the calibrated
    /// holdout probabilities, the tiers chosen on them and the holdout report.
    struct HoldoutFit {
        var encoder: FeatureEncoder
        var issues: EncodingIssues
        var predictor: Predictor
        /// With a blend: its logistic learner and weights (`predictor` is the trees).
        var blend: Blend? = nil
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
        let (encoder, predictor, issues) = try Trainer.fit(kind: kind, table: table, rows: trainRows, y: trainY, schema: schema,
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
        return HoldoutFit(encoder: encoder, issues: issues, predictor: predictor, calibration: calibration, probabilities: p, tiers: tiers, report: report)
    }

    /// Whether the model is fitted again on every labelled row (`--refit`).
    func shouldRefit(_ split: Split) -> Bool {
        switch options.refit {
        case .always: return true
        case .never: return false
        case .auto: return split.train.count < TrainingOptions.refitRowLimit
        }
    }

    /// The model measured on the holdout, kept as the one that scores new leads.
    mutating func keep(_ holdout: HoldoutFit, split: Split) -> (encoder: FeatureEncoder, predictor: Predictor, blend: Blend?) {
        if options.refit == .auto {
            notices.append("kept the model fitted on the \(split.train.count) training rows, the one the holdout measured: from \(TrainingOptions.refitRowLimit) training rows, refitting with the \(split.holdout.count) holdout rows cannot change it much (refit anyway with --refit always)")
        }
        progress("kept the holdout-measured model (no refit)")
        noteFitOutcome(holdout.predictor)
        if let blend = holdout.blend { noteFitOutcome(.logistic(blend.logistic)) }
        notices += holdout.issues.messages(file: table.source)
        return (holdout.encoder, holdout.predictor, holdout.blend)
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
        noteFitOutcome(predictor)
        notices += issues.messages(file: table.source)
        return (encoder, predictor)
    }

    /// Notices about how a logistic fit ended.
    mutating func noteFitOutcome(_ predictor: Predictor) {
        if case let .logistic(m) = predictor {
            if !m.converged {
                notices.append("logistic regression stopped after \(m.iterations) iterations without meeting the tolerance (gradient norm \(m.gradientNorm))")
            }
            if m.usedFallbackSolver {
                notices.append("the Newton system was not positive definite at some step; the SVD fallback solver was used")
            }
        }
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
