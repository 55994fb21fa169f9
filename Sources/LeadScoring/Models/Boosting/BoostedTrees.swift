import Foundation
import LinearAlgebra

/// A fitted boosted-tree ensemble.
public struct BoostedTrees: Classifier, Equatable {
    public var settings: GradientBoosting
    public var mapper: BinMapper
    public var baseScore: Double
    public var trees: [Tree]
    /// Trees kept (the best validation iteration with early stopping).
    public var bestIteration: Int
    /// Validation log loss after each round, when there was a validation set.
    public var validationLoss: [Double]

    /// Margins for the rows of `x` (raw values), on both cores: the rows are binned as in
    /// training, then walked through the compiled forest.
    public func rawScores(_ x: Matrix) -> [Double] {
        rawScores(x, forest: CompiledForest(trees: trees, mapper: mapper))
    }

    /// As `rawScores(_:)` with a forest compiled once by the caller (batch scoring). Each
    /// thread bins a block of rows and walks it at once, while the bins are still in cache.
    public func rawScores(_ x: Matrix, forest: CompiledForest) -> [Double] {
        let n = x.rows, nf = x.columns, lanes = CompiledForest.lanes
        var z = [Double](repeating: baseScore, count: n)
        guard n > 0 else { return z }
        let parts = n >= 2048 ? max(1, settings.threads) : 1
        // Chunks and blocks of whole lane groups.
        let chunk = ((n + parts - 1) / parts + lanes - 1) / lanes * lanes
        let block = 2048
        let bounds = mapper.flatBounds
        z.withUnsafeMutableBufferPointer { zp in
            let out = UncheckedSendable(zp.baseAddress!)
            parallelFor(parts: parts) { t in
                let lo = t * chunk, hi = min(n, lo + chunk)
                guard lo < hi else { return }
                var bins = [UInt8](repeating: 0, count: block * nf)
                bins.withUnsafeMutableBufferPointer { b in
                    for start in stride(from: lo, to: hi, by: block) {
                        let rows = start..<min(hi, start + block)
                        mapper.bin(x, rows: rows, groups: lanes, bounds: bounds, into: b.baseAddress!)
                        forest.addMargins(groupedBins: b.baseAddress!, rows: rows.count, features: nf, into: out.value + start)
                    }
                }
            }
        }
        return z
    }

    /// TreeSHAP contributions per feature; the baseline is the margin of an average training lead.
    public func contributions(_ row: [Double], featureMeans: [Double]) -> (baseline: Double, terms: [Double]) {
        var phi = [Double](repeating: 0, count: row.count)
        var baseline = baseScore
        var path = [Tree.PathElement](repeating: Tree.PathElement(), count: Tree.pathSize(trees.map(\.depth).max() ?? 0))
        row.withUnsafeBufferPointer { rp in
            for tree in trees {
                baseline += tree.expected
                tree.shap(raw: rp.baseAddress!, mapper: mapper, phi: &phi, path: &path)
            }
        }
        return (baseline, phi)
    }

    /// Total split gain per feature (importance).
    public func gainImportance(features: Int) -> [Double] {
        var total = [Double](repeating: 0, count: features)
        for tree in trees { for node in tree.nodes where !node.isLeaf { total[Int(node.feature)] += node.gain } }
        return total
    }
}
