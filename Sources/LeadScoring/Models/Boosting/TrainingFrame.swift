import Foundation

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
    /// Margins so far, in single precision: they move with every partition (4 bytes of the 41
    /// a quantized row of 32 features moves, instead of 8), and only the gradients are made
    /// from them, in single precision too. (The trees keep double-precision leaf values, and
    /// the model's scores are computed from those.)
    var score: [Float]
    /// Gradient and hessian of position p at `2p` and `2p + 1`. With quantized gradients only
    /// the step before `qgh`: partitions do not move them.
    var gh: [Float]
    /// With quantized gradients: position p's gradient and hessian as small integers packed in
    /// 32 bits (gradient in the high 16, hessian in the low 16); the integers times
    /// `gradientScale` / `hessianScale` are unbiased estimates of the exact values.
    /// Partitioning then moves these 4 bytes instead of `gh`'s 8; histograms widen them to
    /// a 64-bit word (gradient in the high 32 bits) so that a histogram bin is one integer
    /// addition per row.
    var qgh: [Int32] = []
    private var scratchQGH: [Int32] = []
    /// Turns gradients into `qgh` and knows their scales.
    private(set) var quantizer = GradientQuantizer()
    var gradientScale: Double { quantizer.gradientScale }
    var hessianScale: Double { quantizer.hessianScale }
    var quantized: Bool { !qgh.isEmpty }
    /// The second copy of the rows.
    private var scratchBins: [UInt8]
    private var scratchY: [UInt8], scratchScore: [Float], scratchGH: [Float]

    init(bins: [UInt8], featureCount: Int, y: [Double], baseScore: Double) {
        rows = y.count
        self.featureCount = featureCount
        self.bins = bins
        self.y = y.map { $0 > 0.5 ? 1 : 0 }
        score = [Float](repeating: Float(baseScore), count: y.count)
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
        scratchGH = []
    }

    /// Recomputes the gradients and hessians of `loss` from the current scores, on `threads`
    /// threads; when quantized, in single precision (they are rounded to 8 bits anyway), then
    /// quantized (`GradientQuantizer`) with `seed`.
    func updateGradients<L: Loss>(_ loss: L, threads: Int = 1, seed: UInt64 = 0) {
        let parts = rows >= 65_536 ? max(1, threads) : 1
        let chunk = (rows + parts - 1) / parts
        let quantized = self.quantized
        // Largest |gradient| and hessian of each part, for the quantizer's scales, as bit
        // patterns: for floats ≥ 0 their order is the integers' order, and an integer maximum
        // vectorizes (a float one must keep NaN rules).
        var largest = [UInt32](repeating: 0, count: 2 * parts)
        score.withUnsafeBufferPointer { sp in
        y.withUnsafeBufferPointer { yp in
        gh.withUnsafeMutableBufferPointer { gp in
        largest.withUnsafeMutableBufferPointer { lp in
            let s = UncheckedSendable(sp.baseAddress!), yb = UncheckedSendable(yp.baseAddress!), g = UncheckedSendable(gp.baseAddress!)
            let m = UncheckedSendable(lp.baseAddress!)
            parallelFor(parts: parts) { t in
                let score = s.value, label = yb.value, out = g.value
                let range = (t * chunk)..<max(t * chunk, min(rows, (t + 1) * chunk))
                guard quantized else {
                    for p in range {
                        let (gv, hv) = loss.gradient(margin: Double(score[p]), label: Double(label[p]))
                        out[2 &* p] = Float(gv); out[2 &* p &+ 1] = Float(hv)
                    }
                    return
                }
                // Single precision, and no library call: the loop vectorizes.
                var largestG: UInt32 = 0, largestH: UInt32 = 0
                for p in range {
                    let (gf, hf) = loss.gradient(margin: score[p], label: Float(label[p]))
                    out[2 &* p] = gf; out[2 &* p &+ 1] = hf
                    let gBits = gf.bitPattern & 0x7FFF_FFFF, hBits = hf.bitPattern
                    largestG = gBits > largestG ? gBits : largestG
                    largestH = hBits > largestH ? hBits : largestH
                }
                m.value[2 &* t] = largestG; m.value[2 &* t &+ 1] = largestH
            }
        }}}}
        guard quantized else { return }
        var largestG: UInt32 = 0, largestH: UInt32 = 0
        for t in 0..<parts { largestG = max(largestG, largest[2 * t]); largestH = max(largestH, largest[2 * t + 1]) }
        quantizer.quantize(gh, into: &qgh, threads: parts, seed: seed, largest: (Float(bitPattern: largestG), Float(bitPattern: largestH)))
    }

    /// Adds `value` to the scores of positions in `range`.
    func addScore(_ value: Double, _ range: Range<Int>) {
        let value = Float(value)
        score.withUnsafeMutableBufferPointer { sp in for p in range { sp[p] += value } }
    }

    /// Pointers to one copy of the row data (0: the main arrays, 1: the scratch arrays).
    struct Side {
        var bins: UnsafeMutablePointer<UInt8>
        var y: UnsafeMutablePointer<UInt8>
        var score: UnsafeMutablePointer<Float>
        /// The gradients that move: exact ones (`gh`) or, when quantized, `qgh`; the other is nil.
        var gh: UnsafeMutablePointer<Float>?
        var qgh: UnsafeMutablePointer<Int32>?
    }

    /// Runs `body` with both copies' pointers (main first). Pointers throughout: class
    /// properties touched per element would pay a dynamic exclusivity check each time.
    func withSides<R>(_ body: (Side, Side) -> R) -> R {
        let q = quantized  // read before the arrays are lent out
        return bins.withUnsafeMutableBufferPointer { b in
        scratchBins.withUnsafeMutableBufferPointer { sb in
        y.withUnsafeMutableBufferPointer { yp in
        scratchY.withUnsafeMutableBufferPointer { sy in
        score.withUnsafeMutableBufferPointer { sp in
        scratchScore.withUnsafeMutableBufferPointer { ss in
        gh.withUnsafeMutableBufferPointer { gp in
        scratchGH.withUnsafeMutableBufferPointer { sg in
        qgh.withUnsafeMutableBufferPointer { qp in
        scratchQGH.withUnsafeMutableBufferPointer { sq in
            // (An empty array may still lend a pointer: the gradients that do not move are nil.)
            body(Side(bins: b.baseAddress!, y: yp.baseAddress!, score: sp.baseAddress!, gh: q ? nil : gp.baseAddress, qgh: q ? qp.baseAddress : nil),
                 Side(bins: sb.baseAddress!, y: sy.baseAddress!, score: ss.baseAddress!, gh: q ? nil : sg.baseAddress, qgh: q ? sq.baseAddress : nil))
        }}}}}}}}}}
    }

    /// Which rows of a partition go left (first).
    enum PartitionKey {
        /// Rows whose bin b of feature `column` has `goesLeft[b] == 1` (a split; 256 entries).
        case bin(column: Int, goesLeft: [UInt8])
        /// Rows at positions p with `drawn[p] == 1` (row sampling).
        case drawn([UInt8])
    }

    /// Partitions positions `start ..< start + count` of copy `from` into the same positions
    /// of the other copy: rows that `key` sends left first, in order, then the others in
    /// reverse order. Returns how many went left.
    ///
    /// Each row is read once and written once, with no branch on its side (which is
    /// unpredictable): the destination is chosen arithmetically. Leaves therefore live in
    /// either copy; `gather` brings them back to the main one when the tree is done. Measured
    /// on 800k × 32: moving rows within one copy (lefts in place, rights through scratch and
    /// back) made partitioning over half of a tree's time.
    ///
    /// From 20,000 rows the range is shared among `threads`: a first pass counts each share's
    /// lefts, so each thread knows where its rows go and the order is the one-thread order
    /// (the trees are the same for any thread count). Measured on 800k × 32 (300 trees), two
    /// threads: partitioning 8.1 s → 4.9 s of the fit. (Also measured: adding the smaller
    /// child's histogram while its rows move, instead of reading them again: slower, 10.3 s
    /// for both against 5.7 + 3.4 s in the same run.)
    func partition(start: Int, count: Int, from: Int, threads: Int = 1, key: PartitionKey) -> Int {
        let nf = featureCount
        let parts = threads > 1 && count >= 20_000 ? threads : 1
        let chunk = (count + parts - 1) / parts
        var lefts = [Int](repeating: 0, count: parts)
        // Row p goes left when table[keys[p × keyStride]] is 1.
        let identity = (0..<256).map { UInt8(truncatingIfNeeded: $0) }
        let keyColumn: Int, keyStride: Int, table: [UInt8], drawn: [UInt8]
        switch key {
        case .bin(let column, let goesLeft): (keyColumn, keyStride, table, drawn) = (column, nf, goesLeft, [])
        case .drawn(let mask): (keyColumn, keyStride, table, drawn) = (0, 1, identity, mask)
        }
        precondition(table.count == 256 && (drawn.isEmpty || drawn.count >= start + count))
        withSides { main, scratch in
        lefts.withUnsafeMutableBufferPointer { leftsPointer in
        table.withUnsafeBufferPointer { tablePointer in
        drawn.withUnsafeBufferPointer { drawnPointer in
            let src = UncheckedSendable(from == 0 ? main : scratch), dst = UncheckedSendable(from == 0 ? scratch : main)
            let leftCounts = UncheckedSendable(leftsPointer.baseAddress!), side = UncheckedSendable(tablePointer.baseAddress!)
            let keys = UncheckedSendable(drawn.isEmpty ? UnsafePointer(src.value.bins + keyColumn) : drawnPointer.baseAddress!)
            if parts > 1 {
                parallelFor(parts: parts) { t in
                    let lo = start + t * chunk, hi = min(start + count, lo + chunk)
                    var n = 0
                    for p in lo..<max(lo, hi) { n &+= Int(side.value[Int(keys.value[p &* keyStride])]) }
                    leftCounts.value[t] = n
                }
            }
            parallelFor(parts: parts) { t in
                let lo = start + t * chunk, hi = min(start + count, lo + chunk)
                guard lo < hi else { return }
                var leftsBefore = 0
                for u in 0..<t { leftsBefore += leftCounts.value[u] }
                let rightsBefore = (lo - start) - leftsBefore
                var l = start &+ leftsBefore, r = start &+ count &- 1 &- rightsBefore
                let s = src.value, d = dst.value, sideTable = side.value, keyBase = keys.value
                // One loop per kind of gradient, so the loop tests nothing but the side.
                @inline(__always) func move(_ moveGradient: (_ from: Int, _ to: Int) -> Void) {
                    for p in lo..<hi {
                        let isLeft = Int(sideTable[Int(keyBase[p &* keyStride])])
                        let q = r &+ ((l &- r) & (0 &- isLeft))
                        l &+= isLeft
                        r &-= 1 &- isLeft
                        let from = s.bins + p &* nf, to = d.bins + q &* nf
                        for f in 0..<nf { to[f] = from[f] }
                        d.y[q] = s.y[p]; d.score[q] = s.score[p]
                        moveGradient(p, q)
                    }
                }
                if let sq = s.qgh, let dq = d.qgh {
                    move { dq[$1] = sq[$0] }
                } else if let sg = s.gh, let dg = d.gh {
                    move { dg[2 &* $1] = sg[2 &* $0]; dg[2 &* $1 &+ 1] = sg[2 &* $0 &+ 1] }
                }
                if parts == 1 { leftCounts.value[0] = l &- start }
            }
        }}}}
        return lefts.reduce(0, +)
    }

    /// Packed quantized histograms (`TreeGrower.quantizedHistogram`) give each feature
    /// `histogramStride` words (room for its 256 possible bins), so a row's word for feature f
    /// is at `f × stride + bin`, with no offset table to load. Not a multiple of 256: words of
    /// different features at the same bin would lie a multiple of 4 KiB apart, and the
    /// processor stalls loads behind stores to such addresses (4K aliasing).
    static let histogramStride = 264

    /// Copies positions `ranges` from the scratch copy back to the main one, the rows shared
    /// among `threads` (from 20,000 rows).
    func gather(_ ranges: [Range<Int>], threads: Int = 1) {
        let total = ranges.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        let parts = threads > 1 && total >= 20_000 ? threads : 1
        let share = (total + parts - 1) / parts
        // Each thread's pieces: the ranges cut where the running count passes its share.
        var pieces = [[Range<Int>]](repeating: [], count: parts)
        var taken = 0
        for range in ranges {
            var lo = range.lowerBound
            while lo < range.upperBound {
                let t = min(parts - 1, taken / share)
                let hi = min(range.upperBound, lo + ((t + 1) * share - taken))
                pieces[t].append(lo..<hi)
                taken += hi - lo
                lo = hi
            }
        }
        let nf = featureCount
        withSides { main, scratch in
            let m = UncheckedSendable(main), s = UncheckedSendable(scratch)
            parallelFor(parts: parts) { t in
                let main = m.value, scratch = s.value
                for range in pieces[t] {
                    let lo = range.lowerBound, n = range.count
                    (main.bins + lo * nf).update(from: scratch.bins + lo * nf, count: n * nf)
                    (main.y + lo).update(from: scratch.y + lo, count: n)
                    (main.score + lo).update(from: scratch.score + lo, count: n)
                    if let to = main.qgh, let from = scratch.qgh { (to + lo).update(from: from + lo, count: n) }
                    if let to = main.gh, let from = scratch.gh { (to + 2 * lo).update(from: from + 2 * lo, count: 2 * n) }
                }
            }
        }
    }

    /// Partition within the main copy (row sampling): into scratch and back.
    func partitionInPlace(start: Int, count: Int, key: PartitionKey) -> Int {
        let nl = partition(start: start, count: count, from: 0, key: key)
        gather([start..<(start + count)])
        return nl
    }
}
