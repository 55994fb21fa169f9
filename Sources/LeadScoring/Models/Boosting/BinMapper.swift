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
        var features: [FeatureBins] = []
        for f in 0..<x.columns {
            if let k = categoryCounts[f] {
                features.append(FeatureBins(categorical: true, upperBounds: [], valueBins: max(1, min(k, maxBins))))
                continue
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
            features.append(FeatureBins(categorical: false, upperBounds: bounds, valueBins: bounds.count))
        }
        var offsets: [Int] = []
        var total = 0
        for fb in features { offsets.append(total); total += fb.totalBins }
        return BinMapper(features: features, offsets: offsets, totalBins: total)
    }

    /// Row-major bins: `bins[r * F + f]`. Row-major keeps one row's bins in one cache line for
    /// histogram building.
    public func binRows(_ x: Matrix, threads: Int = 2) -> [UInt8] {
        let n = x.rows, nf = features.count
        var bins = [UInt8](repeating: 0, count: n * nf)
        let parts = n >= 50_000 ? max(1, threads) : 1
        let chunk = (n + parts - 1) / parts
        bins.withUnsafeMutableBufferPointer { b in
            x.storage.withUnsafeBufferPointer { xs in
                let out = UncheckedSendable(b.baseAddress!), input = UncheckedSendable(xs.baseAddress!)
                // Rows split across threads: each writes whole rows, so no cache line is shared.
                parallelFor(parts: parts) { t in
                    let lo = t * chunk, hi = min(n, lo + chunk)
                    guard lo < hi else { return }
                    for f in 0..<nf {
                        let fb = features[f]
                        let column = input.value + f * n
                        for r in lo..<hi { out.value[r &* nf &+ f] = UInt8(truncatingIfNeeded: fb.bin(column[r])) }
                    }
                }
            }
        }
        return bins
    }
}
