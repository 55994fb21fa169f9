import Foundation

/// `train --tune`: a seeded random search over the main settings, each candidate judged by its
/// cross-validated (out-of-fold) log loss on the training part, within a time budget.
public struct TuningReport: Codable, Equatable, Sendable {
    public var evaluated: Int
    public var seconds: Double
    public var bestLogLoss: Double
    /// The winner's settings, e.g. ["model": "gbdt", "learningRate": "0.05", "leaves": "15", …].
    public var best: [String: String]
    /// The default settings' log loss, for comparison.
    public var defaultLogLoss: Double?
}

extension Trainer {
    /// The candidates in the order they are tried: each kind's defaults first, then a seeded
    /// shuffle of the grid (logistic L2 values early: they are cheap).
    static func tuningCandidates(kinds: [ModelChoice], options: TrainingOptions) -> [(ModelChoice, TrainingOptions)] {
        var rng = SeededGenerator(seed: options.seed &+ 0x7E57)
        var first: [(ModelChoice, TrainingOptions)] = [], logistic: [(ModelChoice, TrainingOptions)] = [], trees: [(ModelChoice, TrainingOptions)] = []
        for kind in kinds { first.append((kind, options)) }
        if kinds.contains(.logistic) {
            for l2 in [0.01, 0.1, 10, 100] where l2 != options.logistic.l2 {
                var o = options
                o.logistic.l2 = l2
                logistic.append((.logistic, o))
            }
        }
        if kinds.contains(.gbdt) {
            for lr in [0.03, 0.05, 0.1, 0.2] {
                for leaves in [7, 15, 31, 63] {
                    for minLeaf in [5, 20, 50, 100] {
                        for l2 in [0.0, 1, 10] {
                            var o = options
                            o.boosting.learningRate = lr
                            o.boosting.tree.leaves = leaves
                            o.boosting.tree.minLeaf = minLeaf
                            o.boosting.tree.l2 = l2
                            if o.boosting == options.boosting { continue }
                            trees.append((.gbdt, o))
                        }
                    }
                }
            }
            trees.shuffle(using: &rng)
        }
        logistic.shuffle(using: &rng)
        // Interleave: after the defaults, the logistic values, then trees.
        return first + logistic + trees
    }

    static func settingsDescription(_ kind: ModelChoice, _ o: TrainingOptions) -> [String: String] {
        switch kind {
        case .gbdt:
            return ["model": "gbdt", "learningRate": "\(o.boosting.learningRate)", "leaves": "\(o.boosting.tree.leaves)",
                    "minLeaf": "\(o.boosting.tree.minLeaf)", "l2": "\(o.boosting.tree.l2)"]
        default:
            return ["model": "logistic", "l2": "\(o.logistic.l2)"]
        }
    }

    /// Runs the search; returns the winner's kind and options, its out-of-fold predictions and
    /// the report. Stops starting candidates once `budget` seconds have passed, or after
    /// `trials` candidates (given trials, the result is the same on any machine).
    static func tune(kinds: [ModelChoice], table: Table, rows: [Int], y: [Double], schema: Schema, options: TrainingOptions,
                     budget: Double?, trials: Int?, progress: @escaping (String) -> Void) throws -> (ModelChoice, TrainingOptions, [Double], TuningReport) {
        let start = Date()
        var best: (kind: ModelChoice, options: TrainingOptions, oof: [Double], loss: Double)? = nil
        var evaluated = 0
        var defaultLoss: Double? = nil
        for (i, (kind, candidate)) in tuningCandidates(kinds: kinds, options: options).enumerated() {
            if let trials, evaluated >= trials { break }
            if trials == nil, let budget, evaluated >= kinds.count, Date().timeIntervalSince(start) >= budget { break }
            let oof = try outOfFoldProbabilities(kind: kind, table: table, rows: rows, y: y, schema: schema, options: candidate, progress: { _ in })
            let loss = Metrics.logLoss(oof, y)
            evaluated += 1
            if i < kinds.count { defaultLoss = min(defaultLoss ?? .infinity, loss) }
            progress("tune: \(settingsDescription(kind, candidate).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")): out-of-fold log loss \(NumberFormatting.fixed(loss, 4))")
            if best == nil || loss < best!.loss { best = (kind, candidate, oof, loss) }
        }
        let winner = best!
        let report = TuningReport(evaluated: evaluated, seconds: Date().timeIntervalSince(start), bestLogLoss: winner.loss,
                                  best: settingsDescription(winner.kind, winner.options), defaultLogLoss: defaultLoss)
        return (winner.kind, winner.options, winner.oof, report)
    }
}
