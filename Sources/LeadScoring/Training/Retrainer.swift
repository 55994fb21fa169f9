import Foundation

/// One model measured on the retraining's recent holdout.
public struct CandidateResult: Codable, Equatable, Sendable {
    public var name: String
    /// The registry version (the champion's, or the one a challenger was saved as).
    public var version: Int?
    public var auc: Double
    public var aucLow: Double
    public var aucHigh: Double
    public var logLoss: Double
}

/// What a retraining decided and why (`decisions/vN.json` in the registry).
public struct RetrainDecision: Codable, Equatable, Sendable {
    public var at: String
    public var dataFiles: [String]
    public var rowsRead: Int
    public var duplicatesRemoved: Int
    public var idColumn: String?
    public var labelledRows: Int
    public var split: String
    public var holdoutRows: Int
    public var candidates: [CandidateResult]
    public var champion: CandidateResult?
    public var challenger: CandidateResult
    /// AUC(challenger) − AUC(champion) with its paired-bootstrap 95% interval.
    public var aucDifference: Double?
    public var aucDifferenceLow: Double?
    public var aucDifferenceHigh: Double?
    /// Relative log-loss improvement the challenger needed.
    public var margin: Double
    public var promoted: Bool
    public var reason: String
    public var drift: String?
}

/// The rule that decides whether a challenger replaces the champion.
public enum PromotionRule {
    /// Promote when there is no champion; otherwise only when the challenger's holdout log loss
    /// is lower by at least `margin` (relative) *and* its AUC is not worse beyond noise: the
    /// 95% interval of AUC(challenger) − AUC(champion) reaches 0 or above. A tie keeps the
    /// champion (a change must earn its disruption).
    public static func decide(champion: CandidateResult?, challenger: CandidateResult,
                              aucDifference: (difference: Double, low: Double, high: Double)?, margin: Double) -> (Bool, String) {
        guard let champion else { return (true, "no active model yet: the best challenger becomes the first active version") }
        let needed = champion.logLoss * (1 - margin)
        let change = (challenger.logLoss - champion.logLoss) / champion.logLoss
        let lossText = "log loss \(NumberFormatting.fixed(challenger.logLoss, 4)) against the champion's \(NumberFormatting.fixed(champion.logLoss, 4)) (\(change <= 0 ? "" : "+")\(NumberFormatting.fixed(change * 100, 1))%)"
        var aucText = "AUC \(NumberFormatting.fixed(challenger.auc, 4)) against \(NumberFormatting.fixed(champion.auc, 4))"
        if let d = aucDifference {
            aucText += " (difference \(NumberFormatting.fixed(d.difference, 4)), 95% CI \(NumberFormatting.fixed(d.low, 4)) to \(NumberFormatting.fixed(d.high, 4)))"
        }
        guard challenger.logLoss <= needed else {
            return (false, "kept the champion: the challenger's \(lossText) is not \(NumberFormatting.fixed(margin * 100, 1))% better; \(aucText)")
        }
        if let d = aucDifference, d.high < 0 {
            return (false, "kept the champion: the challenger's AUC is worse beyond noise: \(aucText); \(lossText)")
        }
        return (true, "promoted: \(lossText), at least \(NumberFormatting.fixed(margin * 100, 1))% better; \(aucText), not worse beyond noise")
    }
}

/// `leadscore retrain`: combine exports, train challengers, hold them and the champion against
/// the most recent leads, and promote only a better model.
public struct Retrainer {
    public var sources: [DataSource]
    public var training: TrainingOptions
    /// The lead id column for de-duplication (nil: the schema's first identifier column).
    public var idColumn: String?
    /// Relative log-loss improvement a challenger needs: 0.5%.
    public var margin = 0.005
    public var replicates = 500

    public init(sources: [DataSource], training: TrainingOptions) {
        self.sources = sources
        self.training = training
    }

    public struct Outcome: Sendable {
        public var decision: RetrainDecision
        public var version: Int
        public var active: Int?
        public var drift: DriftReport?
        public var notes: [String]
    }

    /// Reads every source and stacks them (columns matched by name, in the first file's order).
    public func combine() throws -> Table {
        var combined: Table? = nil
        for source in sources {
            let t = try Table.read(path: source.path, delimiter: source.delimiter)
            guard var all = combined else { combined = t; continue }
            let positions = try all.header.map { name -> Int in
                guard let i = t.index(of: name) else {
                    throw DataError.missingColumns(file: source.path, columns: [name])
                }
                return i
            }
            for (c, i) in positions.enumerated() { all.columns[c] += t.columns[i] }
            all.lines += t.lines
            if t.delimiter != all.delimiter { all.delimiter = UInt8(ascii: ",") }
            all.source += ", " + source.path
            combined = all
        }
        guard let combined else { throw UsageError("retrain needs at least one --data file") }
        return combined
    }

    public func run(registry: ModelRegistry, progress: @escaping (String) -> Void = { _ in }) throws -> Outcome {
        let lock = try registry.lock()
        defer { withExtendedLifetime(lock) {} }
        var notes: [String] = []
        var table = try combine()
        let rowsRead = table.rowCount
        var overrides = sources[0].overrides
        if let tokens = sources[0].missingTokens { overrides.missingTokens = tokens }
        let target = training.target.column
        if table.index(of: target) == nil { throw table.unknownColumn(target, role: "target") }
        // One schema for the combined exports: its columns follow the header, which the
        // de-duplicated table and the training part keep.
        let schema = try SchemaInference().infer(table, overrides: overrides, drop: sources[0].drop, target: target)
        // De-duplicate by lead id: the newest row wins (by the time column, else the later file/row).
        var duplicates = 0
        let idName = idColumn ?? schema.identifierColumns.first?.name
        if let idName {
            guard let ic = table.index(of: idName) else { throw table.unknownColumn(idName, role: "--id-column") }
            var times: [Double]? = nil
            if let timeName = training.timeColumn {
                times = try TimeColumn.read(table, column: timeName, schema: schema, rows: Array(0..<table.rowCount)).times
            }
            var keep: [String: Int] = [:]
            var unkeyed: [Int] = []
            for r in 0..<table.rowCount {
                let id = Values.trim(table.columns[ic][r])
                // A lead without an id is nobody's duplicate.
                if schema.missingTokens.isMissing(id) { unkeyed.append(r); continue }
                if let seen = keep[id] {
                    duplicates += 1
                    if times.map({ $0[r] >= $0[seen] }) ?? true { keep[id] = r }
                } else {
                    keep[id] = r
                }
            }
            if duplicates > 0 {
                table = table.subset((Array(keep.values) + unkeyed).sorted())
                notes.append("\(duplicates) duplicate rows by '\(idName)' removed (the newest row of each lead kept\(training.timeColumn.map { ", by '\($0)'" } ?? ", the later file winning"))")
            }
        } else {
            notes.append("no lead id column found: rows not de-duplicated (give --id-column)")
        }
        // The split: the most recent 20% by time, else stratified random.
        guard let tc = table.index(of: target) else { throw table.unknownColumn(target, role: "target") }
        let spec = try training.target.resolved(values: table.columns[tc], missing: schema.missingTokens, file: table.source)
        let labels = try Labels(table: table, spec: spec, missing: schema.missingTokens)
        let split: Split
        if let timeName = training.timeColumn {
            let (times, missingTimes) = try TimeColumn.read(table, column: timeName, schema: schema, rows: labels.rows)
            if missingTimes > 0 { notes.append("\(missingTimes) rows with no '\(timeName)' counted as oldest (training side)") }
            split = Split.byTime(times, holdoutFraction: training.holdoutFraction, column: timeName)
        } else {
            split = Split.stratified(labels: labels.y, holdoutFraction: training.holdoutFraction, seed: training.seed)
            if try registry.index().active != nil {
                notes.append("without --time-column the holdout is a random 20% and may hold leads the champion was trained on, which flatters it; give the export's date column")
            }
        }
        let trainRows = split.train.map { labels.rows[$0] }, holdoutRows = split.holdout.map { labels.rows[$0] }
        let holdoutY = split.holdout.map { labels.y[$0] }
        guard holdoutY.contains(1), holdoutY.contains(0) else {
            throw DataError.tooFewRows(file: table.source, reason: "the recent holdout (\(split.description)) has only one outcome")
        }
        progress("\(labels.rows.count) labelled leads; holdout: \(split.description), \(holdoutRows.count) leads")
        let trainTable = table.subset(trainRows)

        // Challengers.
        func measure(_ name: String, _ model: LeadModel, version: Int?) throws -> (CandidateResult, [Double]) {
            var issues = EncodingIssues()
            let p = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: table, rows: holdoutRows, issues: &issues)
            let interval = Uncertainty.aucInterval(p, holdoutY)
            return (CandidateResult(name: name, version: version, auc: interval.auc, aucLow: interval.low, aucHigh: interval.high,
                                    logLoss: Metrics.logLoss(p, holdoutY)), p)
        }
        var challengers: [(LeadModel, CandidateResult, [Double])] = []
        for kind in [ModelChoice.logistic, .gbdt] {
            var options = training
            options.model = kind
            options.target = spec
            progress("training the \(kind == .gbdt ? "boosted trees" : "logistic regression") challenger on \(trainRows.count) leads")
            let result = try Trainer.train(table: trainTable, schema: schema, options: options, dataSHA256: "")
            var model = result.model
            model.training.dataFile = sources.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ")
            let (candidate, p) = try measure(kind == .gbdt ? "boosted trees" : "logistic regression", model, version: nil)
            challengers.append((model, candidate, p))
        }
        guard let best = challengers.min(by: { $0.1.logLoss < $1.1.logLoss }) else { throw UsageError("no challenger was trained") }
        // The champion on the same leads.
        var champion: CandidateResult? = nil, championP: [Double]? = nil
        var drift: DriftReport? = nil
        if let active = try registry.active() {
            let version = active.version, model = active.model
            let missingColumns = model.encoder.missingColumns(in: table.header)
            if missingColumns.isEmpty {
                let (c, p) = try measure("champion (version \(version))", model, version: version)
                champion = c
                championP = p
                if let profile = model.profile {
                    var issues = EncodingIssues()
                    let all = Array(0..<table.rowCount)
                    let scores = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: table, rows: all, issues: &issues)
                    drift = DriftReport(profile: profile, table: table, rows: all, missing: model.schema.missingTokens, probabilities: scores)
                }
            } else {
                notes.append("the champion (version \(version)) needs columns the new data lacks (\(missingColumns.joined(separator: ", "))): it cannot score these leads")
            }
        }
        var difference: (difference: Double, low: Double, high: Double)? = nil
        if let championP {
            difference = Uncertainty.aucDifferenceInterval(best.2, championP, labels: holdoutY, replicates: replicates, seed: training.seed)
        }
        var (promote, reason) = PromotionRule.decide(champion: champion, challenger: best.1, aucDifference: difference, margin: margin)
        if champion == nil, let active = try registry.index().active {
            promote = true
            reason = "the champion (version \(active)) cannot score the new data: the challenger replaces it"
        }
        let index = try registry.index()
        let nextVersion = (index.versions.map(\.version).max() ?? 0) + 1
        var challenger = best.1
        challenger.version = nextVersion
        let decision = RetrainDecision(
            at: ISO8601DateFormatter().string(from: Date()), dataFiles: sources.map(\.path), rowsRead: rowsRead,
            duplicatesRemoved: duplicates, idColumn: idName, labelledRows: labels.rows.count, split: split.description,
            holdoutRows: holdoutRows.count, candidates: challengers.map(\.1), champion: champion, challenger: challenger,
            aucDifference: difference?.difference, aucDifferenceLow: difference?.low, aucDifferenceHigh: difference?.high,
            margin: margin, promoted: promote, reason: reason, drift: drift?.summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let version = try registry.add(best.0, dataFiles: sources.map(\.path), holdoutAUC: best.1.auc, holdoutLogLoss: best.1.logLoss,
                                       decision: try encoder.encode(decision), activate: promote, reason: reason)
        return Outcome(decision: decision, version: version, active: try registry.index().active, drift: drift, notes: notes)
    }
}
