import Dispatch
import Foundation

/// Settings that shape one tree (LightGBM's names in brackets).
public struct TreeSettings: Codable, Equatable, Sendable {
    /// Maximum leaves per tree [num_leaves]: 31 as LightGBM; leaf-wise growth spends them where
    /// the loss falls most.
    public var leaves = 31
    /// Maximum depth, 0 = unlimited [max_depth].
    public var maxDepth = 0
    /// Fewest training rows in a leaf [min_data_in_leaf]: 20 as LightGBM.
    public var minLeaf = 20
    /// Smallest hessian sum in a leaf [min_sum_hessian_in_leaf].
    public var minHessian = 1e-3
    /// L2 penalty on leaf values [lambda_l2].
    public var l2 = 1.0
    /// Smallest loss reduction worth a split [min_gain_to_split].
    public var minGain = 0.0
    /// Categorical splits, as LightGBM: categories with at least `minDataPerGroup` rows are
    /// ordered by G / (H + `catSmooth`) and split many-vs-many with at most `maxCatThreshold`
    /// on the left and an extra L2 of `catL2`; up to `maxCatToOneHot` categories use one-vs-rest.
    public var catSmooth = 10.0
    public var catL2 = 10.0
    public var minDataPerGroup = 100
    public var maxCatThreshold = 32
    public var maxCatToOneHot = 4

    public init() {}
}

/// A split found for a leaf.
struct SplitCandidate {
    var feature = -1
    var gain = -Double.infinity
    var thresholdBin = 0
    var defaultLeft = false
    var categories: [UInt64] = []
    var leftG = 0.0, leftH = 0.0, leftC = 0.0

    var isValid: Bool { feature >= 0 && gain.isFinite }
}

/// Grows one tree leaf-wise on binned rows (histograms, the subtraction trick, native
/// categorical splits, learned default direction for missing values).
/// The training rows in "position order": each leaf's rows are contiguous, and partitioning a
/// leaf physically moves its rows' bins, labels, scores and gradients, so every histogram pass
/// reads memory sequentially instead of gathering scattered rows. The rows exist in two
/// copies (main and scratch); a partition moves a leaf's rows from its copy into the other,
/// and the leaves left in scratch come back when the tree is done. (Tried and measured slower
/// on 800k × 32: moving 4-byte row numbers instead of rows, which makes every histogram pass
/// and partition gather bins from all over memory.)
final class TrainingFrame {
    let rows: Int
    let featureCount: Int
    /// Row-major bins: position p's bins are `bins[p * featureCount ..< (p + 1) * featureCount]`.
    var bins: [UInt8]
    /// Labels (0 or 1), one byte each: they move with every partition.
    var y: [UInt8]
    var score: [Double]
    /// Gradient and hessian of position p at `2p` and `2p + 1`.
    var gh: [Float]
    /// With quantized gradients: position p's gradient and hessian as small integers packed in
    /// 32 bits (gradient in the high 16, hessian in the low 16); the integers times
    /// `gradientScale` / `hessianScale` are unbiased estimates of the exact values.
    /// Partitioning then moves these 4 bytes instead of `gh`, which is only read when the tree
    /// starts; histograms widen them to a 64-bit word (gradient in the high 32 bits) so that a
    /// histogram bin is one integer addition per row.
    var qgh: [Int32] = []
    private var scratchQGH: [Int32] = []
    private(set) var gradientScale = 0.0, hessianScale = 0.0
    var quantized: Bool { !qgh.isEmpty }
    /// The second copy of the rows.
    private var scratchBins: [UInt8]
    private var scratchY: [UInt8], scratchScore: [Double], scratchGH: [Float]

    init(bins: [UInt8], featureCount: Int, y: [Double], baseScore: Double) {
        rows = y.count
        self.featureCount = featureCount
        self.bins = bins
        self.y = y.map { $0 > 0.5 ? 1 : 0 }
        score = [Double](repeating: baseScore, count: y.count)
        gh = [Float](repeating: 0, count: 2 * y.count)
        scratchBins = [UInt8](repeating: 0, count: bins.count)
        scratchY = self.y
        scratchScore = score
        scratchGH = gh
    }

    /// Turns on quantized gradients (see `qgh`).
    func enableQuantization() {
        qgh = [Int32](repeating: 0, count: rows)
        scratchQGH = qgh
    }

    /// Levels of a quantized gradient on each side of zero, and of a hessian: 8 bits each,
    /// ample for boosting (LightGBM's quantized training reaches full accuracy with far fewer),
    /// and small enough that sums over any leaf fit their 32-bit halves.
    static let gradientLevels = 127.0, hessianLevels = 255.0

    /// Recomputes the log-loss gradients and hessians from the current scores, on `threads`
    /// threads; when quantized, also their integer versions, rounded stochastically with
    /// `seed` (a hash of seed and position: the same for any thread count). Quantized
    /// gradients are computed in single precision: they are rounded to 8 bits anyway.
    func updateGradients(threads: Int = 1, seed: UInt64 = 0) {
        let parts = rows >= 65_536 ? max(1, threads) : 1
        let chunk = (rows + parts - 1) / parts
        let quantized = self.quantized
        var maxG = [Float](repeating: 0, count: parts), maxH = [Float](repeating: 0, count: parts)
        score.withUnsafeBufferPointer { sp in
        y.withUnsafeBufferPointer { yp in
        gh.withUnsafeMutableBufferPointer { gp in
        maxG.withUnsafeMutableBufferPointer { mg in
        maxH.withUnsafeMutableBufferPointer { mh in
            let s = UncheckedSendable(sp.baseAddress!), yb = UncheckedSendable(yp.baseAddress!), g = UncheckedSendable(gp.baseAddress!)
            let mgb = UncheckedSendable(mg.baseAddress!), mhb = UncheckedSendable(mh.baseAddress!)
            parallelFor(parts: parts) { t in
                var largestG: Float = 0, largestH: Float = 0
                for p in (t * chunk)..<min(rows, (t + 1) * chunk) {
                    let gf: Float, hf: Float
                    if quantized {
                        let z = Float(s.value[p]), e = Foundation.exp(-abs(z)), r = 1 / (1 + e)
                        let probability = z >= 0 ? r : e * r
                        gf = probability - Float(yb.value[p])
                        hf = max(probability * (1 - probability), 1e-16)
                    } else {
                        let (gv, hv) = LogLoss.gradient(margin: s.value[p], label: Double(yb.value[p]))
                        gf = Float(gv); hf = Float(hv)
                    }
                    g.value[2 &* p] = gf; g.value[2 &* p &+ 1] = hf
                    largestG = max(largestG, abs(gf)); largestH = max(largestH, hf)
                }
                mgb.value[t] = largestG; mhb.value[t] = largestH
            }
        }}}}}
        guard quantized else { return }
        gradientScale = max(Double(maxG.max()!), 1e-30) / TrainingFrame.gradientLevels
        hessianScale = max(Double(maxH.max()!), 1e-30) / TrainingFrame.hessianLevels
        let gInverse = Float(1 / gradientScale), hInverse = Float(1 / hessianScale)
        gh.withUnsafeBufferPointer { gp in
        qgh.withUnsafeMutableBufferPointer { qp in
            let g = UncheckedSendable(gp.baseAddress!), q = UncheckedSendable(qp.baseAddress!)
            parallelFor(parts: parts) { t in
                for p in (t * chunk)..<min(rows, (t + 1) * chunk) {
                    // Two uniforms in [0, 1) from one SplitMix64 hash of (seed, position).
                    var z = seed &+ UInt64(p) &* 0x9E37_79B9_7F4A_7C15
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                    z ^= z >> 31
                    let u1 = Float(z >> 40) * 0x1p-24, u2 = Float((z >> 16) & 0xFF_FFFF) * 0x1p-24
                    // Floor by truncation of a positive number (the gradient level is ≥ −127).
                    let gq = Int32(g.value[2 &* p] * gInverse + u1 + 128) &- 128
                    let hq = Int32(g.value[2 &* p &+ 1] * hInverse + u2)
                    q.value[p] = (gq << 16) &+ hq
                }
            }
        }}
    }

    /// Adds `value` to the scores of positions in `range`.
    func addScore(_ value: Double, _ range: Range<Int>) {
        score.withUnsafeMutableBufferPointer { sp in for p in range { sp[p] += value } }
    }

    /// Pointers to one copy of the row data (0: the main arrays, 1: the scratch arrays).
    struct Side {
        var bins: UnsafeMutablePointer<UInt8>
        var y: UnsafeMutablePointer<UInt8>
        var score: UnsafeMutablePointer<Double>
        var gh: UnsafeMutablePointer<Float>
        var qgh: UnsafeMutablePointer<Int32>?
    }

    /// Runs `body` with both copies' pointers (main first). Pointers throughout: class
    /// properties touched per element would pay a dynamic exclusivity check each time.
    func withSides<R>(_ body: (Side, Side) -> R) -> R {
        bins.withUnsafeMutableBufferPointer { b in
        scratchBins.withUnsafeMutableBufferPointer { sb in
        y.withUnsafeMutableBufferPointer { yp in
        scratchY.withUnsafeMutableBufferPointer { sy in
        score.withUnsafeMutableBufferPointer { sp in
        scratchScore.withUnsafeMutableBufferPointer { ss in
        gh.withUnsafeMutableBufferPointer { gp in
        scratchGH.withUnsafeMutableBufferPointer { sg in
        qgh.withUnsafeMutableBufferPointer { qp in
        scratchQGH.withUnsafeMutableBufferPointer { sq in
            body(Side(bins: b.baseAddress!, y: yp.baseAddress!, score: sp.baseAddress!, gh: gp.baseAddress!, qgh: qp.baseAddress),
                 Side(bins: sb.baseAddress!, y: sy.baseAddress!, score: ss.baseAddress!, gh: sg.baseAddress!, qgh: sq.baseAddress))
        }}}}}}}}}}
    }

    /// Partitions positions `start ..< start + count` of copy `from` into the same positions
    /// of the other copy: rows for which `left(bins, p)` holds first, in order, then the
    /// others in reverse order. Returns how many went left.
    ///
    /// Each row is read once and written once, with no branch on its side (which is
    /// unpredictable): the destination is chosen arithmetically. Leaves therefore live in
    /// either copy; `gather` brings them back to the main one when the tree is done. Measured
    /// on 800k × 32: moving rows within one copy (lefts in place, rights through scratch and
    /// back) made partitioning over half of a tree's time.
    func partition(start: Int, count: Int, from: Int, left: (UnsafePointer<UInt8>, Int) -> Bool) -> Int {
        let nf = featureCount
        let quantized = self.quantized
        return withSides { main, scratch in
            let src = from == 0 ? main : scratch, dst = from == 0 ? scratch : main
            var l = start, r = start &+ count &- 1
            for p in start..<(start &+ count) {
                let isLeft = left(UnsafePointer(src.bins), p) ? 1 : 0
                let q = r &+ ((l &- r) & (0 &- isLeft))
                l &+= isLeft
                r &-= 1 &- isLeft
                let from = src.bins + p &* nf, to = dst.bins + q &* nf
                for f in 0..<nf { to[f] = from[f] }
                dst.y[q] = src.y[p]; dst.score[q] = src.score[p]
                if quantized { dst.qgh![q] = src.qgh![p] } else { dst.gh[2 &* q] = src.gh[2 &* p]; dst.gh[2 &* q &+ 1] = src.gh[2 &* p &+ 1] }
            }
            return l &- start
        }
    }

    /// Copies positions `range` from the scratch copy back to the main one.
    func gather(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let nf = featureCount, quantized = self.quantized
        withSides { main, scratch in
            let lo = range.lowerBound, n = range.count
            (main.bins + lo * nf).update(from: scratch.bins + lo * nf, count: n * nf)
            (main.y + lo).update(from: scratch.y + lo, count: n)
            (main.score + lo).update(from: scratch.score + lo, count: n)
            if quantized { (main.qgh! + lo).update(from: scratch.qgh! + lo, count: n) }
            else { (main.gh + 2 * lo).update(from: scratch.gh + 2 * lo, count: 2 * n) }
        }
    }

    /// Partition within the main copy (row sampling): into scratch and back.
    func partitionInPlace(start: Int, count: Int, left: (UnsafePointer<UInt8>, Int) -> Bool) -> Int {
        let nl = partition(start: start, count: count, from: 0, left: left)
        gather(start..<(start + count))
        return nl
    }
}

struct TreeLearner {
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

    /// Histogram of (Σg, Σh, count) per bin for the positions in `range` (contiguous, so the
    /// pass is sequential). The range is split across `threads`, each filling its own
    /// histogram, then summed.
    func histogram(_ frame: TrainingFrame, _ range: Range<Int>, side: Int) -> [Double] {
        if frame.quantized { return quantizedHistogram(frame, range, side: side) }
        let size = mapper.totalBins * 3
        let nf = featureCount
        let offsets3 = mapper.offsets.map { $0 * 3 }
        var result = [Double](repeating: 0, count: size)
        frame.withSides { main, scratch in
            do {
                let copy = side == 0 ? main : scratch
                let binsBase = UncheckedSendable(UnsafePointer(copy.bins)), ghBase = UncheckedSendable(UnsafePointer(copy.gh))
                func build(_ part: Range<Int>, into hist: UnsafeMutablePointer<Double>) {
                    offsets3.withUnsafeBufferPointer { off3 in
                        let off = off3.baseAddress!
                        var row = binsBase.value + part.lowerBound &* nf
                        var g2 = ghBase.value + part.lowerBound &* 2
                        for _ in part {
                            let gr = Double(g2[0]), hr = Double(g2[1])
                            for f in 0..<nf {
                                let k = off[f] &+ Int(row[f]) &* 3
                                hist[k] += gr
                                hist[k &+ 1] += hr
                                hist[k &+ 2] += 1
                            }
                            row += nf
                            g2 += 2
                        }
                    }
                }
                if threads <= 1 || range.count < 20_000 {
                    result.withUnsafeMutableBufferPointer { build(range, into: $0.baseAddress!) }
                    return
                }
                let parts = threads
                var partials = [[Double]](repeating: [Double](repeating: 0, count: size), count: parts - 1)
                let chunk = (range.count + parts - 1) / parts
                result.withUnsafeMutableBufferPointer { first in
                    let firstBase = UncheckedSendable(first.baseAddress!)
                    partials.withUnsafeMutableBufferPointer { ps in
                        let others = UncheckedSendable(ps.baseAddress!)
                        parallelFor(parts: parts) { t in
                            let lo = range.lowerBound + t * chunk, hi = min(range.upperBound, lo + chunk)
                            guard lo < hi else { return }
                            if t == 0 { build(lo..<hi, into: firstBase.value) }
                            else { others.value[t - 1].withUnsafeMutableBufferPointer { build(lo..<hi, into: $0.baseAddress!) } }
                        }
                    }
                }
                for p in partials { for k in 0..<size { result[k] += p[k] } }
            }
        }
        return result
    }

    /// The histogram from quantized gradients: one 64-bit integer addition per row and
    /// feature into a table a third the size of the float one (so it stays in cache), then
    /// converted to the same (Σg, Σh, count) layout. Counts are estimated from the hessians,
    /// as LightGBM does: a bin's count ≈ its Σh × (rows in the range ÷ the range's Σh).
    func quantizedHistogram(_ frame: TrainingFrame, _ range: Range<Int>, side: Int) -> [Double] {
        let bins = mapper.totalBins, nf = featureCount
        let parts = threads > 1 && range.count >= 20_000 ? min(threads, nf) : 1
        // Each thread takes a share of the features over all rows, so its part of the table
        // is smaller (closer to L1) and no merge is needed.
        var packed = [Int64](repeating: 0, count: bins)
        frame.withSides { main, scratch in
        packed.withUnsafeMutableBufferPointer { out in
        mapper.offsets.withUnsafeBufferPointer { off in
            let copy = side == 0 ? main : scratch
            let binsBase = UncheckedSendable(UnsafePointer(copy.bins)), qBase = UncheckedSendable(UnsafePointer(copy.qgh!))
            let outBase = UncheckedSendable(out.baseAddress!), offBase = UncheckedSendable(off.baseAddress!)
            parallelFor(parts: parts) { t in
                let f0 = t * nf / parts, f1 = (t + 1) * nf / parts
                let hist = outBase.value, off = offBase.value
                var row = binsBase.value + range.lowerBound &* nf
                for p in range {
                    let q32 = qBase.value[p]
                    let q = Int64(q32 >> 16) << 32 &+ Int64(q32 & 0xFFFF)
                    for f in f0..<f1 { hist[off[f] &+ Int(row[f])] &+= q }
                    row += nf
                }
            }
        }}}
        var result = [Double](repeating: 0, count: bins * 3)
        // Every row falls in one bin of feature 0: its bins' hessians sum to the range's.
        var totalH: Int64 = 0
        for b in 0..<mapper.features[0].totalBins {
            totalH &+= Int64(UInt32(truncatingIfNeeded: packed[b]))
        }
        let countPerH = totalH > 0 ? Double(range.count) / Double(totalH) : 0
        let gScale = frame.gradientScale, hScale = frame.hessianScale
        result.withUnsafeMutableBufferPointer { out in
            packed.withUnsafeBufferPointer { pk in
                for k in 0..<bins {
                    let sum = pk[k]
                    let h = Int64(UInt32(truncatingIfNeeded: sum))
                    let g = (sum &- h) >> 32
                    out[3 * k] = Double(g) * gScale
                    out[3 * k + 1] = Double(h) * hScale
                    out[3 * k + 2] = (Double(h) * countPerH).rounded()
                }
            }
        }
        return result
    }

    @inline(__always)
    func leafGain(_ g: Double, _ h: Double, _ l2: Double) -> Double { g * g / (h + l2) }

    /// Best split of a leaf over the allowed features.
    func bestSplit(histogram hist: [Double], g: Double, h: Double, count: Double, features: [Int]) -> SplitCandidate {
        var best = SplitCandidate()
        let s = settings
        let minLeaf = Double(s.minLeaf)
        hist.withUnsafeBufferPointer { hp in
            for f in features {
                let fb = mapper.features[f]
                let base = mapper.offsets[f]
                @inline(__always) func stat(_ b: Int) -> (Double, Double, Double) {
                    let k = (base + b) * 3
                    return (hp[k], hp[k + 1], hp[k + 2])
                }
                if !fb.categorical {
                    let parentGain = leafGain(g, h, s.l2)
                    let (mg, mh, mc) = stat(fb.missingBin)
                    for missingLeft in mc > 0 ? [false, true] : [false] {
                        var lg = missingLeft ? mg : 0, lh = missingLeft ? mh : 0, lc = missingLeft ? mc : 0
                        for b in 0..<(fb.valueBins - 1) {
                            let (bg, bh, bc) = stat(b)
                            lg += bg; lh += bh; lc += bc
                            if lc < minLeaf || lh < s.minHessian { continue }
                            let rc = count - lc, rh = h - lh
                            if rc < minLeaf || rh < s.minHessian { break }
                            let gain = leafGain(lg, lh, s.l2) + leafGain(g - lg, rh, s.l2) - parentGain
                            if gain > best.gain {
                                // Without missing values in training, send missing to the bigger side.
                                let defaultLeft = mc > 0 ? missingLeft : lc >= rc
                                best = SplitCandidate(feature: f, gain: gain, thresholdBin: b, defaultLeft: defaultLeft,
                                                      categories: [], leftG: lg, leftH: lh, leftC: lc)
                            }
                        }
                    }
                } else {
                    let l2 = s.l2 + s.catL2
                    let parentGain = leafGain(g, h, l2)
                    var used: [Int] = []
                    for b in 0..<fb.totalBins where stat(b).2 > 0 { used.append(b) }
                    if used.count < 2 { continue }
                    func consider(_ left: [Int], l2: Double, parent: Double) {
                        var lg = 0.0, lh = 0.0, lc = 0.0
                        for b in left { let (bg, bh, bc) = stat(b); lg += bg; lh += bh; lc += bc }
                        let rc = count - lc, rh = h - lh
                        guard lc >= minLeaf, rc >= minLeaf, lh >= s.minHessian, rh >= s.minHessian else { return }
                        let gain = leafGain(lg, lh, l2) + leafGain(g - lg, rh, l2) - parent
                        if gain > best.gain {
                            var set = [UInt64](repeating: 0, count: 4)
                            for b in left { set[b >> 6] |= 1 << UInt64(b & 63) }
                            best = SplitCandidate(feature: f, gain: gain, thresholdBin: 0, defaultLeft: false,
                                                  categories: set, leftG: lg, leftH: lh, leftC: lc)
                        }
                    }
                    if used.count <= s.maxCatToOneHot {
                        let p = leafGain(g, h, s.l2)
                        for b in used { consider([b], l2: s.l2, parent: p) }
                        continue
                    }
                    let candidates = used.filter { stat($0).2 >= Double(s.minDataPerGroup) }
                        .sorted { a, b in
                            let (ga, ha, _) = stat(a), (gb, hb, _) = stat(b)
                            return ga / (ha + s.catSmooth) < gb / (hb + s.catSmooth)
                        }
                    if candidates.count < 2 { continue }
                    let limit = min(s.maxCatThreshold, (candidates.count + 1) / 2)
                    for direction in [candidates, Array(candidates.reversed())] {
                        var left: [Int] = []
                        var lc = 0.0
                        for k in 0..<min(limit, direction.count - 1) {
                            left.append(direction[k])
                            lc += stat(direction[k]).2
                            if lc < Double(s.minDataPerGroup) { continue }
                            consider(left, l2: l2, parent: parentGain)
                        }
                    }
                }
            }
        }
        if best.gain <= s.minGain { best.feature = -1 }
        return best
    }

    /// Grows a tree on positions `0 ..< count` of `frame` (reordered so that each leaf's rows are
    /// contiguous). Returns the tree and each leaf node's position range.
    func grow(_ frame: TrainingFrame, count: Int, features: [Int], learningRate: Double) -> (Tree, [(node: Int, start: Int, count: Int)]) {
        var sumG = 0.0, sumH = 0.0
        frame.gh.withUnsafeBufferPointer { gp in
            for p in 0..<count { sumG += Double(gp[2 &* p]); sumH += Double(gp[2 &* p &+ 1]) }
        }
        let s = settings
        func leafValue(_ g: Double, _ h: Double) -> Double { -g / (h + s.l2) * learningRate }
        var nodes = [TreeNode.leaf(value: leafValue(sumG, sumH), count: Double(count))]
        let rootHist = histogram(frame, 0..<count, side: 0)
        // Split search and leaf values work on the histogram's sums; with quantized gradients
        // those are the quantized ones (feature 0's bins cover every row), as in LightGBM.
        var rootG = sumG, rootH = sumH
        if frame.quantized {
            rootG = 0; rootH = 0
            for b in 0..<mapper.features[0].totalBins { rootG += rootHist[3 * b]; rootH += rootHist[3 * b + 1] }
        }
        var leaves = [Leaf(node: 0, start: 0, count: count, side: 0, depth: 0, g: rootG, h: rootH, histogram: rootHist,
                           best: bestSplit(histogram: rootHist, g: rootG, h: rootH, count: Double(count), features: features))]
        let nf = featureCount
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
            // Side of each bin, looked up per row (numeric and categorical alike).
            var side = [Bool](repeating: false, count: 256)
            for b in 0..<fb.totalBins { side[b] = probe.goesLeft(bin: b, missingBin: fb.missingBin) }
            let column = split.feature
            let nl = side.withUnsafeBufferPointer { sp in
                frame.partition(start: leaf.start, count: leaf.count, from: leaf.side) { b, p in sp[Int(b[p &* nf &+ column])] }
            }
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
            // Histogram of the smaller child; the larger one is parent − smaller.
            let leftRange = leaf.start..<(leaf.start + nl), rightRange = (leaf.start + nl)..<(leaf.start + leaf.count)
            let smallIsLeft = nl <= nr
            let childSide = 1 - leaf.side
            let small = histogram(frame, smallIsLeft ? leftRange : rightRange, side: childSide)
            var large = leaf.histogram
            for k in 0..<large.count { large[k] -= small[k] }
            let leftHist = smallIsLeft ? small : large, rightHist = smallIsLeft ? large : small
            let depth = leaf.depth + 1
            let left = Leaf(node: leftNode, start: leaf.start, count: nl, side: childSide, depth: depth, g: lg, h: lh, histogram: leftHist,
                            best: bestSplit(histogram: leftHist, g: lg, h: lh, count: Double(nl), features: features))
            let right = Leaf(node: rightNode, start: leaf.start + nl, count: nr, side: childSide, depth: depth, g: rg, h: rh, histogram: rightHist,
                             best: bestSplit(histogram: rightHist, g: rg, h: rh, count: Double(nr), features: features))
            leaves[pick] = left
            leaves.append(right)
        }
        // Leaves whose rows ended in the scratch copy come back to the main one.
        for leaf in leaves where leaf.side == 1 { frame.gather(leaf.start..<(leaf.start + leaf.count)) }
        return (Tree(nodes: nodes), leaves.map { ($0.node, $0.start, $0.count) })
    }
}
