import Foundation
import LinearAlgebra

/// A linear encoding's n × p design kept in the shape it has, so that logistic regression never
/// stores the mostly-zero one-hot columns as numbers:
///
/// ```
/// X = [ D | E₁ | … | E_B ]   (its columns permuted into the encoder's feature order)
/// ```
/// `D` is the dense block (standardised numbers, yes/no columns, missing indicators;
/// column-major n × d) and each `E_b` is one categorical column's one-hot block, stored as one
/// code per row: the level whose feature is 1, or −1 when none is (an unseen level when training
/// had no rare levels to pool).
///
/// On 800,000 leads with 48 dense features and 8 blocks of 3–60 levels (≈230 features) that is
/// 0.3 GB of dense block and 26 MB of codes instead of a 1.5 GB matrix, and the products the
/// fit needs cost O(n·d) instead of O(n·p): a one-hot block contributes a gather to `Xβ`, sums
/// by code to `Xᵀr`, and weighted counts to `XᵀWX`.
///
/// The fit works on a parameter vector ordered `[β₀, D's columns…, E₁'s levels…, E₂'s levels…]`;
/// `featureOrder(_:)` puts the coefficients back in the encoder's order.
public struct OneHotDesign: Sendable {
    /// One categorical column's block.
    public struct Block: Equatable, Sendable {
        /// The encoder's index of the block's first feature (level 0).
        public var feature: Int
        /// Its number of features (levels).
        public var width: Int
        public init(feature: Int, width: Int) {
            self.feature = feature
            self.width = width
        }
    }

    /// The dense block, n × d, column-major.
    public let dense: Matrix
    /// The encoder's index of each of `dense`'s columns.
    public let denseFeatures: [Int]
    public let blocks: [Block]
    /// Row by row, block by block: `codes[i · blocks.count + b]` is row i's level in block b, or
    /// −1. Row-major because every pass over the codes wants all of a row's blocks together.
    public let codes: [Int32]
    /// Threads for the passes over the rows: 2 from 50,000 rows (below that a thread's start-up
    /// costs more than its half of the work).
    public var threads: Int
    /// Each block's level 0's place in the parameter vector.
    let blockStarts: [Int]

    public var rows: Int { dense.rows }
    /// p, the encoded features (not counting the intercept).
    public var features: Int { denseFeatures.count + blocks.reduce(0) { $0 + $1.width } }
    /// 1 + p: the intercept and a coefficient per feature.
    var parameterCount: Int { 1 + features }

    /// Checks that the dense columns and the blocks cover each of the features 0..<p exactly
    /// once, that there are `dense.rows × blocks.count` codes and that each is −1 or a level.
    public init(dense: Matrix, denseFeatures: [Int], blocks: [Block], codes: [Int32]) throws {
        let n = dense.rows
        guard denseFeatures.count == dense.columns else {
            throw LinearAlgebraError.dimensionMismatch("a dense block of \(dense.columns) columns with \(denseFeatures.count) feature indices")
        }
        guard codes.count == n * blocks.count else {
            throw LinearAlgebraError.dimensionMismatch("\(codes.count) one-hot codes for \(n) rows and \(blocks.count) blocks")
        }
        let p = denseFeatures.count + blocks.reduce(0) { $0 + max(0, $1.width) }
        var claimed = [Bool](repeating: false, count: p)
        for f in denseFeatures + blocks.flatMap({ $0.feature..<($0.feature + max(0, $0.width)) }) {
            guard f >= 0, f < p, !claimed[f] else {
                throw LinearAlgebraError.dimensionMismatch("feature \(f) is not one of 0..<\(p) or is claimed twice")
            }
            claimed[f] = true
        }
        for (k, c) in codes.enumerated() where c < -1 || Int(c) >= blocks[k % blocks.count].width {
            throw LinearAlgebraError.dimensionMismatch("code \(c) in row \(k / blocks.count) of a block of \(blocks[k % blocks.count].width) levels")
        }
        self.dense = dense
        self.denseFeatures = denseFeatures
        self.blocks = blocks
        self.codes = codes
        self.threads = n >= 50_000 ? 2 : 1
        var start = 1 + dense.columns
        var starts: [Int] = []
        for b in blocks { starts.append(start); start += b.width }
        blockStarts = starts
    }

    /// A design that is all dense block: `x` as it is.
    public init(_ x: Matrix) {
        // Cannot fail: the features are 0..<columns in order and there are no codes.
        try! self.init(dense: x, denseFeatures: Array(0..<x.columns), blocks: [], codes: [])
    }

    /// The coefficients of a parameter vector (`[β₀, dense…, levels…]`) in the encoder's
    /// feature order.
    func featureOrder(_ beta: [Double]) -> [Double] {
        var coefficients = [Double](repeating: 0, count: features)
        for (j, f) in denseFeatures.enumerated() { coefficients[f] = beta[1 + j] }
        for (b, block) in blocks.enumerated() {
            for c in 0..<block.width { coefficients[block.feature + c] = beta[blockStarts[b] + c] }
        }
        return coefficients
    }

    /// The n × p matrix the design stands for (for tests and small data).
    public func denseMatrix() -> Matrix {
        let n = rows, blockCount = blocks.count
        var x = Matrix(rows: n, columns: features)
        for (j, f) in denseFeatures.enumerated() {
            for i in 0..<n { x.storage[f * n + i] = dense.storage[j * n + i] }
        }
        for i in 0..<n {
            for (b, block) in blocks.enumerated() where codes[i * blockCount + b] >= 0 {
                x.storage[(block.feature + Int(codes[i * blockCount + b])) * n + i] = 1
            }
        }
        return x
    }

    /// Runs `body(part, rows)` over `threads` contiguous parts of the rows, in parallel.
    func forEachPart(_ body: (Int, Range<Int>) -> Void) {
        let parts = max(1, threads), n = rows, size = (n + parts - 1) / parts
        parallelFor(parts: parts) { t in
            let lo = min(n, t * size)
            body(t, lo..<min(n, lo + size))
        }
    }

    /// `η = β₀ + Xβ` for a parameter vector `beta`: `Dβ_D` with BLAS `dgemv`, then each row's
    /// intercept and one coefficient per block it has a level in.
    func linearPredictor(_ beta: [Double]) throws -> [Double] {
        guard beta.count == parameterCount else {
            throw LinearAlgebraError.dimensionMismatch("\(beta.count) parameters for a design of \(features) features")
        }
        let n = rows, d = dense.columns, blockCount = blocks.count
        var eta = d > 0 ? try LinearAlgebra.times(dense, Array(beta[1...d])) : [Double](repeating: 0, count: n)
        guard n > 0 else { return eta }
        eta.withUnsafeMutableBufferPointer { e in
            let out = UncheckedSendable(e.baseAddress!)
            codes.withUnsafeBufferPointer { cp in
                beta.withUnsafeBufferPointer { bp in
                    blockStarts.withUnsafeBufferPointer { sp in
                        forEachPart { _, range in
                            for i in range {
                                var z = out.value[i] + bp[0]
                                for b in 0..<blockCount {
                                    let c = Int(cp[i &* blockCount &+ b])
                                    if c >= 0 { z += bp[sp[b] &+ c] }
                                }
                                out.value[i] = z
                            }
                        }
                    }
                }
            }
        }
        return eta
    }

    /// `[1 X]ᵀr` in parameter order: `Σr`, `Dᵀr` with BLAS `dgemv`, and per block the sums of
    /// `r` over the rows at each level.
    func transposeTimes(_ r: [Double]) throws -> [Double] {
        let n = rows, d = dense.columns, blockCount = blocks.count, count = parameterCount
        guard r.count == n else {
            throw LinearAlgebraError.dimensionMismatch("Xᵀr with \(n) rows and r of \(r.count)")
        }
        var g = [Double](repeating: 0, count: count)
        if d > 0 {
            let dr = try LinearAlgebra.transposeTimes(dense, r)
            for j in 0..<d { g[1 + j] = dr[j] }
        }
        let parts = max(1, threads)
        var partial = [Double](repeating: 0, count: parts * count)
        partial.withUnsafeMutableBufferPointer { pp in
            let base = UncheckedSendable(pp.baseAddress!)
            r.withUnsafeBufferPointer { rp in
                codes.withUnsafeBufferPointer { cp in
                    blockStarts.withUnsafeBufferPointer { sp in
                        forEachPart { t, range in
                            let acc = base.value + t * count
                            var total = 0.0
                            for i in range {
                                let v = rp[i]
                                total += v
                                for b in 0..<blockCount {
                                    let c = Int(cp[i &* blockCount &+ b])
                                    if c >= 0 { acc[sp[b] &+ c] += v }
                                }
                            }
                            acc[0] = total
                        }
                    }
                }
            }
        }
        for t in 0..<parts {
            g[0] += partial[t * count]
            for k in (1 + d)..<count { g[k] += partial[t * count + k] }
        }
        return g
    }

    /// `[1 X]ᵀ W [1 X]` (W = diag(w), w ≥ 0) in parameter order, both triangles filled:
    ///
    /// ```
    /// ⎡ Σw      wᵀD      Σw per level          ⎤
    /// ⎢         DᵀWD     Σ w·D per level        ⎥
    /// ⎣                  Σw per level (diagonal within a block), level × level tables between blocks ⎦
    /// ```
    /// `DᵀWD` with BLAS `dsyrk` on `W^{½}D` a block of rows at a time (never a scaled copy of the
    /// whole block), `wᵀD` with `dgemv`; the rest in one pass over the rows, on `threads`
    /// threads.
    func weightedGram(_ w: [Double]) throws -> Matrix {
        let n = rows, d = dense.columns, blockCount = blocks.count, count = parameterCount
        guard w.count == n else {
            throw LinearAlgebraError.dimensionMismatch("XᵀWX with \(n) rows and \(w.count) weights")
        }
        let levels = count - 1 - d
        var h = Matrix(rows: count, columns: count)

        // DᵀWD, upper triangle.
        var dd = Matrix(rows: d, columns: d)
        if d > 0, n > 0 {
            let chunk = min(n, 16_384)
            var buffer = [Double](repeating: 0, count: chunk * d)
            var root = [Double](repeating: 0, count: chunk)
            var lo = 0
            while lo < n {
                let m = min(chunk, n - lo)
                for i in 0..<m { root[i] = w[lo + i].squareRoot() }
                buffer.withUnsafeMutableBufferPointer { bp in
                    dense.storage.withUnsafeBufferPointer { dp in
                        for j in 0..<d {
                            let column = j * n + lo, target = j * m
                            for i in 0..<m { bp[target &+ i] = root[i] * dp[column &+ i] }
                        }
                    }
                }
                try buffer.withUnsafeBufferPointer { try LinearAlgebra.addGramUpper(UnsafeBufferPointer(rebasing: $0[0..<(m * d)]), rows: m, into: &dd) }
                lo += m
            }
        }

        // wᵀD with BLAS `dgemv`; everything else per part: Σw; a row of Σ w·Dᵢ per level
        // (levels × d); Σw per level; a level × level table per pair of blocks.
        let weightedDense = d > 0 ? try LinearAlgebra.transposeTimes(dense, w) : []
        var pairOffsets = [Int](repeating: 0, count: blockCount * blockCount)
        var pairSize = 0
        for a in 0..<blockCount { for b in (a + 1)..<max(a + 1, blockCount) { pairOffsets[a * blockCount + b] = pairSize; pairSize += blocks[a].width * blocks[b].width } }
        let crossAt = 1, levelAt = crossAt + levels * d, pairAt = levelAt + levels, size = pairAt + pairSize
        let widths = blocks.map(\.width)
        let levelBase = blockStarts.map { $0 - 1 - d }
        let parts = max(1, threads)
        var partial = [Double](repeating: 0, count: parts * size)
        if n > 0 {
            partial.withUnsafeMutableBufferPointer { pp in
                let base = UncheckedSendable(pp.baseAddress!)
                w.withUnsafeBufferPointer { wp in
                    dense.storage.withUnsafeBufferPointer { dp in
                        codes.withUnsafeBufferPointer { cp in
                            widths.withUnsafeBufferPointer { widths in
                                levelBase.withUnsafeBufferPointer { levelBase in
                                    pairOffsets.withUnsafeBufferPointer { pairOffsets in
                                        forEachPart { t, range in
                                            let acc = base.value + t * size
                                            let cross = acc + crossAt, level = acc + levelAt, pair = acc + pairAt
                                            // w·Dᵢ row by row for a few hundred rows at a time, so each row's
                                            // d values are contiguous where they are added.
                                            let tile = 256
                                            let scaled = UnsafeMutablePointer<Double>.allocate(capacity: tile * max(1, d))
                                            defer { scaled.deallocate() }
                                            var total = 0.0
                                            var lo = range.lowerBound
                                            while lo < range.upperBound {
                                                let m = min(tile, range.upperBound - lo)
                                                for j in 0..<(blockCount > 0 ? d : 0) {
                                                    let column = j &* n &+ lo
                                                    for i in 0..<m { scaled[i &* d &+ j] = wp[lo &+ i] * dp[column &+ i] }
                                                }
                                                for i in 0..<m {
                                                    let row = lo &+ i, wi = wp[row], x = scaled + i &* d
                                                    let rowCodes = cp.baseAddress! + row &* blockCount
                                                    total += wi
                                                    for a in 0..<blockCount {
                                                        let ca = Int(rowCodes[a])
                                                        if ca < 0 { continue }
                                                        let k = levelBase[a] &+ ca
                                                        level[k] += wi
                                                        let target = cross + k &* d
                                                        for j in 0..<d { target[j] += x[j] }
                                                        for b in (a &+ 1)..<max(a &+ 1, blockCount) {
                                                            let cb = Int(rowCodes[b])
                                                            if cb >= 0 { pair[pairOffsets[a &* blockCount &+ b] &+ ca &* widths[b] &+ cb] += wi }
                                                        }
                                                    }
                                                }
                                                lo += m
                                            }
                                            acc[0] = total
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var sums = [Double](repeating: 0, count: size)
        for t in 0..<parts { for k in 0..<size { sums[k] += partial[t * size + k] } }

        func set(_ r: Int, _ c: Int, _ v: Double) { h[r, c] = v; h[c, r] = v }
        set(0, 0, sums[0])
        for j in 0..<d {
            set(0, 1 + j, weightedDense[j])
            for k in j..<d { set(1 + j, 1 + k, dd[j, k]) }
        }
        for k in 0..<levels {
            let v = sums[levelAt + k]
            set(0, 1 + d + k, v)
            set(1 + d + k, 1 + d + k, v)
            for j in 0..<d { set(1 + j, 1 + d + k, sums[crossAt + k * d + j]) }
        }
        for a in 0..<blockCount {
            for b in (a + 1)..<max(a + 1, blockCount) {
                let offset = pairAt + pairOffsets[a * blockCount + b]
                for ca in 0..<widths[a] {
                    for cb in 0..<widths[b] {
                        set(blockStarts[a] + ca, blockStarts[b] + cb, sums[offset + ca * widths[b] + cb])
                    }
                }
            }
        }
        return h
    }
}
