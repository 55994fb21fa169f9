import Foundation
import LinearAlgebra

/// The weights of a stacking blend of boosted trees and logistic regression:
/// ```
/// margin = intercept + treesWeight · m_trees + logisticWeight · m_logistic
/// ```
/// where `m_…` are each learner's own margin (log-odds). Fitted as a logistic regression on the
/// two learners' out-of-fold margins, so the blended margin is already a calibrated log-odds:
/// no calibrator is fitted on top.
public struct BlendWeights: Codable, Equatable, Sendable {
    public var intercept: Double
    public var treesWeight: Double
    public var logisticWeight: Double

    public init(intercept: Double, treesWeight: Double, logisticWeight: Double) {
        self.intercept = intercept
        self.treesWeight = treesWeight
        self.logisticWeight = logisticWeight
    }

    @inline(__always)
    public func margin(trees: Double, logistic: Double) -> Double {
        intercept + treesWeight * trees + logisticWeight * logistic
    }

    /// `-0.12 + 0.71·trees + 0.35·logistic`
    public var description: String {
        "\(NumberFormatting.fixed(intercept, 3)) + \(NumberFormatting.fixed(treesWeight, 3))·trees + \(NumberFormatting.fixed(logisticWeight, 3))·logistic (log-odds)"
    }

    /// Probabilities are clipped to [1e-15, 1 − 1e-15] before the logit, as log loss clips them.
    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-15), 1 - 1e-15)
        return log(q / (1 - q))
    }

    /// The L2 penalty of the blend's logistic regression: scikit-learn's default `C = 1`. Two
    /// inputs on the log-odds scale and thousands of rows make it nearly unpenalised, while it
    /// keeps the fit finite when one learner's margins separate the classes.
    public static let l2 = 1.0

    /// Fits the weights on out-of-fold probabilities of both learners (aligned with `y`).
    public static func fit(trees: [Double], logistic: [Double], y: [Double]) throws -> BlendWeights {
        precondition(trees.count == y.count && logistic.count == y.count)
        let x = Matrix(rows: y.count, columns: 2, columnMajor: trees.map(logit) + logistic.map(logit))
        let m = try LogisticRegression(l2: l2).fit(x, y)
        return BlendWeights(intercept: m.intercept, treesWeight: m.coefficients[0], logisticWeight: m.coefficients[1])
    }

    /// The blend's probability from both learners' probabilities.
    public func probability(trees: Double, logistic: Double) -> Double {
        sigmoid(margin(trees: BlendWeights.logit(trees), logistic: BlendWeights.logit(logistic)))
    }

    /// The blend's cross-fitted log loss on out-of-fold probabilities: for each fold, the weights
    /// fitted on the other folds score that fold, so the blend is judged on rows its weights
    /// never saw (as the single learners' out-of-fold log losses are).
    public static func crossFittedLogLoss(trees: [Double], logistic: [Double], y: [Double], fold: [Int]) throws -> Double {
        let folds = Set(fold).sorted()
        var p = [Double](repeating: 0.5, count: y.count)
        for f in folds {
            let fit = y.indices.filter { fold[$0] != f }, test = y.indices.filter { fold[$0] == f }
            let w = try BlendWeights.fit(trees: fit.map { trees[$0] }, logistic: fit.map { logistic[$0] }, y: fit.map { y[$0] })
            for i in test { p[i] = w.probability(trees: trees[i], logistic: logistic[i]) }
        }
        return Metrics.logLoss(p, y)
    }
}

/// The second learner of a blended model (`LeadModel.blend`): logistic regression with its own
/// (standardised, one-hot) encoder over the same input columns as the model's trees, and the
/// weights that combine both margins. The model's `encoder` and `predictor` stay the trees'.
public struct Blend: Codable, Equatable, Sendable {
    public var encoder: FeatureEncoder
    public var logistic: LogisticModel
    public var weights: BlendWeights

    public init(encoder: FeatureEncoder, logistic: LogisticModel, weights: BlendWeights) {
        self.encoder = encoder
        self.logistic = logistic
        self.weights = weights
    }
}

extension FeatureEncoder {
    /// Per input column, the model's feature contributions `terms` summed over the column's
    /// features (one-hot levels, missing indicator). With a blend and the lead's logistic
    /// contributions (`linearTerms`, over the blend's encoder), each column's two sums weighted
    /// as the blend weighs the margins, so the columns still add up to the blended margin less
    /// its baseline. Reasons and importance both read contributions through this.
    func columnContributions(_ terms: [Double], blend: Blend? = nil, linearTerms: [Double] = []) -> [Double] {
        columns.enumerated().map { k, column in
            var total = 0.0
            for j in column.offset..<(column.offset + column.width) { total += terms[j] }
            guard let blend, !linearTerms.isEmpty else { return total }
            let c = blend.encoder.columns[k]
            var other = 0.0
            for j in c.offset..<(c.offset + c.width) { other += linearTerms[j] }
            return blend.weights.treesWeight * total + blend.weights.logisticWeight * other
        }
    }
}
