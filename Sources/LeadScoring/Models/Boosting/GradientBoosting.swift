import Dispatch
import Foundation
import LinearAlgebra

/// Histogram gradient boosting for binary log loss (the settings; `fit` returns the model).
public struct GradientBoosting: Codable, Equatable, Sendable {
    /// Maximum number of trees [num_iterations]. With early stopping this is a ceiling.
    public var trees = 500
    /// Shrinkage of each tree [learning_rate]: 0.05 trades a few more trees for steadier
    /// accuracy than LightGBM's 0.1 on the few-thousand-row tables CRMs export.
    public var learningRate = 0.05
    public var tree = TreeSettings()
    /// Share of rows drawn for each tree [bagging_fraction], 1 = all.
    public var rowSample = 1.0
    /// Share of features offered to each tree [feature_fraction], 1 = all.
    public var columnSample = 1.0
    /// Stop after this many rounds without improvement of the validation log loss; 0 = off.
    public var earlyStopping = 50
    public var seed: UInt64 = 42
    /// Threads for histograms and prediction (the machine has 2 cores).
    public var threads = 2
    /// Histograms from gradients quantized to 8-bit integers with stochastic rounding (as
    /// LightGBM's `use_quantized_grad`). nil = automatic: on from 100,000 training rows, where
    /// histograms dominate the time; off below, where exactness is cheap.
    public var quantizedGradients: Bool? = nil

    /// Whether `fit` quantizes gradients for `rows` training rows (packed sums must fit in
    /// 32 bits: below 16.8M rows).
    public func quantizes(rows: Int) -> Bool {
        guard rows < Int(UInt32.max) / 255 else { return false }
        return quantizedGradients ?? (rows >= 100_000)
    }

    public init() {}

    /// Fits on `x` (n × F raw values, NaN = missing; categorical features as codes 0..<k with
    /// `categoryCounts[f] = k`). With `validation`, early stopping keeps the best iteration;
    /// `keepAllTrees` keeps the trees grown after it as well (patience still ends the fit), so
    /// cross-validation can cut every fold's model at one shared count.
    public func fit(_ x: Matrix, _ y: [Double], categoryCounts: [Int?],
                    validation: (x: Matrix, y: [Double])? = nil, keepAllTrees: Bool = false,
                    progress: ((Int, Double?) -> Void)? = nil) throws -> BoostedTrees {
        guard y.count == x.rows else { throw LinearAlgebraError.dimensionMismatch("\(x.rows) rows and \(y.count) labels") }
        let binned = BinnedRows(x, categoryCounts: categoryCounts, seed: seed, threads: threads)
        return try fit(binned, y, validation: validation.map { (binned.mapper.binRows($0.x, threads: threads), $0.y) },
                       keepAllTrees: keepAllTrees, progress: progress)
    }

    /// Fits on rows binned once by the caller (`BinnedRows`, e.g. a subset of a table binned
    /// whole, so a holdout fit, folds and the final fit share one binning). `validation` holds
    /// row-major bins from the same mapper. The same trees as `fit(_:_:categoryCounts:)` on
    /// the raw rows when the mapper is the one that call would learn.
    public func fit(_ binned: BinnedRows, _ y: [Double], validation: (bins: [UInt8], y: [Double])? = nil,
                    keepAllTrees: Bool = false, progress: ((Int, Double?) -> Void)? = nil) throws -> BoostedTrees {
        let n = binned.rows, nf = binned.featureCount, mapper = binned.mapper
        guard y.count == n else { throw LinearAlgebraError.dimensionMismatch("\(n) rows and \(y.count) labels") }
        if let validation, validation.bins.count != validation.y.count * nf {
            throw LinearAlgebraError.dimensionMismatch("\(validation.bins.count) validation bins for \(validation.y.count) rows of \(nf) features")
        }
        let validationBins = validation?.bins
        let loss = LogLoss()
        let base = loss.baseline(y)
        let frame = TrainingFrame(bins: binned.bins, featureCount: nf, y: y, baseScore: base)
        if quantizes(rows: n) { frame.enableQuantization() }
        var validScores = [Double](repeating: base, count: validation?.y.count ?? 0)
        var rng = SeededGenerator(seed: seed)
        var trees: [Tree] = []
        var history: [Double] = []
        var bestLoss = Double.infinity, bestIteration = 0
        let allFeatures = Array(0..<nf)
        let learner = TreeGrower(settings: tree, mapper: mapper, featureCount: nf, threads: threads)
        for t in 0..<self.trees {
            frame.updateGradients(loss, threads: threads, seed: seed &+ UInt64(t) &* 0x1_0000_0001)
            // Row sampling: move the drawn rows to the front; the tree grows on them only.
            var count = n
            if rowSample < 1 {
                let drawn = (0..<n).map { _ in rng.uniform() < rowSample ? UInt8(1) : 0 }
                count = frame.partitionInPlace(start: 0, count: n, key: .drawn(drawn))
            }
            var features = allFeatures
            if columnSample < 1 {
                features.shuffle(using: &rng)
                features = Array(features.prefix(max(1, Int((Double(nf) * columnSample).rounded(.up))))).sorted()
            }
            let (newTree, leafRanges) = learner.grow(frame, count: count, features: features, learningRate: learningRate)
            trees.append(newTree)
            for (node, start, leafCount) in leafRanges { frame.addScore(newTree.nodes[node].value, start..<(start + leafCount)) }
            if count < n {
                // Rows left out of this tree's sample still get its output.
                for p in count..<n {
                    let v = frame.bins.withUnsafeBufferPointer { newTree.predict(bins: $0.baseAddress! + p * nf, mapper: mapper) }
                    frame.addScore(v, p..<(p + 1))
                }
            }
            var validLoss: Double? = nil
            if let validation, let vb = validationBins {
                var total = 0.0
                vb.withUnsafeBufferPointer { vp in
                    for i in 0..<validation.y.count {
                        validScores[i] += newTree.predict(bins: vp.baseAddress! + i * nf, mapper: mapper)
                        total += loss.loss(margin: validScores[i], label: validation.y[i])
                    }
                }
                let loss = total / Double(max(1, validation.y.count))
                validLoss = loss
                history.append(loss)
                if loss < bestLoss - 1e-12 { bestLoss = loss; bestIteration = t + 1 }
                if earlyStopping > 0 && t + 1 - bestIteration >= earlyStopping { break }
            }
            progress?(t + 1, validLoss)
            if newTree.nodes.count == 1 && t > 0 { break }  // nothing left to learn
        }
        if validation != nil && earlyStopping > 0 && bestIteration > 0 && !keepAllTrees { trees = Array(trees.prefix(bestIteration)) }
        return BoostedTrees(settings: self, mapper: mapper, baseScore: base, trees: trees,
                            bestIteration: validation != nil ? bestIteration : trees.count, validationLoss: history)
    }
}
