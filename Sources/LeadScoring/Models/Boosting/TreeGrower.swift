import Foundation

/// Grows one tree leaf-wise on binned rows (histograms, the subtraction trick, native
/// categorical splits, learned default direction for missing values).
struct TreeGrower {
    let settings: TreeSettings
    let mapper: BinMapper
    let featureCount: Int
    let threads: Int

    struct Leaf {
        var node: Int
        var start: Int
        var count: Int
        /// The frame copy holding the leaf's rows (0 main, 1 scratch).
        var side: Int
        var depth: Int
        var g: Double, h: Double
        var histogram: [Double]
        var best: SplitCandidate
    }

    /// Grows a tree on positions `0 ..< count` of `frame` (reordered so that each leaf's rows are
    /// contiguous). Returns the tree and each leaf node's position range.
    func grow(_ frame: TrainingFrame, count: Int, features: [Int], learningRate: Double) -> (Tree, [(node: Int, start: Int, count: Int)]) {
        let s = settings
        func leafValue(_ g: Double, _ h: Double) -> Double { -g / (h + s.l2) * learningRate }
        let rootHist = histogram(frame, 0..<count, side: 0)
        // Split search and leaf values work on the exact sums, or with quantized gradients on
        // the histogram's quantized ones (feature 0's bins cover every row), as in LightGBM.
        var rootG = 0.0, rootH = 0.0
        if frame.quantized {
            for b in 0..<mapper.features[0].totalBins { rootG += rootHist[3 * b]; rootH += rootHist[3 * b + 1] }
        } else {
            frame.gh.withUnsafeBufferPointer { gp in
                for p in 0..<count { rootG += Double(gp[2 &* p]); rootH += Double(gp[2 &* p &+ 1]) }
            }
        }
        var nodes = [TreeNode.leaf(value: leafValue(rootG, rootH), count: Double(count))]
        var leaves = [Leaf(node: 0, start: 0, count: count, side: 0, depth: 0, g: rootG, h: rootH, histogram: rootHist,
                           best: bestSplit(histogram: rootHist, g: rootG, h: rootH, count: Double(count), features: features))]
        while leaves.count < s.leaves {
            // The leaf whose best split reduces the loss most.
            var pick = -1
            for (i, leaf) in leaves.enumerated() where leaf.best.isValid && leaf.depth < (s.maxDepth <= 0 ? Tree.maxDepth : min(s.maxDepth, Tree.maxDepth)) {
                if pick < 0 || leaf.best.gain > leaves[pick].best.gain { pick = i }
            }
            if pick < 0 { break }
            let leaf = leaves[pick]
            let split = leaf.best
            let fb = mapper.features[split.feature]
            var probe = TreeNode.leaf(value: 0, count: 0)
            probe.thresholdBin = UInt16(split.thresholdBin)
            probe.defaultLeft = split.defaultLeft
            probe.categories = split.categories
            probe.feature = Int32(split.feature)
            // Side of each bin (1 left), looked up per row (numeric and categorical alike).
            var side = [UInt8](repeating: 0, count: 256)
            for b in 0..<fb.totalBins { side[b] = probe.goesLeft(bin: b, missingBin: fb.missingBin) ? 1 : 0 }
            let column = split.feature
            let nl = frame.partition(start: leaf.start, count: leaf.count, from: leaf.side, threads: threads,
                                     key: .bin(column: column, goesLeft: side))
            let nr = leaf.count - nl
            let leftNode = nodes.count, rightNode = nodes.count + 1
            let lg = split.leftG, lh = split.leftH
            let rg = leaf.g - lg, rh = leaf.h - lh
            nodes.append(.leaf(value: leafValue(lg, lh), count: Double(nl)))
            nodes.append(.leaf(value: leafValue(rg, rh), count: Double(nr)))
            nodes[leaf.node] = TreeNode(feature: Int32(split.feature), thresholdBin: UInt16(split.thresholdBin),
                                        threshold: fb.categorical ? 0 : fb.upperBounds[split.thresholdBin],
                                        defaultLeft: split.defaultLeft, categories: split.categories,
                                        left: Int32(leftNode), right: Int32(rightNode), value: 0,
                                        count: Double(leaf.count), gain: split.gain)
            let depth = leaf.depth + 1
            if leaves.count + 1 >= s.leaves {
                // The tree's last split: its children will not be split, so they need neither
                // histograms nor split searches (one histogram pass in 30 at 31 leaves).
                leaves[pick] = Leaf(node: leftNode, start: leaf.start, count: nl, side: 1 - leaf.side, depth: depth, g: lg, h: lh,
                                    histogram: [], best: SplitCandidate())
                leaves.append(Leaf(node: rightNode, start: leaf.start + nl, count: nr, side: 1 - leaf.side, depth: depth, g: rg, h: rh,
                                   histogram: [], best: SplitCandidate()))
                break
            }
            // Histogram of the smaller child; the larger one is parent − smaller.
            let leftRange = leaf.start..<(leaf.start + nl), rightRange = (leaf.start + nl)..<(leaf.start + leaf.count)
            let smallIsLeft = nl <= nr
            let childSide = 1 - leaf.side
            let small = histogram(frame, smallIsLeft ? leftRange : rightRange, side: childSide)
            var large = leaf.histogram
            for k in 0..<large.count { large[k] -= small[k] }
            let leftHist = smallIsLeft ? small : large, rightHist = smallIsLeft ? large : small
            // The two children's split searches at once (each scans every bin of the histogram).
            var best = [SplitCandidate](repeating: SplitCandidate(), count: 2)
            best.withUnsafeMutableBufferPointer { b in
                let out = UncheckedSendable(b.baseAddress!)
                let parts = threads > 1 ? 2 : 1
                parallelFor(parts: parts) { t in
                    for child in stride(from: t, to: 2, by: parts) {
                        out.value[child] = child == 0
                            ? bestSplit(histogram: leftHist, g: lg, h: lh, count: Double(nl), features: features)
                            : bestSplit(histogram: rightHist, g: rg, h: rh, count: Double(nr), features: features)
                    }
                }
            }
            let left = Leaf(node: leftNode, start: leaf.start, count: nl, side: childSide, depth: depth, g: lg, h: lh, histogram: leftHist,
                            best: best[0])
            let right = Leaf(node: rightNode, start: leaf.start + nl, count: nr, side: childSide, depth: depth, g: rg, h: rh, histogram: rightHist,
                             best: best[1])
            leaves[pick] = left
            leaves.append(right)
        }
        // Leaves whose rows ended in the scratch copy come back to the main one.
        frame.gather(leaves.filter { $0.side == 1 }.map { $0.start..<($0.start + $0.count) }, threads: threads)
        return (Tree(nodes: nodes), leaves.map { ($0.node, $0.start, $0.count) })
    }
}
