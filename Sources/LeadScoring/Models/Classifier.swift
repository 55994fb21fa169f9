import LinearAlgebra

/// A fitted binary classifier over encoded features.
///
/// `rawScores` are margins on the log-odds scale; `probabilities` apply the link.
/// `contributions` splits one lead's margin into a baseline plus one term per encoded feature,
/// so that `baseline + Σ contributions == rawScore` (the reasons shown with every score).
public protocol Classifier: Codable, Sendable {
    func rawScores(_ x: Matrix) -> [Double]
    func contributions(_ row: [Double], featureMeans: [Double]) -> (baseline: Double, terms: [Double])
}

extension Classifier {
    public func probabilities(_ x: Matrix) -> [Double] { rawScores(x).map(sigmoid) }
}

@inline(__always)
public func sigmoid(_ z: Double) -> Double {
    z >= 0 ? 1 / (1 + (-z).exp) : { let e = z.exp; return e / (1 + e) }()
}

extension Double {
    @inline(__always) var exp: Double { Foundation.exp(self) }
}

import Foundation
