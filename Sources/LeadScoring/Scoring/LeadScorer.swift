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
    public var probability: Double
    /// `probability` × 100, rounded: what a CRM field shows.
    public var score: Int
    public var tier: Tier
    /// The strongest raising reasons first, then the strongest lowering ones.
    public var reasons: [Reason]
}

/// Scores leads with a model: encode, margin, probability, tier, reasons.
public struct LeadScorer: Sendable {
    public let model: LeadModel
    public var tiers: TierThresholds
    /// Reasons per direction (3 up, 3 down by default); 0 turns them off.
    public var reasonsPerSide: Int
    /// Trees compiled once for every batch.
    private let forest: CompiledForest?

    public init(model: LeadModel, tiers: TierThresholds? = nil, reasonsPerSide: Int = 3) {
        self.model = model
        self.tiers = tiers ?? model.tiers
        self.reasonsPerSide = reasonsPerSide
        if case let .gbdt(trees) = model.predictor {
            forest = CompiledForest(trees: trees.trees, mapper: trees.mapper)
        } else {
            forest = nil
        }
    }

    /// Scores a batch of raw rows. `rows[i][k]` is the raw value of `model.encoder.columns[k]`
    /// for lead i.
    public func score(rows: [[String]], lines: [Int], issues: inout EncodingIssues) -> [ScoredLead] {
        let encoder = model.encoder
        var x = Matrix(rows: rows.count, columns: encoder.width)
        var buffer = [Double](repeating: 0, count: encoder.width)
        let plan = EncodingPlan(encoder)
        for (i, values) in rows.enumerated() {
            encoder.encodeRow(values, line: lines[i], plan: plan, into: &buffer, issues: &issues)
            for j in 0..<encoder.width { x[i, j] = buffer[j] }
        }
        return score(x, raw: rows)
    }

    /// Margins of an encoded batch (n × encoder width).
    public func margins(_ x: Matrix) -> [Double] {
        if case let .gbdt(trees) = model.predictor, let forest { return trees.rawScores(x, forest: forest) }
        return model.predictor.classifier.rawScores(x)
    }

    /// Scores an encoded batch. `raw[i]` holds lead i's raw feature values, used to show the
    /// values behind its reasons: needed only when `reasonsPerSide > 0`.
    public func score(_ x: Matrix, raw: [[String]]) -> [ScoredLead] {
        let margins = self.margins(x)
        let classifier = model.predictor.classifier
        let n = x.rows, width = x.columns
        var result = [ScoredLead](repeating: ScoredLead(probability: 0, score: 0, tier: .cold, reasons: []), count: n)
        // Reasons (TreeSHAP for trees) cost far more than the margins: both cores share them.
        let parts = reasonsPerSide > 0 && n >= 256 ? 2 : 1
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
                        reasons = self.reasons(row: buffer, raw: raw[i], classifier: classifier)
                    }
                    base.value[i] = ScoredLead(probability: p, score: Int((p * 100).rounded()), tier: tiers.tier(p), reasons: reasons)
                }
            }
        }
        return result
    }

    /// Per-source-column contributions (summing a column's one-hot and missing-indicator terms),
    /// the top `reasonsPerSide` up and down.
    func reasons(row: [Double], raw: [String], classifier: any Classifier) -> [Reason] {
        let (_, terms) = classifier.contributions(row, featureMeans: model.encoder.featureMeans)
        var perColumn: [Reason] = []
        for (k, column) in model.encoder.columns.enumerated() {
            var total = 0.0
            for j in column.offset..<(column.offset + column.width) { total += terms[j] }
            let value = model.encoder.missingTokens.isMissing(raw[k]) ? "missing" : Values.trim(raw[k])
            perColumn.append(Reason(feature: column.name, value: value, contribution: total))
        }
        let up = perColumn.filter { $0.contribution >= 0.005 }.sorted { $0.contribution > $1.contribution }.prefix(reasonsPerSide)
        let down = perColumn.filter { $0.contribution <= -0.005 }.sorted { $0.contribution < $1.contribution }.prefix(reasonsPerSide)
        return Array(up) + Array(down)
    }

    /// Probabilities of every row of an in-memory table (for evaluate and train).
    public func probabilities(table: Table, rows: [Int], issues: inout EncodingIssues) throws -> [Double] {
        let x = try model.encoder.encode(table: table, rows: rows, issues: &issues)
        return model.predictor.classifier.rawScores(x).map(model.probability(margin:))
    }
}
