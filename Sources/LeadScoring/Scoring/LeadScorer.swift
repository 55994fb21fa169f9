import Foundation
import LinearAlgebra

/// One reason behind a score: a source column, its value for this lead, and how much it moved
/// the log-odds compared with an average lead (positive raises the score).
public struct Reason: Codable, Equatable, Sendable {
    public var feature: String
    public var value: String
    public var contribution: Double

    /// `Total Time Spent on Website=1532 (+1.21)`
    public var text: String {
        "\(feature)=\(value) (\(NumberFormatting.fixed(contribution, 2, plusSign: true)))"
    }
}

/// A scored lead.
public struct ScoredLead: Sendable {
    /// The calibrated probability of converting.
    public var probability: Double
    /// The model's margin (log-odds before calibration): what LightGBM calls the raw score.
    public var margin: Double
    /// `probability` × 100, rounded: what a CRM field shows.
    public var score: Int
    public var tier: Tier
    /// The strongest raising reasons first, then the strongest lowering ones.
    public var reasons: [Reason]
}

/// Scores leads with a model: encode, margin, calibrated probability, tier, reasons. The one
/// scoring path of leadscore: `predict` streams files through it (`score(file:…)`), the service
/// hands it records (`score(records:…)`), and evaluation scores tables (`probabilities(table:…)`);
/// all three encode values with the same `EncodingPlan` and turn margins into probabilities with
/// the same `LeadModel.probability(margin:)`.
public struct LeadScorer: Sendable {
    public let model: LeadModel
    public var tiers: TierThresholds
    /// Reasons per direction (3 up, 3 down by default); 0 turns them off.
    public var reasonsPerSide: Int
    /// Threads for encoding, margins and reasons.
    public var threads: Int
    /// Trees compiled once for every batch.
    private let forest: CompiledForest?

    public init(model: LeadModel, tiers: TierThresholds? = nil, reasonsPerSide: Int = 3, threads: Int = 2) {
        self.model = model
        self.tiers = tiers ?? model.tiers
        self.reasonsPerSide = reasonsPerSide
        self.threads = max(1, threads)
        if case let .gbdt(trees) = model.predictor {
            forest = CompiledForest(trees: trees.trees, mapper: trees.mapper)
        } else {
            forest = nil
        }
    }

    /// Where each model input is in `header` (exact name, else ignoring case); a missing input
    /// is an error listing them all.
    public func fields(in header: [String], file: String) throws -> [Int] {
        let absent = model.encoder.missingColumns(in: header)
        if !absent.isEmpty { throw DataError.missingColumns(SourceLocation(file: file), columns: absent) }
        return model.encoder.columns.compactMap { c in
            header.firstIndex(of: c.name) ?? header.firstIndex { $0.lowercased() == c.name.lowercased() }
        }
    }

    /// Scores the records of a batch; `fields[k]` is the field holding `model.encoder.columns[k]`.
    public func score(batch: RecordBatch, fields: [Int], issues: inout EncodingIssues) -> [ScoredLead] {
        let x = encode(batch: batch, fields: fields, issues: &issues)
        return score(encoded: x) { r in fields.map { batch.string(row: r, field: $0) } }
    }

    /// A batch encoded for the model: its learner's features and, for a blend, the logistic
    /// learner's own features of the same leads.
    public struct EncodedBatch: Sendable {
        public var x: Matrix
        public var linear: Matrix?
        public var rows: Int { x.rows }
    }

    /// Encodes a batch for the model (both encoders for a blend; unreadable values are reported
    /// once, from the model's own encoder, since both read the same columns).
    public func encode(batch: RecordBatch, fields: [Int], issues: inout EncodingIssues) -> EncodedBatch {
        let x = model.encoder.encode(batch: batch, fields: fields, threads: threads, issues: &issues)
        var again = EncodingIssues()
        return EncodedBatch(x: x, linear: model.blend?.encoder.encode(batch: batch, fields: fields, threads: threads, issues: &again))
    }

    /// Scores records handed over as text: `records[i][k]` is lead i's value of
    /// `model.encoder.columns[k]`, `lines[i]` its line (for messages about unreadable values).
    public func score(records: [[String]], lines: [Int], issues: inout EncodingIssues) -> [ScoredLead] {
        var batch = RecordBatch(width: model.encoder.columns.count)
        for (i, record) in records.enumerated() { batch.append(record, line: lines[i]) }
        return score(batch: batch, fields: Array(0..<batch.width), issues: &issues)
    }

    /// Encodes `rows` of an in-memory table for the model (both encoders for a blend).
    public func encode(table: Table, rows: [Int], issues: inout EncodingIssues) throws -> EncodedBatch {
        let x = try model.encoder.encode(table: table, rows: rows, issues: &issues)
        var again = EncodingIssues()
        return EncodedBatch(x: x, linear: try model.blend?.encoder.encode(table: table, rows: rows, issues: &again))
    }

    /// Calibrated probabilities of `rows` of an in-memory table (evaluation and training).
    public func probabilities(table: Table, rows: [Int], issues: inout EncodingIssues) throws -> [Double] {
        margins(try encode(table: table, rows: rows, issues: &issues)).map(model.probability(margin:))
    }

    /// Margins (log-odds before calibration) of an encoded batch: the learner's, or for a blend
    /// `intercept + w_trees · m_trees + w_logistic · m_logistic`.
    public func margins(_ e: EncodedBatch) -> [Double] {
        let own: [Double]
        if case let .gbdt(trees) = model.predictor, let forest { own = trees.rawScores(e.x, forest: forest) } else { own = model.predictor.classifier.rawScores(e.x) }
        guard let blend = model.blend else { return own }
        guard let linear = e.linear else { preconditionFailure("a blended model's batch encoded without the blend's encoder") }
        let other = blend.logistic.rawScores(linear)
        return own.indices.map { blend.weights.margin(trees: own[$0], logistic: other[$0]) }
    }

    /// Scores an encoded batch. `raw(i)` gives lead i's raw feature values, to show the values
    /// behind its reasons (called only when `reasonsPerSide > 0`).
    public func score(encoded e: EncodedBatch, raw: (Int) -> [String]) -> [ScoredLead] {
        let margins = self.margins(e)
        let x = e.x
        let classifier = model.predictor.classifier
        let n = x.rows, width = x.columns
        var result = [ScoredLead](repeating: ScoredLead(probability: 0, margin: 0, score: 0, tier: .cold, reasons: []), count: n)
        let rawValues: [[String]] = reasonsPerSide > 0 ? (0..<n).map(raw) : []
        // Reasons (TreeSHAP for trees) cost far more than the margins: both cores share them.
        let parts = reasonsPerSide > 0 && n >= 256 ? threads : 1
        let chunk = (n + parts - 1) / parts
        result.withUnsafeMutableBufferPointer { out in
            let base = UncheckedSendable(out.baseAddress!)
            parallelFor(parts: parts) { t in
                var buffer = [Double](repeating: 0, count: width)
                for i in (t * chunk)..<min(n, (t + 1) * chunk) {
                    let p = model.probability(margin: margins[i])
                    var reasons: [Reason] = []
                    if reasonsPerSide > 0 {
                        for j in 0..<width { buffer[j] = x[i, j] }
                        var linearRow: [Double]? = nil
                        if let linear = e.linear { linearRow = (0..<linear.columns).map { linear[i, $0] } }
                        reasons = self.reasons(row: buffer, linearRow: linearRow, raw: rawValues[i], classifier: classifier)
                    }
                    base.value[i] = ScoredLead(probability: p, margin: margins[i], score: Int((p * 100).rounded()), tier: tiers.tier(p),
                                               reasons: reasons)
                }
            }
        }
        return result
    }

    /// Per-source-column contributions (summing a column's one-hot and missing-indicator terms),
    /// the top `reasonsPerSide` up and down. For a blend, each column's trees and logistic
    /// contributions weighted as the blend weighs their margins (`linearRow`: the lead's logistic
    /// features), so they still add up to the blended margin less its baseline.
    func reasons(row: [Double], linearRow: [Double]? = nil, raw: [String], classifier: any Classifier) -> [Reason] {
        let (_, terms) = classifier.contributions(row, featureMeans: model.encoder.featureMeans)
        var linearTerms: [Double] = []
        if let blend = model.blend, let linearRow {
            linearTerms = blend.logistic.contributions(linearRow, featureMeans: blend.encoder.featureMeans).terms
        }
        let totals = model.encoder.columnContributions(terms, blend: model.blend, linearTerms: linearTerms)
        var perColumn: [Reason] = []
        for (k, column) in model.encoder.columns.enumerated() {
            let total = totals[k]
            let value = model.encoder.missingTokens.isMissing(raw[k]) ? "missing" : Values.trim(raw[k])
            perColumn.append(Reason(feature: column.name, value: value, contribution: total))
        }
        let up = perColumn.filter { $0.contribution >= 0.005 }.sorted { $0.contribution > $1.contribution }.prefix(reasonsPerSide)
        let down = perColumn.filter { $0.contribution <= -0.005 }.sorted { $0.contribution < $1.contribution }.prefix(reasonsPerSide)
        return Array(up) + Array(down)
    }
}
