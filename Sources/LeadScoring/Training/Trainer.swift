import Foundation
import LinearAlgebra

/// Settings of a training run (`leadscore train`).
public struct TrainingOptions: Sendable {
    public var target: TargetSpec
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

    public init(target: TargetSpec) { self.target = target }
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable {
    public var model: LeadModel
    /// All single-column holdout AUCs (the leaks are those ≥ the guard's threshold).
    public var singleColumnAUCs: [LeakFinding]
    public var holdoutIssues: EncodingIssues
}

/// Train → holdout metrics → tiers on the holdout → refit on all labelled rows.
public enum Trainer {
    /// Fewest leads of each outcome we will fit on.
    public static let minimumPerClass = 10

    public static func train(table: Table, schema: Schema, options: TrainingOptions, dataSHA256: String,
                             progress: (String) -> Void = { _ in }) throws -> TrainingResult {
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
        if labels.missingTarget > 0 { notices.append("\(labels.missingTarget) rows with no value in '\(spec.column)' left out") }
        if labels.undecided > 0 { notices.append("\(labels.undecided) rows neither positive nor negative in '\(spec.column)' (still open) left out") }

        // Holdout split.
        let split: Split
        if let timeName = options.timeColumn {
            guard let tc = table.index(of: timeName) else { throw table.unknownColumn(timeName, role: "--time-column") }
            let dayFirst = schema.columns[tc].dayFirst ?? false
            var times: [Double] = []
            var missingTimes = 0
            for r in labels.rows {
                let raw = table.columns[tc][r]
                if schema.missingTokens.isMissing(raw) { times.append(-.greatestFiniteMagnitude); missingTimes += 1; continue }
                guard let t = DateParser.parse(raw, dayFirst: dayFirst) else {
                    throw DataError.badValue(file: table.source, line: table.lines[r], column: timeName, value: raw, reason: "not a date (--time-column needs dates such as 2026-03-01)")
                }
                times.append(t)
            }
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
        let aucs = options.leakageGuard.singleColumnAUCs(table: table, schema: schema, tableRows: labels.rows, y: labels.y, split: split)
        let leaks = aucs.filter { $0.auc >= options.leakageGuard.threshold }

        // Fit on the training part, measure on the holdout.
        let trainRows = split.train.map { labels.rows[$0] }
        let holdoutRows = split.holdout.map { labels.rows[$0] }
        let encoder = FeatureEncoder.fit(table: table, rows: trainRows, schema: schema, minCategoryCount: options.minCategoryCount)
        var issues = EncodingIssues()
        let xTrain = encoder.encode(table: table, rows: trainRows, issues: &issues)
        progress("fitting logistic regression on \(xTrain.rows) leads × \(xTrain.columns) features")
        let holdoutModel = try options.logistic.fit(xTrain, split.train.map { labels.y[$0] })
        var holdoutIssues = EncodingIssues()
        let xHoldout = encoder.encode(table: table, rows: holdoutRows, issues: &holdoutIssues)
        let holdoutP = holdoutModel.probabilities(xHoldout)
        let tiers = options.explicitTiers ?? options.tierPolicy.thresholds(probabilities: holdoutP, labels: holdoutY)
        let report = EvaluationReport(probabilities: holdoutP, labels: holdoutY, thresholds: tiers)
        progress(String(format: "holdout ROC AUC %.4f, log loss %.4f (%d Newton iterations)", report.auc, report.logLoss, holdoutModel.iterations))

        // Refit on every labelled row for the model that will score new leads.
        let finalEncoder = FeatureEncoder.fit(table: table, rows: labels.rows, schema: schema, minCategoryCount: options.minCategoryCount)
        var allIssues = EncodingIssues()
        let xAll = finalEncoder.encode(table: table, rows: labels.rows, issues: &allIssues)
        progress("refitting on all \(xAll.rows) labelled leads")
        let finalModel = try options.logistic.fit(xAll, labels.y)
        if !finalModel.converged {
            notices.append("logistic regression stopped after \(finalModel.iterations) iterations without meeting the tolerance (gradient norm \(finalModel.gradientNorm))")
        }
        if finalModel.usedFallbackSolver {
            notices.append("the Newton system was not positive definite at some step; the SVD fallback solver was used")
        }
        notices += allIssues.messages(file: table.source)

        let formatter = ISO8601DateFormatter()
        var weight = "none"
        switch options.logistic.classWeight {
        case .none: break
        case .balanced: weight = "balanced"
        case let .custom(p, n): weight = "positive=\(p),negative=\(n)"
        }
        let metadata = TrainingMetadata(
            dataFile: URL(fileURLWithPath: table.source).lastPathComponent, dataSHA256: dataSHA256,
            trainedAt: formatter.string(from: Date()), leadscoreVersion: LeadScoreVersion.current,
            rows: labels.rows.count, conversions: positives,
            missingTarget: labels.missingTarget, undecidedTarget: labels.undecided,
            split: split.description, holdout: report,
            hyperparameters: ["l2": "\(options.logistic.l2)", "classWeight": weight,
                              "minCategoryCount": "\(options.minCategoryCount)",
                              "tolerance": "\(options.logistic.tolerance)"],
            iterations: finalModel.iterations, leaks: leaks, notices: notices)
        let model = LeadModel(schema: schema, target: spec, encoder: finalEncoder, predictor: .logistic(finalModel),
                              tiers: tiers, training: metadata)
        return TrainingResult(model: model, singleColumnAUCs: aucs, holdoutIssues: holdoutIssues)
    }
}

public enum LeadScoreVersion {
    public static let current = "0.1.0"
}
