import Foundation

/// Checks that a model file read from disk describes a model that can score: every array the
/// scorer indexes has the length it assumes, every index (child, feature, bin, level) is in
/// range, trees are trees (each node reached from exactly one parent, children after their
/// parents, so no cycle), and every number is finite where it must be. A damaged or hand-edited
/// file is refused with the first problem found, never a crash or a hang at scoring time.
extension LeadModel {
    public func validate() throws {
        if let problem = firstProblem() {
            throw ModelDefect(problem)
        }
    }

    struct ModelDefect: Error { let problem: String; init(_ p: String) { problem = p } }

    func firstProblem() -> String? {
        if let p = checkEncoder() { return p }
        switch predictor {
        case let .logistic(m): if let p = check(m) { return p }
        case let .gbdt(m): if let p = check(m) { return p }
        }
        if let calibration, let p = check(calibration) { return p }
        if let blend, let p = check(blend) { return p }
        if !(tiers.mql.isFinite && tiers.sql.isFinite && tiers.mql >= 0 && tiers.sql <= 1 && tiers.mql <= tiers.sql) {
            return "tiers: thresholds mql \(tiers.mql), sql \(tiers.sql) must satisfy 0 ≤ mql ≤ sql ≤ 1"
        }
        if let profile, let p = check(profile) { return p }
        return nil
    }

    private func checkEncoder(_ e: FeatureEncoder? = nil) -> String? {
        let e = e ?? encoder
        guard e.width >= 0, e.width <= 1_000_000 else { return "encoder: width \(e.width) is out of range" }
        guard e.featureNames.count == e.width else {
            return "encoder: \(e.featureNames.count) feature names for \(e.width) features"
        }
        guard e.featureMeans.count == e.width else {
            return "encoder: \(e.featureMeans.count) feature means for \(e.width) features"
        }
        if let j = e.featureMeans.firstIndex(where: { !$0.isFinite }) { return "encoder: feature mean \(j) is not finite" }
        var offset = 0
        for (k, column) in e.columns.enumerated() {
            let place = "encoder column \(k) ('\(column.name)')"
            guard column.offset == offset else { return "\(place): offset \(column.offset), expected \(offset)" }
            guard column.width >= 0 else { return "\(place): negative width" }
            switch column.encoding {
            case let .numeric(n), let .boolean(n):
                guard n.fill.isFinite, n.mean.isFinite, n.scale.isFinite, n.scale > 0 else {
                    return "\(place): fill, mean and scale must be finite with a positive scale"
                }
                guard column.width == (n.missingIndicator ? 2 : 1) else {
                    return "\(place): width \(column.width) does not fit a numeric encoding"
                }
            case let .categorical(c):
                guard column.width == c.levels.count + (c.hasOther ? 1 : 0) else {
                    return "\(place): width \(column.width) for \(c.levels.count) levels"
                }
                if Set(c.levels).count != c.levels.count { return "\(place): a level is listed twice" }
            case let .raw(r):
                guard column.width == 1 else { return "\(place): a raw encoding has width 1, not \(column.width)" }
                if r.kind == .categorical {
                    guard r.levels.count <= FeatureEncoder.maxRawLevels else {
                        return "\(place): \(r.levels.count) levels, more than the \(FeatureEncoder.maxRawLevels) trees can bin"
                    }
                    if Set(r.levels).count != r.levels.count { return "\(place): a level is listed twice" }
                } else if ![ColumnKind.numeric, .boolean].contains(r.kind) {
                    return "\(place): a raw encoding of kind '\(r.kind.rawValue)'"
                }
            }
            offset += column.width
        }
        guard offset == e.width else { return "encoder: columns cover \(offset) features, width is \(e.width)" }
        return nil
    }

    /// A blend scores the trees' records with its own encoder: both must read the same columns
    /// in the same order, and its logistic model must fit its encoder.
    private func check(_ b: Blend) -> String? {
        guard case .gbdt = predictor else { return "blend: the model's own learner must be boosted trees" }
        guard calibration == nil else { return "blend: a blended model is not calibrated again" }
        if let p = checkEncoder(b.encoder) { return "blend: \(p)" }
        guard b.encoder.columns.map(\.name) == encoder.columns.map(\.name) else {
            return "blend: its encoder reads columns \(b.encoder.columns.map(\.name)), the trees' \(encoder.columns.map(\.name))"
        }
        if let p = check(b.logistic, encoder: b.encoder) { return "blend: \(p)" }
        let w = b.weights
        guard w.intercept.isFinite, w.treesWeight.isFinite, w.logisticWeight.isFinite else { return "blend: a weight is not finite" }
        return nil
    }

    private func check(_ m: LogisticModel, encoder: FeatureEncoder? = nil) -> String? {
        let encoder = encoder ?? self.encoder
        guard m.coefficients.count == encoder.width else {
            return "logistic model: \(m.coefficients.count) coefficients for \(encoder.width) encoded features"
        }
        guard m.intercept.isFinite else { return "logistic model: the intercept is not finite" }
        if let j = m.coefficients.firstIndex(where: { !$0.isFinite }) { return "logistic model: coefficient \(j) is not finite" }
        return nil
    }

    private func check(_ m: BoostedTrees) -> String? {
        let mapper = m.mapper
        guard mapper.features.count == encoder.width else {
            return "trees: \(mapper.features.count) binned features for \(encoder.width) encoded features"
        }
        guard m.baseScore.isFinite else { return "trees: the base score is not finite" }
        let categoryCounts = encoder.categoryCounts
        var offset = 0
        for (f, fb) in mapper.features.enumerated() {
            let place = "trees: bins of feature \(f)"
            guard fb.valueBins >= 1, fb.valueBins <= BinMapper.maxValueBins else {
                return "\(place): \(fb.valueBins) value bins (1 to \(BinMapper.maxValueBins))"
            }
            guard f < mapper.offsets.count, mapper.offsets[f] == offset else { return "\(place): bad histogram offset" }
            offset += fb.totalBins
            if fb.categorical {
                guard categoryCounts[f] != nil else { return "\(place): categorical bins for a numeric feature" }
                guard fb.upperBounds.isEmpty else { return "\(place): a categorical feature with numeric bounds" }
            } else {
                guard categoryCounts[f] == nil else { return "\(place): numeric bins for a categorical feature" }
                guard fb.upperBounds.count == fb.valueBins else { return "\(place): \(fb.upperBounds.count) bounds for \(fb.valueBins) bins" }
                guard fb.upperBounds.last == .infinity else { return "\(place): the last bound must be +∞" }
                for i in 0..<fb.upperBounds.count {
                    let b = fb.upperBounds[i]
                    if b.isNaN || (i + 1 < fb.upperBounds.count && !(b.isFinite && b < fb.upperBounds[i + 1])) {
                        return "\(place): bounds must be finite and increasing"
                    }
                }
            }
        }
        guard mapper.offsets.count == mapper.features.count, mapper.totalBins == offset else {
            return "trees: histogram offsets do not match the bins"
        }
        var splits = 0
        for (t, tree) in m.trees.enumerated() {
            if let p = check(tree, mapper: mapper) { return "tree \(t): \(p)" }
            splits += tree.nodes.count / 2
        }
        // The compiled forest addresses its 64-byte nodes with 32-bit byte offsets.
        guard splits < Int(Int32.max) / 64 - 1 else { return "trees: \(splits) split nodes, more than one model can hold" }
        return nil
    }

    private func check(_ tree: Tree, mapper: BinMapper) -> String? {
        let nodes = tree.nodes
        guard !nodes.isEmpty else { return "no nodes" }
        guard nodes.count <= Tree.maxNodes else { return "\(nodes.count) nodes, more than \(Tree.maxNodes)" }
        var parents = [Int](repeating: 0, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            guard node.value.isFinite, node.count.isFinite, node.count >= 0, node.gain.isFinite else {
                return "node \(i): value, count and gain must be finite"
            }
            if node.feature < 0 {
                guard node.feature == -1 else { return "node \(i): feature \(node.feature)" }
                continue
            }
            let f = Int(node.feature)
            guard f < mapper.features.count else { return "node \(i): feature \(f) out of range (\(mapper.features.count) features)" }
            let l = Int(node.left), r = Int(node.right)
            guard l > i, r > i, l < nodes.count, r < nodes.count, l != r else { return "node \(i): bad child link (\(l), \(r))" }
            parents[l] += 1
            parents[r] += 1
            let fb = mapper.features[f]
            if node.categories.isEmpty {
                guard !fb.categorical else { return "node \(i): a numeric split on categorical feature \(f)" }
                guard Int(node.thresholdBin) < fb.valueBins else { return "node \(i): threshold bin \(node.thresholdBin) out of range" }
                guard !node.threshold.isNaN else { return "node \(i): the threshold is NaN" }
            } else {
                guard node.categories.count == 4 else { return "node \(i): a categorical split needs 4 words of 64 bits" }
            }
        }
        if let i = parents.dropFirst().firstIndex(where: { $0 != 1 }) { return "node \(i) has \(parents[i]) parents" }
        guard parents[0] == 0 else { return "the root has a parent" }
        guard tree.depth <= Tree.maxDepth else { return "depth \(tree.depth), deeper than \(Tree.maxDepth)" }
        return nil
    }

    private func check(_ c: Calibration) -> String? {
        switch c {
        case let .platt(a, b):
            return a.isFinite && b.isFinite ? nil : "calibration: Platt parameters must be finite"
        case let .isotonic(x, y):
            guard !x.isEmpty, x.count == y.count else { return "calibration: isotonic points must be non-empty pairs" }
            for i in 0..<x.count {
                guard x[i].isFinite, y[i].isFinite, (0...1).contains(y[i]) else { return "calibration: isotonic point \(i) is out of range" }
                if i > 0, !(x[i] >= x[i - 1]) { return "calibration: isotonic points must be in increasing order" }
            }
            return nil
        }
    }

    private func check(_ profile: DataProfile) -> String? {
        func edgesOK(_ edges: [Double], _ shares: [Double]) -> Bool {
            !edges.isEmpty && edges.count == shares.count && zip(edges, edges.dropFirst()).allSatisfy { $0 < $1 }
                && shares.allSatisfy { $0.isFinite }
        }
        guard edgesOK(profile.scoreEdges, profile.scoreShares) else { return "profile: score bins and shares do not match" }
        for f in profile.features {
            if let edges = f.edges {
                guard edgesOK(edges, f.shares) else { return "profile of '\(f.name)': bins and shares do not match" }
            } else {
                guard let levels = f.levels, f.shares.count == levels.count + 1, f.shares.allSatisfy({ $0.isFinite }) else {
                    return "profile of '\(f.name)': levels and shares do not match"
                }
                if Set(levels).count != levels.count { return "profile of '\(f.name)': a level is listed twice" }
            }
            guard f.missingShare.isFinite else { return "profile of '\(f.name)': the missing share is not finite" }
        }
        return nil
    }
}
