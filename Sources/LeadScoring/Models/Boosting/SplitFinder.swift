import Foundation

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

/// The best split of a leaf from its histogram: numeric thresholds with the learned side for
/// missing values, and LightGBM's categorical splits (one-vs-rest for few categories, else
/// categories ordered by G / (H + smoothing) and split many-vs-many).
extension TreeGrower {
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
                    // Missing values right, then (when there are any) left; no array per feature.
                    for missingSide in 0..<(mc > 0 ? 2 : 1) {
                        let missingLeft = missingSide == 1
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
}
