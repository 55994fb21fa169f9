import XCTest
import LinearAlgebra
@testable import LeadScoring

/// TreeSHAP and the calibrators pinned to outside implementations, with literals computed offline
/// and committed (the tests do not need Python):
/// - TreeSHAP ↔ LightGBM 4.7.0 `predict(..., pred_contrib=True)`: `scripts/golden/treeshap_lightgbm.py`
///   (numpy 2.4.6).
/// - Platt scaling and isotonic regression ↔ scikit-learn 1.9.1 (`_sigmoid_calibration`,
///   `IsotonicRegression`): `scripts/golden/calibration_sklearn.py` (numpy 2.4.6, scipy 1.17.1).
final class GoldenCalibrationAndSHAPTests: XCTestCase {
    // MARK: - TreeSHAP ↔ LightGBM pred_contrib

    static let lightgbmTreeCounts: [[Double]] = [
        [120.0, 50.0, 15.0, 35.0, 70.0, 58.0, 12.0],
        [120.0, 50.0, 15.0, 9.0, 6.0, 35.0, 70.0],
        [120.0, 61.0, 34.0, 27.0, 59.0, 48.0, 11.0],
        [120.0, 50.0, 15.0, 35.0, 70.0, 54.0, 16.0],
        [120.0, 61.0, 34.0, 27.0, 59.0, 48.0, 11.0],
        [120.0, 75.0, 40.0, 35.0, 45.0, 28.0, 17.0],
        [120.0, 35.0, 19.0, 16.0, 85.0, 35.0, 50.0],
        [120.0, 92.0, 24.0, 13.0, 11.0, 68.0, 28.0],
        [120.0, 13.0, 107.0, 36.0, 12.0, 24.0, 71.0],
    ]
    static let shapRows: [[Double]] = [[10.0, 8.0, 9.0], [0.0, 5.0, 3.0], [9.0, 10.0, .nan], [1.0, 11.0, 0.0], [0.0, 0.0, .nan], [7.0, 9.0, .nan], [4.3, 7.6, 2.2], [9.7, 3.4, .nan]]
    /// Per row: contributions of features 0, 1, 2, then the expected value (bias, init score included).
    static let lightgbmContributions: [[Double]] = [
        [1.2800131453011743, -0.19776301916776032, -0.6513200363415579, -0.17873750199344554],
        [-0.948798708999761, 0.5503647588304297, 1.296598722020652, -0.17873750199344554],
        [0.298111792814427, -0.24259585137018966, -1.365235994640852, -0.17873750199344554],
        [-1.301162727706175, -0.7288563242078372, 1.112892699517484, -0.17873750199344554],
        [-0.568701619400523, 0.3809871615527965, -1.295444102277103, -0.17873750199344554],
        [0.09441544021310991, -0.24259585137018966, -1.4188402979569885, -0.17873750199344554],
        [0.4001320969190919, -0.5002826964921694, 1.3355836961168732, -0.17873750199344554],
        [1.1728345923049455, 0.2765283428641175, -1.216291479560794, -0.17873750199344554],
    ]
    static let lightgbmMargins: [Double] = [0.25219258779841, 0.7194272698578755, -1.4884575551900605, -1.0958638543899735, -1.6618960621182752, -1.7457582111075138, 1.0566955945503507, 0.05433395361482313]

    /// The data (`BoostingTests.x`, `.y`) and settings of `testMatchesLightGBMOnASmallFixedDataset`
    /// (9 trees, 4 leaves, learning rate 0.3, min leaf 5, L2 1, every value its own bin), where
    /// leadscore grows LightGBM's trees; the 10th tree would differ (see that test).
    func nineLightGBMTrees() throws -> BoostedTrees {
        var settings = GradientBoosting()
        settings.trees = 9
        settings.learningRate = 0.3
        settings.tree.leaves = 4
        settings.tree.minLeaf = 5
        settings.tree.l2 = 1
        settings.earlyStopping = 0
        settings.threads = 1
        return try settings.fit(Matrix(rowArrays: BoostingTests.x), BoostingTests.y, categoryCounts: [nil, nil, nil])
    }

    /// The training rows reaching each node, in pre-order (node, left subtree, right subtree):
    /// the cover TreeSHAP weighs paths by.
    func preorderCounts(_ tree: Tree, _ node: Int = 0) -> [Double] {
        let n = tree.nodes[node]
        if n.isLeaf { return [n.count] }
        return [n.count] + preorderCounts(tree, Int(n.left)) + preorderCounts(tree, Int(n.right))
    }

    /// Contributions and expected value equal LightGBM's `pred_contrib` to 1e-6 for training
    /// rows, rows with feature 2 missing, and new rows between the training values.
    /// Tolerance 1e-6 (absolute), as the margins in BoostingTests. On Linux x86-64 the
    /// agreement is 6e-16 (leadscore keeps gradients in single precision as LightGBM does, so
    /// the leaf values are the same doubles); the slack is for a platform whose single-precision
    /// `exp` rounds differently, which moves leaf values by about 1e-8.
    func testTreeSHAPMatchesLightGBMPredContrib() throws {
        let model = try nineLightGBMTrees()
        // The trees must be LightGBM's first: same shapes and covers (exactly), same margins.
        XCTAssertEqual(model.trees.count, Self.lightgbmTreeCounts.count)
        for (t, tree) in model.trees.enumerated() {
            XCTAssertEqual(preorderCounts(tree), Self.lightgbmTreeCounts[t], "tree \(t)")
        }
        let margins = model.rawScores(Matrix(rowArrays: Self.shapRows))
        for (i, row) in Self.shapRows.enumerated() {
            XCTAssertEqual(margins[i], Self.lightgbmMargins[i], accuracy: 1e-6, "margin of row \(i)")
            let (baseline, terms) = model.contributions(row, featureMeans: [0, 0, 0])
            let expected = Self.lightgbmContributions[i]
            XCTAssertEqual(terms.count, 3)
            for f in 0..<3 {
                XCTAssertEqual(terms[f], expected[f], accuracy: 1e-6, "row \(i) feature \(f)")
            }
            // leadscore's baseline = base score + each tree's expected value; LightGBM's last
            // column = the same with the init score (boost_from_average) folded into tree 0.
            XCTAssertEqual(baseline, expected[3], accuracy: 1e-6, "row \(i) expected value")
        }
    }

    // MARK: - calibration ↔ scikit-learn

    /// 50 (probability, outcome) pairs: an overconfident model's probabilities rounded to two
    /// decimals (30 distinct values, so many ties). The same literals are in the script.
    static let p: [Double] = [0.04, 0.01, 0.35, 0.85, 0.27, 0.02, 0.01, 0.4, 0.65, 0.95, 0.85, 0.02, 0.96, 0.95, 0.04, 0.71, 0.01, 0.02, 0.12, 0.03, 0.88, 0.93, 0.65, 0.13, 0.02, 0.02, 0.83, 0.64, 0.01, 0.38, 0.18, 0.94, 0.84, 0.65, 0.54, 0.98, 0.98, 0.15, 0.07, 0.91, 0.01, 0.18, 0.02, 0.13, 0.02, 0.1, 0.91, 0.97, 0.91, 0.56]
    static let y: [Double] = [0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    static let query: [Double] = [0.001, 0.01, 0.015, 0.03, 0.05, 0.1, 0.125, 0.2, 0.3, 0.39, 0.5, 0.6, 0.645, 0.7, 0.8, 0.86, 0.9, 0.95, 0.975, 0.98, 0.999]

    /// leadscore's convention σ(a·logit(p) + b): scikit-learn's (A, B) of σ(−(A·f + B)), negated.
    static let sklearnPlatt = (a: 0.5507216430014954, b: 0.24249723621969785)
    /// The exact minimiser of the same objective (scikit-learn's loss, refined by Newton's method).
    static let exactPlatt = (a: 0.5507216371442342, b: 0.2424972517369466)
    static let sklearnPlattAtQuery: [Double] = [0.02762011879729835, 0.0921104175820753, 0.11284066333936746, 0.15817561167102562, 0.2011585582501984, 0.27536673527655964, 0.30382322106411136, 0.37262659527607056, 0.4442013757212628, 0.49903818032738334, 0.5603289618026008, 0.6143881608485221, 0.6390748627327779, 0.670207236728633, 0.7322286814881014, 0.7759496288762314, 0.8103915493702329, 0.865769880379202, 0.9055181804984374, 0.9157385864152802, 0.9828118343008742]

    /// Platt scaling equals scikit-learn's sigmoid calibration fitted on the decision values
    /// logit(p), both with Platt's smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2).
    /// Tolerances: 1e-10 against the exact optimum (leadscore's Newton iterations converge to
    /// machine precision: 4e-15 here); 1e-7 against scikit-learn's own numbers, whose L-BFGS-B
    /// stops at gtol 1e-6 and leaves (A, B) 0.6e-8 and 1.6e-8 from the optimum (calibrated
    /// probabilities 0.6e-8 apart).
    func testPlattMatchesScikitLearnSigmoidCalibration() {
        guard case let .platt(a, b) = Calibration.fitPlatt(Self.p, Self.y) else { return XCTFail("not Platt") }
        XCTAssertEqual(a, Self.exactPlatt.a, accuracy: 1e-10)
        XCTAssertEqual(b, Self.exactPlatt.b, accuracy: 1e-10)
        XCTAssertEqual(a, Self.sklearnPlatt.a, accuracy: 1e-7)
        XCTAssertEqual(b, Self.sklearnPlatt.b, accuracy: 1e-7)
        let platt = Calibration.platt(a: a, b: b)
        for (q, expected) in zip(Self.query, Self.sklearnPlattAtQuery) {
            XCTAssertEqual(platt.apply(q), expected, accuracy: 1e-7, "p = \(q)")
        }
    }

    /// scikit-learn `IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)`: the blocks of
    /// its fit (value, lowest and highest probability, mean probability per lead).
    static let sklearnBlockValues: [Double] = [0.125, 0.3333333333333333, 0.7142857142857143, 0.875, 1.0]
    static let sklearnBlockLow: [Double] = [0.01, 0.35, 0.54, 0.83, 0.93]
    static let sklearnBlockHigh: [Double] = [0.27, 0.4, 0.71, 0.91, 0.98]
    static let sklearnBlockMeanP: [Double] = [0.06791666666666667, 0.37666666666666665, 0.6285714285714287, 0.8725, 0.9575]
    static let sklearnIsotonicAtQuery: [Double] = [0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.20312499999999994, 0.3333333333333333, 0.6054421768707482, 0.7142857142857143, 0.7142857142857143, 0.7142857142857143, 0.8348214285714287, 0.875, 0.875, 1.0, 1.0, 1.0, 1.0]
    /// leadscore's curve through the same blocks (knots at the blocks' mean probabilities, values
    /// clamped to [1e-4, 1 − 1e-4]), computed by the script from scikit-learn's blocks.
    static let centroidCurveAtQuery: [Double] = [0.125, 0.125, 0.125, 0.125, 0.125, 0.14664867296446243, 0.16351776878092666, 0.2141250562303194, 0.28160143949617633, 0.3534971644612477, 0.5198487712665406, 0.6710775047258977, 0.7251098096632503, 0.7613469985358711, 0.8272327964860908, 0.8667642752562226, 0.9154088235294118, 0.9888794117647058, 0.9999, 0.9999, 0.9999]
    static let queriesWhereTheCurvesAgree: [Int] = [0, 1, 2, 3, 4]

    /// The isotonic fit itself equals scikit-learn's: the same tie pooling and pool-adjacent-
    /// violators blocks, so the same calibrated value in every block (tolerance 1e-12: the
    /// same means of the same outcomes). At each block's mean probability both curves give
    /// the block's value, apart from leadscore's clamp of 0 and 1 to 1e-4 and 1 − 1e-4.
    func testIsotonicBlocksMatchScikitLearn() {
        guard case let .isotonic(x, v) = Calibration.fitIsotonic(Self.p, Self.y) else { return XCTFail("not isotonic") }
        XCTAssertEqual(x.count, Self.sklearnBlockValues.count)
        XCTAssertEqual(v.count, Self.sklearnBlockValues.count)
        for k in 0..<min(x.count, Self.sklearnBlockValues.count) {
            XCTAssertEqual(x[k], Self.sklearnBlockMeanP[k], accuracy: 1e-12, "block \(k) knot")
            XCTAssertEqual(v[k], min(max(Self.sklearnBlockValues[k], 1e-4), 1 - 1e-4), accuracy: 1e-12, "block \(k) value")
            XCTAssertTrue(Self.sklearnBlockLow[k] <= x[k] && x[k] <= Self.sklearnBlockHigh[k])
        }
        let iso = Calibration.isotonic(x: x, y: v)
        for (k, mean) in Self.sklearnBlockMeanP.enumerated() {
            XCTAssertEqual(iso.apply(mean), min(max(Self.sklearnBlockValues[k], 1e-4), 1 - 1e-4), accuracy: 1e-12)
        }
        // Below the lowest block's mean both are flat at its value (scikit-learn clips below 0.01).
        for i in Self.queriesWhereTheCurvesAgree {
            XCTAssertEqual(iso.apply(Self.query[i]), Self.sklearnIsotonicAtQuery[i], accuracy: 1e-12, "p = \(Self.query[i])")
        }
    }

    /// A documented difference, pinned so that a change of convention is deliberate: between the
    /// blocks scikit-learn is flat across each block (from its lowest to its highest
    /// probability) and linear only in the gaps between blocks, while leadscore interpolates
    /// linearly between the blocks' mean probabilities (Calibration.swift: "kept as the blocks'
    /// mean probabilities and rates") and keeps 0 and 1 off the ends. Here the curves differ
    /// by up to 0.089 (at p = 0.2); leadscore equals the centroid curve to 1e-12.
    func testIsotonicInterpolatesBetweenBlockMeansNotScikitLearnsSteps() {
        let iso = Calibration.fitIsotonic(Self.p, Self.y)
        var largest = 0.0
        for (i, q) in Self.query.enumerated() {
            XCTAssertEqual(iso.apply(q), Self.centroidCurveAtQuery[i], accuracy: 1e-12, "p = \(q)")
            largest = max(largest, abs(iso.apply(q) - Self.sklearnIsotonicAtQuery[i]))
        }
        XCTAssertEqual(largest, 0.0891, accuracy: 1e-4)
    }
}
