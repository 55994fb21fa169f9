import Foundation

/// A boosted-tree model in LightGBM's text format (version v4), which `lightgbm.Booster`,
/// SynapseML on Spark, lightgbm4j and ONNX converters read, and beside it the mapping a job
/// needs to feed it and to finish the score (`categoriesJSON`): each column's codes, the
/// calibration and the tiers.
///
/// The trees are leadscore's own: each numeric split compares with its bin's upper bound
/// (`x ≤ t` goes left) and sends NaN to the side it learned (LightGBM's missing type NaN); each
/// categorical split is a set of codes. Categories are integer codes: a level's position, then
/// one code for "(other)" (rare and unseen levels) and one for missing values, so that LightGBM
/// never sees a NaN or a negative code in a categorical column (it would send those right,
/// whatever leadscore learned). The base margin is added to the first tree's leaves, so
/// LightGBM's raw score is leadscore's margin.
public struct LightGBMExport {
    public let model: LeadModel
    public let trees: BoostedTrees

    public struct NotTrees: LeadScoreError {
        public var errorDescription: String? {
            "--format lightgbm needs a boosted-tree model; this one is logistic regression (export it as SQL, or train with --model gbdt)"
        }
        public var exitStatus: ExitStatus { .usage }
    }

    /// A blend adds a logistic regression's margin to the trees': one LightGBM model cannot hold it.
    public struct Blended: LeadScoreError {
        public var errorDescription: String? {
            "--format lightgbm cannot hold this model: it blends boosted trees with logistic regression, and one LightGBM model holds trees only (train with --model gbdt to export trees)"
        }
        public var exitStatus: ExitStatus { .usage }
    }

    public init(model: LeadModel) throws {
        guard model.blend == nil else { throw Blended() }
        guard case let .gbdt(b) = model.predictor else { throw NotTrees() }
        self.model = model
        self.trees = b
    }

    /// One input column as LightGBM sees it.
    public struct Feature {
        public var name: String
        /// The name in the model file (LightGBM separates names with spaces, so anything but
        /// letters, digits and `_` becomes `_`; made unique).
        public var lightgbmName: String
        public var kind: ColumnKind
        /// Categorical: the levels with their own code (their positions).
        public var levels: [String]
        public var otherCode: Int { levels.count }
        public var missingCode: Int { levels.count + 1 }
    }

    public var features: [Feature] {
        var used = Set<String>()
        return model.encoder.columns.map { c in
            var base = String(c.name.unicodeScalars.map { ($0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_")) ? Character($0) : "_" })
            if base.isEmpty { base = "column" }
            var name = base, k = 2
            while used.contains(name) { name = "\(base)_\(k)"; k += 1 }
            used.insert(name)
            guard case let .raw(e) = c.encoding else { preconditionFailure("a tree model over a linear encoding") }
            return Feature(name: c.name, lightgbmName: name, kind: e.kind, levels: e.kind == .categorical ? e.levels : [])
        }
    }

    /// The model file's text.
    public func modelText() -> String {
        let features = self.features
        var blocks: [String] = []
        for (t, tree) in trees.trees.enumerated() {
            blocks.append(treeText(tree, index: t, baseScore: t == 0 ? trees.baseScore : 0, features: features))
        }
        if blocks.isEmpty {
            // No trees: one leaf holding the base margin.
            blocks.append(treeText(Tree(nodes: [TreeNode.leaf(value: 0, count: 0)]), index: 0, baseScore: trees.baseScore, features: features))
        }
        let infos = features.enumerated().map { f, feature -> String in
            if feature.kind == .categorical { return (0...feature.missingCode).map(String.init).joined(separator: ":") }
            let bounds = trees.mapper.features[f].upperBounds.filter(\.isFinite)
            guard let lo = bounds.first, let hi = bounds.last else { return "none" }
            return "[\(lo):\(hi)]"
        }
        var out = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
        out += "max_feature_idx=\(features.count - 1)\nobjective=binary sigmoid:1\n"
        out += "feature_names=" + features.map(\.lightgbmName).joined(separator: " ") + "\n"
        out += "feature_infos=" + infos.joined(separator: " ") + "\n"
        out += "tree_sizes=" + blocks.map { String($0.utf8.count) }.joined(separator: " ") + "\n\n"
        out += blocks.joined()
        out += "end of trees\n\nfeature_importances:\n"
        let splits = (0..<features.count).map { f in trees.trees.reduce(0) { $0 + $1.nodes.filter { !$0.isLeaf && Int($0.feature) == f }.count } }
        for f in features.indices.sorted(by: { splits[$0] == splits[$1] ? $0 < $1 : splits[$0] > splits[$1] }) where splits[f] > 0 {
            out += "\(features[f].lightgbmName)=\(splits[f])\n"
        }
        let categorical = features.indices.filter { features[$0].kind == .categorical }.map(String.init).joined(separator: ",")
        out += "\nparameters:\n[boosting: gbdt]\n[objective: binary]\n[num_iterations: \(trees.trees.count)]\n"
        out += "[learning_rate: \(trees.settings.learningRate)]\n[num_leaves: \(trees.settings.tree.leaves)]\n[max_bin: 255]\n"
        out += "[categorical_feature: \(categorical)]\n\nend of parameters\n\npandas_categorical:null\n"
        return out
    }

    /// One tree block: internal nodes numbered in order, leaves as ~index (LightGBM's layout).
    func treeText(_ tree: Tree, index: Int, baseScore: Double, features: [Feature]) -> String {
        let nodes = tree.nodes
        var internalIndex = [Int](repeating: -1, count: nodes.count), leafIndex = [Int](repeating: -1, count: nodes.count)
        var internals: [Int] = [], leaves: [Int] = []
        for (i, n) in nodes.enumerated() {
            if n.isLeaf { leafIndex[i] = leaves.count; leaves.append(i) } else { internalIndex[i] = internals.count; internals.append(i) }
        }
        func child(_ i: Int32) -> String {
            let c = Int(i)
            return nodes[c].isLeaf ? String(~leafIndex[c]) : String(internalIndex[c])
        }
        var thresholds: [String] = [], decisions: [String] = [], catBoundaries = [0], catWords: [UInt32] = []
        for i in internals {
            let n = nodes[i], f = Int(n.feature), fb = trees.mapper.features[f]
            if n.categories.isEmpty {
                thresholds.append("\(fb.upperBounds[Int(n.thresholdBin)])")
                // Missing type NaN (2 << 2), default left (2).
                decisions.append(String(8 | (n.defaultLeft ? 2 : 0)))
            } else {
                func bit(_ bin: Int) -> Bool { (n.categories[bin >> 6] >> UInt64(bin & 63)) & 1 == 1 }
                let feature = features[f]
                var codes = (0...feature.otherCode).filter { bit(fb.bin(Double($0))) }
                if bit(fb.missingBin) { codes.append(feature.missingCode) }
                var words = [UInt32](repeating: 0, count: feature.missingCode / 32 + 1)
                for c in codes { words[c / 32] |= 1 << UInt32(c % 32) }
                thresholds.append(String(catBoundaries.count - 1))
                catWords += words
                catBoundaries.append(catWords.count)
                decisions.append("1")
            }
        }
        func list<T>(_ values: [T]) -> String { values.map { "\($0)" }.joined(separator: " ") }
        var s = "Tree=\(index)\nnum_leaves=\(leaves.count)\nnum_cat=\(catBoundaries.count - 1)\n"
        if !internals.isEmpty {
            s += "split_feature=" + list(internals.map { nodes[$0].feature }) + "\n"
            s += "split_gain=" + list(internals.map { nodes[$0].gain }) + "\n"
            s += "threshold=" + thresholds.joined(separator: " ") + "\n"
            s += "decision_type=" + decisions.joined(separator: " ") + "\n"
            s += "left_child=" + internals.map { child(nodes[$0].left) }.joined(separator: " ") + "\n"
            s += "right_child=" + internals.map { child(nodes[$0].right) }.joined(separator: " ") + "\n"
        }
        s += "leaf_value=" + list(leaves.map { nodes[$0].value + baseScore }) + "\n"
        s += "leaf_weight=" + list(leaves.map { nodes[$0].count }) + "\n"
        s += "leaf_count=" + list(leaves.map { Int(nodes[$0].count) }) + "\n"
        if !internals.isEmpty {
            s += "internal_value=" + list(internals.map { _ in 0 }) + "\n"
            s += "internal_weight=" + list(internals.map { nodes[$0].count }) + "\n"
            s += "internal_count=" + list(internals.map { Int(nodes[$0].count) }) + "\n"
        }
        if catBoundaries.count > 1 {
            s += "cat_boundaries=" + list(catBoundaries) + "\n"
            s += "cat_threshold=" + list(catWords) + "\n"
        }
        s += "is_linear=0\nshrinkage=1\n\n\n"
        return s
    }

    /// `model.categories.json`: how to turn a raw lead into LightGBM's input row, and its raw
    /// score into leadscore's probability, score and tier.
    public func categoriesJSON(modelFile: String) -> String {
        func n(_ d: Double) -> JSONValue { .number(d) }
        let features: [JSONValue] = self.features.enumerated().map { i, f in
            var o: [String: JSONValue] = ["index": n(Double(i)), "name": .string(f.name), "lightgbmName": .string(f.lightgbmName), "kind": .string(f.kind.rawValue)]
            switch f.kind {
            case .categorical:
                o["codes"] = .object(Dictionary(uniqueKeysWithValues: f.levels.enumerated().map { ($1, n(Double($0))) }))
                o["otherCode"] = n(Double(f.otherCode))
                o["missingCode"] = n(Double(f.missingCode))
            case .boolean:
                o["true"] = .array(SQLExport.yesTokens.map(JSONValue.string))
                o["false"] = .array(SQLExport.noTokens.map(JSONValue.string))
                o["missing"] = .string("NaN")
            default:
                o["missing"] = .string("NaN")
                if let format = model.encoder.columns[i].number, !format.isPlain { o["numberFormat"] = .string("\(format)") }
            }
            return .object(o)
        }
        let calibration: JSONValue
        switch model.calibration {
        case nil: calibration = .null
        case let .platt(a, b)?: calibration = .object(["method": .string("platt"), "a": n(a), "b": n(b)])
        case let .isotonic(x, y)?: calibration = .object(["method": .string("isotonic"), "x": .array(x.map(n)), "y": .array(y.map(n))])
        }
        let root: JSONValue = .object([
            "format": .string("leadscore-lightgbm/1"),
            "model": .string(modelFile),
            "leadscoreVersion": .string(LeadScoreVersion.current),
            "idColumns": .array(model.schema.identifierColumns.map { .string($0.name) }),
            "features": .array(features),
            "missingTokens": .array(model.encoder.missingTokens.tokens.map(JSONValue.string)),
            "calibration": calibration,
            "tiers": .object(["mql": n(model.tiers.mql), "sql": n(model.tiers.sql)]),
            "howTo": .array([
                "Per feature, in index order: a number as it is (NaN when missing or infinite; a column with a numberFormat as the number it stands for: 45% is 0.45); a yes/no value 1 or 0 (NaN when missing or unreadable); a category: its value without leading and trailing spaces and tabs looked up in codes, otherCode when not there, missingCode when it is missing (empty, or one of missingTokens, ignoring case and surrounding spaces).",
                "margin = the booster's raw score (predict with raw_score=True).",
                "p = 1 / (1 + exp(-margin)); then calibration: platt: p = 1 / (1 + exp(-(a * ln(q / (1 - q)) + b))) with q = p kept inside [1e-12, 1 - 1e-12]; isotonic: y[0] at or below x[0], the last y at or above the last x, else linear interpolation between the x around p.",
                "tier = SQL when p >= tiers.sql, MQL when p >= tiers.mql, else Cold; score = p * 100 rounded half away from zero.",
            ].map(JSONValue.string)),
        ])
        return root.prettyText + "\n"
    }
}
