import LinearAlgebra

/// A fitted binary classifier over encoded features.
///
/// `rawScores` are margins on the log-odds scale. A model's probability is calibrated
/// (`LeadModel.probability(margin:)`); the learner's own, before calibration, is
/// `uncalibratedProbabilities`, used only while training.
/// `contributions` splits one lead's margin into a baseline plus one term per encoded feature,
/// so that `baseline + Σ contributions == rawScore` (the reasons shown with every score).
public protocol Classifier: Codable, Sendable {
    func rawScores(_ x: Matrix) -> [Double]
    func contributions(_ row: [Double], featureMeans: [Double]) -> (baseline: Double, terms: [Double])
}

extension Classifier {
    func uncalibratedProbabilities(_ x: Matrix) -> [Double] { rawScores(x).map(sigmoid) }
}

