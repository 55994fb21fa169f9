import Foundation

/// One node of a fitted tree, stored flat (`Tree.nodes`); node 0 is the root.
public struct TreeNode: Codable, Equatable, Sendable {
    /// Split feature, or -1 for a leaf.
    public var feature: Int32
    /// Numeric splits: rows with bin ≤ `thresholdBin` (raw value ≤ `threshold`) go left.
    public var thresholdBin: UInt16
    public var threshold: Double
    /// Numeric splits: where missing values go.
    public var defaultLeft: Bool
    /// Categorical splits: bins (categories, and the missing bin) that go left, as a bitset of
    /// 256 bits; empty for numeric splits.
    public var categories: [UInt64]
    public var left: Int32
    public var right: Int32
    /// Leaf output (already multiplied by the learning rate); 0 for internal nodes.
    public var value: Double
    /// Training rows that reached the node (the "cover" TreeSHAP weighs paths by).
    public var count: Double
    /// Loss reduction of the split (0 for leaves), for gain importance.
    public var gain: Double

    public var isLeaf: Bool { feature < 0 }

    static func leaf(value: Double, count: Double) -> TreeNode {
        TreeNode(feature: -1, thresholdBin: 0, threshold: 0, defaultLeft: false, categories: [], left: -1, right: -1,
                 value: value, count: count, gain: 0)
    }

    /// The side a row of raw values takes: numbers compare with `threshold` directly; missing
    /// values and categories go through their bin.
    @inline(__always)
    func goesLeft(raw row: UnsafePointer<Double>, mapper: BinMapper) -> Bool {
        let f = Int(feature)
        let x = row[f]
        if categories.isEmpty && !x.isNaN { return x <= threshold }
        let fb = mapper.features[f]
        return goesLeft(bin: fb.bin(x), missingBin: fb.missingBin)
    }

    @inline(__always)
    func goesLeft(bin: Int, missingBin: Int) -> Bool {
        if !categories.isEmpty { return (categories[bin >> 6] >> UInt64(bin & 63)) & 1 == 1 }
        if bin == missingBin { return defaultLeft }
        return bin <= Int(thresholdBin)
    }
}

/// A fitted regression tree over binned features, predicted by walking the flat node array.
public struct Tree: Codable, Equatable, Sendable {
    public let nodes: [TreeNode]
    /// Derived once from `nodes` (not stored in the file): depth, and the cover-weighted mean
    /// output that TreeSHAP measures contributions from.
    public let depth: Int
    public let expected: Double

    /// Deepest tree a model may hold: TreeSHAP's scratch grows with the square of the depth and
    /// its recursion with the depth. Growth stops splitting there; model files beyond it are refused.
    public static let maxDepth = 512
    /// Most nodes a tree in a model file may have (LightGBM's `num_leaves` ceiling, 131,072 leaves).
    public static let maxNodes = 262_143

    /// `nodes` must list children after their parents (as growth and model files do).
    public init(nodes: [TreeNode]) {
        self.nodes = nodes
        // Children come after parents: one backward pass gives every node's depth below it
        // and cover-weighted mean output (no recursion, so no tree can overflow the stack).
        var depth = [Int](repeating: 0, count: nodes.count)
        var mean = [Double](repeating: 0, count: nodes.count)
        for i in stride(from: nodes.count - 1, through: 0, by: -1) {
            let n = nodes[i]
            let l = Int(n.left), r = Int(n.right)
            guard !n.isLeaf, l > i, r > i, l < nodes.count, r < nodes.count else { mean[i] = n.value; continue }
            let lc = nodes[l].count, rc = nodes[r].count
            depth[i] = 1 + max(depth[l], depth[r])
            mean[i] = (lc * mean[l] + rc * mean[r]) / max(lc + rc, 1e-300)
        }
        self.depth = depth.first ?? 0
        self.expected = mean.first ?? 0
    }

    /// Stored column by column (one array per node field; categorical splits as
    /// `[node, word0, word1, word2, word3]` rows): a third of the size of an array of node
    /// objects, and several times faster to decode. Model files of format 1 held `nodes`.
    enum CodingKeys: String, CodingKey {
        case nodes
        case feature, left, right, thresholdBin, threshold, defaultLeft, value, count, gain, categories
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.nodes) {
            let nodes = try c.decode([TreeNode].self, forKey: .nodes)
            try Tree.checkLinks(nodes, in: c)
            self.init(nodes: nodes)
            return
        }
        let feature = try c.decode([Int32].self, forKey: .feature)
        let left = try c.decode([Int32].self, forKey: .left), right = try c.decode([Int32].self, forKey: .right)
        let thresholdBin = try c.decode([UInt16].self, forKey: .thresholdBin)
        let threshold = try c.decode([Double].self, forKey: .threshold)
        let defaultLeft = try c.decode([Bool].self, forKey: .defaultLeft)
        let value = try c.decode([Double].self, forKey: .value), count = try c.decode([Double].self, forKey: .count)
        let gain = try c.decode([Double].self, forKey: .gain)
        let categories = try c.decode([[UInt64]].self, forKey: .categories)
        let n = feature.count
        guard [left.count, right.count, thresholdBin.count, threshold.count, defaultLeft.count, value.count, count.count, gain.count]
            .allSatisfy({ $0 == n }) else {
            throw DecodingError.dataCorruptedError(forKey: .feature, in: c, debugDescription: "tree arrays differ in length")
        }
        var nodes = (0..<n).map { i in
            TreeNode(feature: feature[i], thresholdBin: thresholdBin[i], threshold: threshold[i], defaultLeft: defaultLeft[i],
                     categories: [], left: left[i], right: right[i], value: value[i], count: count[i], gain: gain[i])
        }
        for row in categories {
            guard row.count == 5, row[0] < UInt64(n) else {
                throw DecodingError.dataCorruptedError(forKey: .categories, in: c, debugDescription: "bad categorical split row")
            }
            nodes[Int(row[0])].categories = Array(row[1...])
        }
        try Tree.checkLinks(nodes, in: c)
        self.init(nodes: nodes)
    }

    /// Child links must point inside the tree and forward (no cycles), in either format, so a
    /// damaged file is an error and not a crash or a hang.
    private static func checkLinks(_ nodes: [TreeNode], in c: KeyedDecodingContainer<CodingKeys>) throws {
        guard !nodes.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .feature, in: c, debugDescription: "a tree without nodes")
        }
        for (i, node) in nodes.enumerated() where !node.isLeaf {
            guard Int(node.left) > i, Int(node.right) > i, Int(node.left) < nodes.count, Int(node.right) < nodes.count else {
                throw DecodingError.dataCorruptedError(forKey: .left, in: c, debugDescription: "bad child link at node \(i)")
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nodes.map(\.feature), forKey: .feature)
        try c.encode(nodes.map(\.left), forKey: .left)
        try c.encode(nodes.map(\.right), forKey: .right)
        try c.encode(nodes.map(\.thresholdBin), forKey: .thresholdBin)
        try c.encode(nodes.map(\.threshold), forKey: .threshold)
        try c.encode(nodes.map(\.defaultLeft), forKey: .defaultLeft)
        try c.encode(nodes.map(\.value), forKey: .value)
        try c.encode(nodes.map(\.count), forKey: .count)
        try c.encode(nodes.map(\.gain), forKey: .gain)
        let categorical = nodes.indices.filter { !nodes[$0].categories.isEmpty }
        try c.encode(categorical.map { [UInt64($0)] + nodes[$0].categories }, forKey: .categories)
    }

    /// Output for one row of raw values (NaN = missing; categorical features as codes).
    @inline(__always)
    public func predict(raw row: UnsafePointer<Double>, bins mapper: BinMapper) -> Double {
        var i = 0
        while true {
            let node = nodes[i]
            if node.feature < 0 { return node.value }
            i = Int(node.goesLeft(raw: row, mapper: mapper) ? node.left : node.right)
        }
    }

    /// Output for one binned row (`bins[f]`), as during training.
    @inline(__always)
    func predict(bins row: UnsafePointer<UInt8>, mapper: BinMapper) -> Double {
        var i = 0
        while true {
            let node = nodes[i]
            if node.feature < 0 { return node.value }
            let f = Int(node.feature)
            i = Int(node.goesLeft(bin: Int(row[f]), missingBin: mapper.features[f].missingBin) ? node.left : node.right)
        }
    }

    // MARK: - TreeSHAP

    /// Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2): adds each
    /// feature's contribution for this row to `phi[f]`. Σ phi + expected value = output.
    /// `path` is scratch space of at least `pathSize(depth)` elements, reused across calls.
    func shap(raw row: UnsafePointer<Double>, mapper: BinMapper, phi: inout [Double], path: inout [PathElement]) {
        if path.count < Tree.pathSize(depth) { path = [PathElement](repeating: PathElement(), count: Tree.pathSize(depth)) }
        recurse(node: 0, row: row, mapper: mapper, phi: &phi, path: &path, start: 0, depth: 0,
                zeroFraction: 1, oneFraction: 1, feature: -1)
    }

    /// 1 / k for k = 0 ... maxDepth + 2 (entry 0 unused): path lengths never exceed the depth + 1.
    /// A table that lives as long as the process, read through a pointer (no reference count
    /// traffic in the inner loops).
    nonisolated(unsafe) static let reciprocals: UnsafePointer<Double> = {
        let table = UnsafeMutablePointer<Double>.allocate(capacity: maxDepth + 3)
        for k in 0...(maxDepth + 2) { table[k] = k == 0 ? 0 : 1 / Double(k) }
        return UnsafePointer(table)
    }()

    /// Scratch needed for a tree of depth `d`: one path copy per level, each one longer.
    static func pathSize(_ d: Int) -> Int { (d + 3) * (d + 4) / 2 }

    struct PathElement {
        var feature = -1
        var zeroFraction = 0.0
        var oneFraction = 0.0
        var weight = 0.0
    }

    private func extend(_ path: inout [PathElement], _ start: Int, _ length: Int, _ zero: Double, _ one: Double, _ feature: Int) {
        path[start + length] = PathElement(feature: feature, zeroFraction: zero, oneFraction: one, weight: length == 0 ? 1 : 0)
        var i = length - 1
        while i >= 0 {
            path[start + i + 1].weight += one * path[start + i].weight * Double(i + 1) / Double(length + 1)
            path[start + i].weight = zero * path[start + i].weight * Double(length - i) / Double(length + 1)
            i -= 1
        }
    }

    private func unwind(_ path: inout [PathElement], _ start: Int, _ length: Int, _ index: Int) {
        let one = path[start + index].oneFraction, zero = path[start + index].zeroFraction
        var next = path[start + length].weight
        // Divisions are the cost of TreeSHAP's inner loops: by reciprocals, multiplied.
        let r = Tree.reciprocals, n1 = Double(length + 1), inverseN1 = r[length + 1]
        var i = length - 1
        if one != 0 {
            let scale = n1 / one
            while i >= 0 {
                let t = path[start + i].weight
                path[start + i].weight = next * scale * r[i + 1]
                next = t - path[start + i].weight * zero * Double(length - i) * inverseN1
                i -= 1
            }
        } else {
            let scale = n1 / zero
            while i >= 0 {
                path[start + i].weight = path[start + i].weight * scale * r[length - i]
                i -= 1
            }
        }
        for j in index..<length {
            path[start + j].feature = path[start + j + 1].feature
            path[start + j].zeroFraction = path[start + j + 1].zeroFraction
            path[start + j].oneFraction = path[start + j + 1].oneFraction
        }
    }

    private func unwoundSum(_ path: [PathElement], _ start: Int, _ length: Int, _ index: Int) -> Double {
        let one = path[start + index].oneFraction, zero = path[start + index].zeroFraction
        var next = path[start + length].weight
        var total = 0.0
        let r = Tree.reciprocals, n1 = Double(length + 1), inverseN1 = r[length + 1]
        var i = length - 1
        if one != 0 {
            let scale = n1 / one
            while i >= 0 {
                let t = next * scale * r[i + 1]
                total += t
                next = path[start + i].weight - t * zero * Double(length - i) * inverseN1
                i -= 1
            }
        } else {
            let scale = n1 / zero
            while i >= 0 {
                total += path[start + i].weight * scale * r[length - i]
                i -= 1
            }
        }
        return total
    }

    private func recurse(node: Int, row: UnsafePointer<Double>, mapper: BinMapper, phi: inout [Double],
                         path: inout [PathElement], start parentStart: Int, depth: Int,
                         zeroFraction: Double, oneFraction: Double, feature: Int) {
        // Each level works on its own copy of the path, placed after the parent's.
        let start = parentStart + depth + 1
        for k in 0..<depth { path[start + k] = path[parentStart + k] }
        extend(&path, start, depth, zeroFraction, oneFraction, feature)
        let n = nodes[node]
        if n.isLeaf {
            guard depth >= 1 else { return }
            for i in 1...depth {
                let w = unwoundSum(path, start, depth, i)
                let el = path[start + i]
                phi[el.feature] += w * (el.oneFraction - el.zeroFraction) * n.value
            }
            return
        }
        let f = Int(n.feature)
        let goesLeft = n.goesLeft(raw: row, mapper: mapper)
        let hot = Int(goesLeft ? n.left : n.right), cold = Int(goesLeft ? n.right : n.left)
        let hotZero = nodes[hot].count / max(n.count, 1e-300), coldZero = nodes[cold].count / max(n.count, 1e-300)
        var incomingZero = 1.0, incomingOne = 1.0
        var length = depth
        // A feature met again on the path: undo its earlier split first.
        var k = 1
        while k <= length {
            if path[start + k].feature == f { break }
            k += 1
        }
        if k <= length {
            incomingZero = path[start + k].zeroFraction
            incomingOne = path[start + k].oneFraction
            unwind(&path, start, length, k)
            length -= 1
        }
        recurse(node: hot, row: row, mapper: mapper, phi: &phi, path: &path, start: start, depth: length + 1,
                zeroFraction: hotZero * incomingZero, oneFraction: incomingOne, feature: f)
        recurse(node: cold, row: row, mapper: mapper, phi: &phi, path: &path, start: start, depth: length + 1,
                zeroFraction: coldZero * incomingZero, oneFraction: 0, feature: f)
    }
}
