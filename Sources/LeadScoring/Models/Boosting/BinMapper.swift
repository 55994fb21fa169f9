import Foundation
import LinearAlgebra

/// Maps raw feature values to small integer bins (`UInt8`) for histogram boosting.
///
/// - Numeric: up to `maxBins` value bins. With few distinct values every value gets its own bin
///   (upper bounds at the midpoints); otherwise quantile bins. `upperBounds[k]` is the largest
///   value in bin k, so `x ≤ upperBounds[k]` ⇔ bin ≤ k.
/// - Categorical (raw codes 0, 1, 2, … from the encoder): the code is the bin.
/// - Missing (NaN) always goes to the last bin, `missingBin`, so that each split can learn which
///   side missing values take.
public struct FeatureBins: Codable, Equatable, Sendable {
    public var categorical: Bool
    /// Numeric only: upper bound of each value bin; the last is +∞.
    public var upperBounds: [Double]
    /// Number of value bins (categories for categorical features).
    public var valueBins: Int
    public var missingBin: Int { valueBins }
    public var totalBins: Int { valueBins + 1 }

    @inline(__always)
    public func bin(_ x: Double) -> Int {
        if x.isNaN { return valueBins }
        if categorical {
            let code = Int(x)
            return code >= 0 && code < valueBins ? code : valueBins - 1  // unseen → last level ("other")
        }
        var lo = 0, hi = valueBins - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if x <= upperBounds[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

public struct BinMapper: Codable, Equatable, Sendable {
    /// 255 value bins + 1 missing bin fill a `UInt8`, as LightGBM's default `max_bin=255`.
    public static let maxValueBins = 255

    public var features: [FeatureBins]
    /// Offset of each feature's first bin in a flat histogram.
    public var offsets: [Int]
    public var totalBins: Int

    /// Learns the bins from the columns of `x` (n × F, NaN = missing). `categoryCounts[f]` is
    /// the number of categories of feature f, or nil for a numeric feature. Quantiles are taken
    /// on at most `sampleSize` rows (LightGBM's `bin_construct_sample_cnt` idea).
    public static func fit(_ x: Matrix, categoryCounts: [Int?], maxBins: Int = maxValueBins,
                           sampleSize: Int = 200_000, seed: UInt64 = 1) -> BinMapper {
        let n = x.rows
        var rows = Array(0..<n)
        if n > sampleSize {
            var rng = SeededGenerator(seed: seed)
            rows.shuffle(using: &rng)
            rows = Array(rows.prefix(sampleSize))
        }
        // Features are independent: the two threads take alternate ones (sorting dominates).
        var found = [FeatureBins?](repeating: nil, count: x.columns)
        let parts = n >= 50_000 ? min(2, x.columns) : 1
        found.withUnsafeMutableBufferPointer { out in
            let results = UncheckedSendable(out.baseAddress!)
            parallelFor(parts: parts) { t in
                for f in stride(from: t, to: x.columns, by: parts) {
                    results.value[f] = fitFeature(x, f, rows: rows, categories: categoryCounts[f], maxBins: maxBins)
                }
            }
        }
        let features = found.map { $0! }
        var offsets: [Int] = []
        var total = 0
        for fb in features { offsets.append(total); total += fb.totalBins }
        return BinMapper(features: features, offsets: offsets, totalBins: total)
    }

    /// The bins of feature `f` from the sampled `rows`.
    static func fitFeature(_ x: Matrix, _ f: Int, rows: [Int], categories: Int?, maxBins: Int) -> FeatureBins {
        if let k = categories {
            return FeatureBins(categorical: true, upperBounds: [], valueBins: max(1, min(k, maxBins)))
        }
        var values: [Double] = []
        values.reserveCapacity(rows.count)
        for r in rows { let v = x[r, f]; if !v.isNaN { values.append(v) } }
        values.sort()
        var distinct: [Double] = []
        var counts: [Int] = []
        for v in values {
            if let last = distinct.last, last == v { counts[counts.count - 1] += 1 } else { distinct.append(v); counts.append(1) }
        }
        var bounds: [Double] = []
        if distinct.count <= maxBins {
            for i in 0..<distinct.count {
                bounds.append(i + 1 < distinct.count ? (distinct[i] + distinct[i + 1]) / 2 : .infinity)
            }
        } else {
            // Greedy equal-frequency bins over distinct values, so a heavy value keeps its own bin.
            let perBin = Double(values.count) / Double(maxBins)
            var accumulated = 0
            var target = perBin
            for i in 0..<(distinct.count - 1) {
                accumulated += counts[i]
                if Double(accumulated) >= target && bounds.count < maxBins - 1 {
                    bounds.append((distinct[i] + distinct[i + 1]) / 2)
                    target = Double(accumulated) + perBin
                }
            }
            bounds.append(.infinity)
        }
        if bounds.isEmpty { bounds = [.infinity] }
        return FeatureBins(categorical: false, upperBounds: bounds, valueBins: bounds.count)
    }

    /// Row-major bins: `bins[r * F + f]`. Row-major keeps one row's bins in one cache line for
    /// histogram building and prediction. Numeric values are placed by a branch-free binary
    /// search over the feature's upper bounds (the same answer as `FeatureBins.bin`).
    ///
    /// With `groups` g > 1 the rows are interleaved in groups of g for `CompiledForest`: bin
    /// (r, f) is at `(r / g) · F · g + f · g + r mod g`, so one feature's bins of a group's rows
    /// are adjacent; the row count is padded to a multiple of g with bin 0.
    public func binRows(_ x: Matrix, threads: Int = 2, groups: Int = 1) -> [UInt8] {
        let n = x.rows, nf = features.count, g = groups
        let padded = (n + g - 1) / g * g
        var bins = [UInt8](repeating: 0, count: padded * nf)
        let parts = n >= 4096 ? max(1, threads) : 1
        // Chunks of whole groups, so no two threads write one group (or one cache line).
        let chunk = ((n + parts - 1) / parts + g - 1) / g * g
        let bounds = flatBounds
        bins.withUnsafeMutableBufferPointer { b in
            let out = UncheckedSendable(b.baseAddress!)
            parallelFor(parts: parts) { t in
                let lo = t * chunk, hi = min(n, lo + chunk)
                guard lo < hi else { return }
                bin(x, rows: lo..<hi, groups: g, bounds: bounds, into: out.value + lo * nf)
            }
        }
        return bins
    }

    /// Bins rows `rows` of `x` into `out` (laid out as by `binRows`, its first row being
    /// `rows.lowerBound`, which starts a group), on the calling thread.
    /// Every numeric feature's upper bounds back to back, so the search reads one flat array;
    /// made once per batch by the caller of `bin`.
    public struct FlatBounds: Sendable {
        let values: [Double]
        /// Where each feature's bounds start in `values`.
        let start: [Int]
    }

    public var flatBounds: FlatBounds {
        var values: [Double] = [], start: [Int] = []
        for fb in features { start.append(values.count); values += fb.upperBounds }
        return FlatBounds(values: values, start: start)
    }

    public func bin(_ x: Matrix, rows: Range<Int>, groups g: Int, bounds: FlatBounds, into out: UnsafeMutablePointer<UInt8>) {
        let n = x.rows, nf = features.count, lo = rows.lowerBound, hi = rows.upperBound
        let flat = bounds.values, start = bounds.start
        @inline(__always) func index(_ r: Int, _ f: Int) -> Int {
            let q = r &- lo
            return g == 1 ? q &* nf &+ f : (q / g) &* (nf &* g) &+ f &* g &+ q % g
        }
        x.storage.withUnsafeBufferPointer { xs in
            flat.withUnsafeBufferPointer { fl in
                        for f in 0..<nf {
                            let fb = features[f]
                            let column = xs.baseAddress! + f * n
                            let missing = UInt8(truncatingIfNeeded: fb.missingBin)
                            if fb.categorical || fb.upperBounds.isEmpty {
                                for r in lo..<hi { out[index(r, f)] = UInt8(truncatingIfNeeded: fb.bin(column[r])) }
                                continue
                            }
                            let bounds = fl.baseAddress! + start[f]
                            let m = fb.upperBounds.count
                            // Branch-free: bound < v ⇔ the sign bit of bound − v (the last bound,
                            // +∞, is never read), spread to a mask over `half`. Four rows at a time
                            // so that their searches' loads overlap.
                            @inline(__always) func below(_ bound: Double, _ v: Double) -> Int {
                                0 &- Int(bitPattern: UInt((bound - v).bitPattern >> 63))
                            }
                            var r = lo
                            while r + 4 <= hi {
                                let v0 = column[r], v1 = column[r + 1], v2 = column[r + 2], v3 = column[r + 3]
                                var b0 = 0, b1 = 0, b2 = 0, b3 = 0, length = m
                                while length > 1 {
                                    let half = length >> 1
                                    b0 &+= half & below(bounds[b0 &+ half &- 1], v0)
                                    b1 &+= half & below(bounds[b1 &+ half &- 1], v1)
                                    b2 &+= half & below(bounds[b2 &+ half &- 1], v2)
                                    b3 &+= half & below(bounds[b3 &+ half &- 1], v3)
                                    length -= half
                                }
                                out[index(r, f)] = v0.isNaN ? missing : UInt8(truncatingIfNeeded: b0)
                                out[index(r + 1, f)] = v1.isNaN ? missing : UInt8(truncatingIfNeeded: b1)
                                out[index(r + 2, f)] = v2.isNaN ? missing : UInt8(truncatingIfNeeded: b2)
                                out[index(r + 3, f)] = v3.isNaN ? missing : UInt8(truncatingIfNeeded: b3)
                                r += 4
                            }
                            for r in r..<hi { out[index(r, f)] = UInt8(truncatingIfNeeded: fb.bin(column[r])) }
                        }
            }
        }
    }
}

/// Rows binned once for boosting: the mapper and the rows' bins (row-major, `bins[r * F + f]`).
/// Binning a table once and fitting on subsets of its rows (`subset`) saves binning again
/// for a holdout fit, each fold and the final fit; bin boundaries then come from all rows
/// binned, not only the ones a fit trains on.
public struct BinnedRows: Sendable {
    public let mapper: BinMapper
    public let bins: [UInt8]
    public let rows: Int
    public var featureCount: Int { mapper.features.count }

    /// `bins` as `mapper.binRows` lays them out (ungrouped), `rows` rows.
    public init(mapper: BinMapper, bins: [UInt8], rows: Int) {
        precondition(bins.count == rows * mapper.features.count, "\(bins.count) bins are not \(rows) rows of \(mapper.features.count)")
        self.mapper = mapper
        self.bins = bins
        self.rows = rows
    }

    /// Learns the bins from `x` (as `BinMapper.fit`, with `seed` for its row sample) and bins
    /// every row.
    public init(_ x: Matrix, categoryCounts: [Int?], seed: UInt64 = 42, threads: Int = 2) {
        let mapper = BinMapper.fit(x, categoryCounts: categoryCounts, seed: seed)
        self.init(mapper: mapper, bins: mapper.binRows(x, threads: threads), rows: x.rows)
    }

    /// The rows `rows` (in that order), with the same mapper.
    public func subset(_ rows: [Int]) -> BinnedRows {
        let nf = featureCount
        var out = [UInt8](repeating: 0, count: rows.count * nf)
        bins.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                for (i, r) in rows.enumerated() {
                    precondition(r >= 0 && r < self.rows, "row \(r) out of 0..<\(self.rows)")
                    (o.baseAddress! + i * nf).update(from: b.baseAddress! + r * nf, count: nf)
                }
            }
        }
        return BinnedRows(mapper: mapper, bins: out, rows: rows.count)
    }
}
