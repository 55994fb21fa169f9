/// Pool-adjacent-violators: the non-decreasing sequence closest (in weighted least squares) to
/// `values`. Fed with outcomes ordered by score, it gives the observed conversion rate as a
/// monotone function of the score: the best estimate of "how often do leads around here
/// convert" that respects the ranking.
public func isotonicFit(_ values: [Double], weights: [Double]? = nil) -> [Double] {
    var means: [Double] = [], totals: [Double] = [], sizes: [Int] = []
    for (i, v) in values.enumerated() {
        var m = v, w = weights?[i] ?? 1, size = 1
        while let last = means.last, last > m {
            let lw = totals.removeLast()
            m = (means.removeLast() * lw + m * w) / (lw + w)
            w += lw
            size += sizes.removeLast()
        }
        means.append(m); totals.append(w); sizes.append(size)
    }
    var result: [Double] = []
    result.reserveCapacity(values.count)
    for (m, size) in zip(means, sizes) { result += repeatElement(m, count: size) }
    return result
}
