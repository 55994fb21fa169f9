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
                    throw DataError.missingColumns(SourceLocation(file: source.path), columns: [name])
                }
                return i
            }
            for (c, i) in positions.enumerated() { all.columns[c] = all.columns[c].appending(t.columns[i]) }
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
        let combined = try combine()
        let (table, schema, duplicates, idName) = try deduplicated(combined, notes: &notes)
        let data = try LabelledData(table: table, schema: schema, target: training.target)
        let labels = data.labels
        let split = try holdout(data, hasChampion: try registry.index().active != nil, notes: &notes)
        let holdoutRows = split.holdout.map { labels.rows[$0] }
        let holdoutY = split.holdout.map { labels.y[$0] }
        progress("\(labels.rows.count) labelled leads; holdout: \(split.description), \(holdoutRows.count) leads")
        func measure(_ name: String, _ model: LeadModel, version: Int?) throws -> (CandidateResult, [Double]) {
            var issues = EncodingIssues()
            let p = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: table, rows: holdoutRows, issues: &issues)
            let interval = Uncertainty.aucInterval(p, holdoutY)
            return (CandidateResult(name: name, version: version, auc: interval.auc, aucLow: interval.low, aucHigh: interval.high,
                                    logLoss: Metrics.logLoss(p, holdoutY)), p)
        }
        // Challengers, trained on the older part.
        let trainTable = table.subset(split.train.map { labels.rows[$0] })
        var challengers: [(LeadModel, CandidateResult, [Double])] = []
        for kind in [ModelChoice.logistic, .gbdt] {
            var options = training
            options.model = kind
            options.target = data.target
            progress("training the \(kind.description) challenger on \(trainTable.rowCount) leads")
            var model = try Trainer.train(table: trainTable, schema: schema, options: options, dataSHA256: "").model
            model.training.dataFile = sources.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ")
            let (candidate, p) = try measure(kind.description, model, version: nil)
            challengers.append((model, candidate, p))
        }
        guard let best = challengers.min(by: { $0.1.logLoss < $1.1.logLoss }) else { throw UsageError("no challenger was trained") }
        // The champion on the same leads.
        var champion: CandidateResult? = nil, championP: [Double]? = nil
        var drift: DriftReport? = nil
        if let active = try registry.active() {
            let missingColumns = active.model.encoder.missingColumns(in: table.header)
            if missingColumns.isEmpty {
                (champion, championP) = try measure("champion (version \(active.version))", active.model, version: active.version)
                drift = try driftReport(active.model, table: table)
            } else {
                notes.append("the champion (version \(active.version)) needs columns the new data lacks (\(missingColumns.joined(separator: ", "))): it cannot score these leads")
            }
        }
        let difference = championP.map {
            Uncertainty.aucDifferenceInterval(best.2, $0, labels: holdoutY, replicates: replicates, seed: training.seed)
        }
        var (promote, reason) = PromotionRule.decide(champion: champion, challenger: best.1, aucDifference: difference, margin: margin)
        if champion == nil, let active = try registry.index().active {
            promote = true
            reason = "the champion (version \(active)) cannot score the new data: the challenger replaces it"
        }
        var challenger = best.1
        challenger.version = (try registry.index().versions.map(\.version).max() ?? 0) + 1
        let decision = RetrainDecision(
            at: ISO8601DateFormatter().string(from: Date()), dataFiles: sources.map(\.path), rowsRead: combined.rowCount,
            duplicatesRemoved: duplicates, idColumn: idName, labelledRows: labels.rows.count, split: split.description,
            holdoutRows: holdoutRows.count, candidates: challengers.map(\.1), champion: champion, challenger: challenger,
            aucDifference: difference?.difference, aucDifferenceLow: difference?.low, aucDifferenceHigh: difference?.high,
            margin: margin, promoted: promote, reason: reason, drift: drift?.summary)
        let version = try registry.add(best.0, dataFiles: sources.map(\.path), holdoutAUC: best.1.auc, holdoutLogLoss: best.1.logLoss,
                                       decision: try JSONCoding.encoder().encode(decision), activate: promote, reason: reason)
        return Outcome(decision: decision, version: version, active: try registry.index().active, drift: drift, notes: notes)
    }

    /// The combined exports' schema, and the table with duplicate leads by id removed: the newest
    /// row of each lead wins (by the time column, else the later file and row).
    func deduplicated(_ table: Table, notes: inout [String]) throws -> (Table, Schema, duplicates: Int, idColumn: String?) {
        var overrides = sources[0].overrides
        if let tokens = sources[0].missingTokens { overrides.missingTokens = tokens }
        let target = training.target.column
        if table.index(of: target) == nil { throw table.unknownColumn(target, role: "target") }
        // One schema for the combined exports: its columns follow the header, which the
        // de-duplicated table and the training part keep.
        let schema = try SchemaInference().infer(table, overrides: overrides, drop: sources[0].drop, target: target)
        guard let idName = idColumn ?? schema.identifierColumns.first?.name else {
            notes.append("no lead id column found: rows not de-duplicated (give --id-column)")
            return (table, schema, 0, nil)
        }
        guard let ic = table.index(of: idName) else { throw table.unknownColumn(idName, role: "--id-column") }
        let times = try training.timeColumn.map {
            try TimeColumn.read(table, column: $0, schema: schema, rows: Array(0..<table.rowCount)).times
        }
        var keep: [String: Int] = [:]
        var unkeyed: [Int] = []
        var duplicates = 0
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
        guard duplicates > 0 else { return (table, schema, 0, idName) }
        notes.append("\(duplicates) duplicate rows by '\(idName)' removed (the newest row of each lead kept\(training.timeColumn.map { ", by '\($0)'" } ?? ", the later file winning"))")
        return (table.subset((Array(keep.values) + unkeyed).sorted()), schema, duplicates, idName)
    }

    /// The most recent 20% by the time column, else a stratified random 20%.
    func holdout(_ data: LabelledData, hasChampion: Bool, notes: inout [String]) throws -> Split {
        let labels = data.labels
        let split: Split
        if let timeName = training.timeColumn {
            let (times, missingTimes) = try TimeColumn.read(data.table, column: timeName, schema: data.schema, rows: labels.rows)
            if missingTimes > 0 { notes.append("\(missingTimes) rows with no '\(timeName)' counted as oldest (training side)") }
            split = Split.byTime(times, holdoutFraction: training.holdoutFraction, column: timeName)
        } else {
            split = Split.stratified(labels: labels.y, holdoutFraction: training.holdoutFraction, seed: training.seed)
            if hasChampion {
                notes.append("without --time-column the holdout is a random 20% and may hold leads the champion was trained on, which flatters it; give the export's date column")
            }
        }
        let holdoutY = split.holdout.map { labels.y[$0] }
        guard holdoutY.contains(1), holdoutY.contains(0) else {
            throw DataError.tooFewRows(SourceLocation(file: data.table.source), reason: "the recent holdout (\(split.description)) has only one outcome")
        }
        return split
    }

    /// The new data against the champion's training profile.
    func driftReport(_ model: LeadModel, table: Table) throws -> DriftReport? {
        guard let profile = model.profile else { return nil }
        var issues = EncodingIssues()
        let all = Array(0..<table.rowCount)
        let scores = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: table, rows: all, issues: &issues)
        return DriftReport(profile: profile, table: table, rows: all, missing: model.schema.missingTokens, probabilities: scores)
    }
}
