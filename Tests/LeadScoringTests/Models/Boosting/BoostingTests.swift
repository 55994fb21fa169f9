import XCTest
import LinearAlgebra
@testable import LeadScoring

final class BoostingTests: XCTestCase {
    // MARK: - pinned to LightGBM 4 (scripts/golden/lightgbm_small.py)

    static let x: [[Double]] = [[10.0, 8.0, 9.0], [3.0, 8.0, 8.0], [0.0, 5.0, 3.0], [10.0, 11.0, 9.0], [9.0, 10.0, .nan], [7.0, 6.0, 0.0], [4.0, 7.0, 8.0], [10.0, 1.0, 10.0], [6.0, 2.0, 2.0], [1.0, 3.0, 10.0], [5.0, 8.0, 1.0], [10.0, 8.0, 11.0], [7.0, 8.0, 11.0], [1.0, 11.0, 0.0], [5.0, 4.0, 1.0], [5.0, 4.0, 7.0], [6.0, 0.0, 0.0], [9.0, 2.0, 4.0], [5.0, 8.0, 8.0], [7.0, 5.0, 1.0], [1.0, 1.0, 5.0], [5.0, 7.0, 10.0], [11.0, 4.0, 3.0], [11.0, 0.0, 0.0], [0.0, 0.0, .nan], [2.0, 11.0, .nan], [0.0, 5.0, 0.0], [1.0, 4.0, 1.0], [2.0, 2.0, .nan], [10.0, 8.0, 0.0], [11.0, 10.0, 6.0], [0.0, 4.0, 11.0], [1.0, 5.0, 1.0], [8.0, 8.0, 7.0], [0.0, 0.0, .nan], [1.0, 7.0, 8.0], [7.0, 11.0, 4.0], [10.0, 0.0, 0.0], [4.0, 11.0, 3.0], [0.0, 8.0, 2.0], [7.0, 2.0, 1.0], [3.0, 2.0, 4.0], [1.0, 2.0, 2.0], [7.0, 3.0, 4.0], [1.0, 6.0, 11.0], [7.0, 9.0, .nan], [11.0, 0.0, 0.0], [11.0, 5.0, 11.0], [8.0, 4.0, 8.0], [8.0, 3.0, 4.0], [9.0, 10.0, 2.0], [5.0, 4.0, 7.0], [9.0, 10.0, 1.0], [9.0, 0.0, 7.0], [4.0, 10.0, .nan], [10.0, 8.0, 4.0], [1.0, 4.0, 0.0], [5.0, 6.0, 7.0], [0.0, 7.0, 8.0], [1.0, 5.0, 3.0], [10.0, 11.0, 6.0], [9.0, 1.0, 3.0], [7.0, 4.0, 9.0], [0.0, 8.0, 4.0], [7.0, 10.0, 8.0], [5.0, 6.0, 7.0], [10.0, 11.0, 3.0], [5.0, 1.0, 8.0], [9.0, 2.0, 11.0], [9.0, 8.0, 9.0], [11.0, 4.0, .nan], [0.0, 8.0, 7.0], [1.0, 2.0, 5.0], [2.0, 10.0, 10.0], [7.0, 11.0, 6.0], [7.0, 9.0, 1.0], [5.0, 7.0, 5.0], [9.0, 7.0, 2.0], [6.0, 4.0, 8.0], [10.0, 4.0, 9.0], [3.0, 8.0, 5.0], [6.0, 10.0, 3.0], [8.0, 4.0, 2.0], [11.0, 7.0, 7.0], [2.0, 2.0, 0.0], [7.0, 10.0, 5.0], [0.0, 10.0, 3.0], [10.0, 3.0, .nan], [5.0, 4.0, .nan], [7.0, 2.0, 2.0], [6.0, 6.0, 3.0], [6.0, 7.0, 7.0], [0.0, 8.0, 9.0], [4.0, 10.0, .nan], [4.0, 10.0, 5.0], [0.0, 3.0, 5.0], [4.0, 2.0, 5.0], [1.0, 7.0, 9.0], [6.0, 11.0, 0.0], [1.0, 7.0, 0.0], [3.0, 7.0, 9.0], [3.0, 10.0, 5.0], [6.0, 11.0, 1.0], [5.0, 3.0, .nan], [8.0, 11.0, 5.0], [6.0, 7.0, 0.0], [2.0, 1.0, 6.0], [2.0, 11.0, 2.0], [5.0, 10.0, 7.0], [1.0, 4.0, .nan], [10.0, 9.0, 3.0], [1.0, 10.0, .nan], [3.0, 1.0, .nan], [4.0, 5.0, 10.0], [2.0, 4.0, 1.0], [3.0, 2.0, 1.0], [10.0, 4.0, 5.0], [8.0, 3.0, 1.0], [2.0, 6.0, .nan], [7.0, 1.0, 11.0]]
    static let y: [Double] = [0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0]
    static let lightgbmRaw: [Double] = [0.25219258779841, -1.547468720300182, 0.7194272698578755, 0.25219258779841, -1.4884575551900605, 2.321634030116244, -1.547468720300182, 0.003428469115852952, 2.221750894535563, -1.7128015466172453, 1.0566955945503507, 0.003428469115852952, -1.4886728838005638, -1.0958638543899735, 1.913760082729643, -1.0967034406705185, 2.321634030116244, 2.170845410036593, -1.547468720300182, 1.913760082729643, -0.05429064828953539, -1.7962328389827389, 2.170845410036593, 2.321634030116244, -1.6618960621182752, -2.2943840064843615, 0.870215889937527, 0.46234194255092564, -1.6618960621182752, 1.464569541936952, 0.15225592708814736, -1.7128015466172453, 0.46234194255092564, -1.3398454258282695, -1.6618960621182752, -2.1455056273685438, 1.3137809218573007, 2.321634030116244, 1.3137809218573007, -1.5037378017765748, 2.221750894535563, 2.170845410036593, 0.7703327543568458, 2.170845410036593, -2.0372986791774115, -1.7457582111075138, 2.321634030116244, 0.003428469115852952, -1.239908765118007, 2.170845410036593, 1.0566955945503507, -1.0967034406705185, 1.0566955945503507, -0.8394027847530653, -2.0533181662896887, 1.3137809218573007, 0.870215889937527, -1.0967034406705185, -2.1455056273685438, 0.7194272698578755, 0.15225592708814736, 2.170845410036593, -1.239908765118007, -1.2466524744696248, -1.239908765118007, -1.0967034406705185, 1.3137809218573007, -1.547468720300182, -1.2313722278831105, -0.9826081092005535, -0.25365685819109696, -1.937882332896631, -0.05429064828953539, -2.0372986791774115, -1.3398454258282695, 1.0566955945503507, -0.9137716166070668, 1.0566955945503507, -1.547468720300182, 0.25219258779841, -0.9137716166070668, 1.3137809218573007, 1.913760082729643, 0.15225592708814736, 0.870215889937527, -0.9137716166070668, -1.2466524744696248, 0.05433395361482313, -2.0533181662896887, 2.221750894535563, 2.170845410036593, -1.3398454258282695, -2.1455056273685438, -2.0533181662896887, -0.9137716166070668, -0.05429064828953539, -0.056707128427774325, -2.1455056273685438, 1.464569541936952, -1.0958638543899735, -1.547468720300182, -0.9137716166070668, 1.0566955945503507, -1.7453273544837689, -0.9137716166070668, 1.464569541936952, -1.0942869605322796, -1.5037378017765748, -1.3398454258282695, -1.9698868739241953, 1.3137809218573007, -2.2943840064843615, -1.7453273544837689, -1.7962328389827389, 0.46234194255092564, 2.221750894535563, 0.6562304489801525, 2.221750894535563, -2.2943840064843615, -1.4886728838005638]

    /// Same data and settings as LightGBM (9 trees, 4 leaves, learning rate 0.3, min leaf 5,
    /// L2 1, every value its own bin): the same trees, so margins agree to 1e-6 (LightGBM keeps
    /// gradients in single precision). A 10th tree would differ: LightGBM 4 estimates leaf counts
    /// from hessians and there makes a 4-row leaf despite min_data_in_leaf=5.
    func testMatchesLightGBMOnASmallFixedDataset() throws {
        var settings = GradientBoosting()
        settings.trees = 9
        settings.learningRate = 0.3
        settings.tree.leaves = 4
        settings.tree.minLeaf = 5
        settings.tree.l2 = 1
        settings.earlyStopping = 0
        settings.threads = 1
        let x = Matrix(rowArrays: Self.x)
        let model = try settings.fit(x, Self.y, categoryCounts: [nil, nil, nil])
        let raw = model.rawScores(x)
        XCTAssertEqual(raw.count, Self.lightgbmRaw.count)
        for (a, b) in zip(raw, Self.lightgbmRaw) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    // MARK: - loss

    func testLogLossGradientsMatchFiniteDifferences() {
        let h = 1e-5
        for z in [-4.0, -0.7, 0, 0.3, 2.5] {
            for y in [0.0, 1.0] {
                let (g, hess) = LogLoss().gradient(margin: z, label: y)
                let dl = (LogLoss().loss(margin: z + h, label: y) - LogLoss().loss(margin: z - h, label: y)) / (2 * h)
                XCTAssertEqual(g, dl, accuracy: 1e-8)
                let (gp, _) = LogLoss().gradient(margin: z + h, label: y), (gm, _) = LogLoss().gradient(margin: z - h, label: y)
                XCTAssertEqual(hess, (gp - gm) / (2 * h), accuracy: 1e-8)
            }
        }
        XCTAssertEqual(LogLoss().baseline([1, 0, 0, 0]), log(0.25 / 0.75), accuracy: 1e-12)
    }

    /// The single-precision exponential quantized training uses: within 2 ulp of the
    /// library's over its whole range, exact at 0, and 0 (not a subnormal) below −87; the Float
    /// gradients within a few single-precision steps of 1 of the Double ones (1 − p cancels).
    func testSinglePrecisionExponentialAndGradients() {
        XCTAssertEqual(expNonPositive(0), 1)
        XCTAssertEqual(expNonPositive(-100), 0)
        XCTAssertEqual(expNonPositive(-.infinity), 0)
        var x: Float = 0
        var worst: Float = 0
        while x > -87 {
            let exact = Foundation.exp(Double(x))
            let error = Float(abs(Double(expNonPositive(x)) - exact) / exact)
            worst = max(worst, error)
            x -= 0.000_731
        }
        XCTAssertLessThan(worst, 2.5e-7, "largest relative error \(worst)")
        for z in stride(from: -30.0, through: 30.0, by: 0.01) {
            for y in [0.0, 1.0] {
                let (g, h) = LogLoss().gradient(margin: z, label: y)
                let (gf, hf) = LogLoss().gradient(margin: Float(z), label: Float(y))
                XCTAssertEqual(Double(gf), g, accuracy: 5e-7, "z \(z)")
                XCTAssertEqual(Double(hf), h, accuracy: 3e-7, "z \(z)")
            }
        }
    }

    // MARK: - binning

    func testBinsKeepFewValuesApartAndMissingLast() {
        let x = Matrix(rowArrays: [[1, 0], [2, 1], [2, 2], [.nan, 1], [5, .nan]])
        let mapper = BinMapper.fit(x, categoryCounts: [nil, 3])
        let f = mapper.features[0]
        XCTAssertEqual(f.valueBins, 3)
        XCTAssertEqual(f.bin(1), 0); XCTAssertEqual(f.bin(2), 1); XCTAssertEqual(f.bin(5), 2)
        XCTAssertEqual(f.bin(1.4), 0); XCTAssertEqual(f.bin(1.6), 1); XCTAssertEqual(f.bin(99), 2)
        XCTAssertEqual(f.bin(.nan), f.missingBin)
        let c = mapper.features[1]
        XCTAssertTrue(c.categorical)
        XCTAssertEqual(c.bin(2), 2); XCTAssertEqual(c.bin(7), 2)  // unseen code → "(other)", the last level
        XCTAssertEqual(c.bin(.nan), c.missingBin)
    }

    func testQuantileBinsAreBoundedAndOrdered() {
        var rows: [[Double]] = []
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<5000 { rows.append([rng.uniform() * 1000]) }
        let mapper = BinMapper.fit(Matrix(rowArrays: rows), categoryCounts: [nil])
        let f = mapper.features[0]
        XCTAssertLessThanOrEqual(f.valueBins, BinMapper.maxValueBins)
        XCTAssertGreaterThan(f.valueBins, 200)
        XCTAssertEqual(f.upperBounds, f.upperBounds.sorted())
    }

    // MARK: - learning

    /// y = x0 XOR x1 (with noise): no linear model can rank it; trees must.
    func testLearnsAnInteractionAndACategoricalSubset() throws {
        var rng = SeededGenerator(seed: 11)
        var rows: [[Double]] = [], y: [Double] = []
        for _ in 0..<4000 {
            let a = rng.uniform() < 0.5 ? 1.0 : 0.0, b = rng.uniform() < 0.5 ? 1.0 : 0.0
            let cat = Double(Int(rng.uniform() * 12))  // categories 2, 5, 7, 11 convert more
            let signal = (a != b ? 1.5 : -1.5) + ([2.0, 5, 7, 11].contains(cat) ? 1.2 : -0.4)
            rows.append([a, b, cat, rng.uniform()])
            y.append(rng.uniform() < sigmoid(signal) ? 1 : 0)
        }
        let settings = fixedTrees(60, learningRate: 0.2)
        let x = Matrix(rowArrays: rows)
        let model = try settings.fit(x, y, categoryCounts: [nil, nil, 12, nil])
        let auc = Metrics.rocAUC(model.rawScores(x), y)
        // The Bayes-optimal ranking reaches about 0.86 on this data.
        XCTAssertGreaterThan(auc, 0.83)
        let logistic = try LogisticRegression().fit(x, y)
        XCTAssertLessThan(Metrics.rocAUC(logistic.rawScores(x), y), 0.7)
        // The first split is many-vs-many on the category and sends exactly {2, 5, 7, 11} left.
        let root = model.trees[0].nodes[0]
        XCTAssertEqual(root.feature, 2)
        XCTAssertEqual(root.categories.first, (1 << 2) | (1 << 5) | (1 << 7) | (1 << 11))
    }

    func testDeterministicForASeedWithSampling() throws {
        var settings = GradientBoosting()
        settings.trees = 20
        settings.rowSample = 0.7
        settings.columnSample = 0.5
        settings.earlyStopping = 0
        let x = Matrix(rowArrays: Self.x.map { $0 + [$0[0] * 2] })
        let a = try settings.fit(x, Self.y, categoryCounts: [nil, nil, nil, nil])
        let b = try settings.fit(x, Self.y, categoryCounts: [nil, nil, nil, nil])
        XCTAssertEqual(a, b)
        settings.seed = 43
        XCTAssertNotEqual(try settings.fit(x, Self.y, categoryCounts: [nil, nil, nil, nil]), a)
    }

    func testEarlyStoppingKeepsTheBestIteration() throws {
        var settings = GradientBoosting()
        settings.trees = 400
        settings.learningRate = 0.3
        settings.earlyStopping = 10
        let x = Matrix(rowArrays: Self.x)
        let validation = Matrix(rowArrays: Array(Self.x.prefix(40)))
        let model = try settings.fit(x, Self.y, categoryCounts: [nil, nil, nil], validation: (validation, Array(Self.y.prefix(40))))
        XCTAssertEqual(model.trees.count, model.bestIteration)
        XCTAssertLessThan(model.validationLoss.count, 400)
        XCTAssertEqual(model.validationLoss.firstIndex(of: model.validationLoss.min()!)! + 1, model.bestIteration)
    }

    /// The compiled forest (bulk prediction) gives exactly the per-tree walk's margins: missing
    /// values on either side, categorical subsets, unseen codes, and a last group of rows
    /// shorter than the interleaved lanes.
    func testCompiledForestEqualsTheTreeWalk() throws {
        let settings = fixedTrees(50, learningRate: 0.2, leaves: 15)
        var rng = SeededGenerator(seed: 9)
        var rows: [[Double]] = [], y: [Double] = []
        for _ in 0..<3001 {
            let a = rng.uniform() < 0.2 ? Double.nan : rng.uniform() * 10
            let b = rng.uniform() < 0.3 ? Double.nan : rng.uniform()
            let c = rng.uniform() < 0.05 ? Double.nan : Double(Int(rng.uniform() * 20))
            rows.append([a, b, c])
            let signal = (a.isNaN ? 1.0 : (a - 5) * 0.3) + (b.isNaN ? -0.8 : b) + ([1.0, 4, 9, 13].contains(c) ? 1 : 0)
            y.append(rng.uniform() < sigmoid(signal) ? 1 : 0)
        }
        let model = try settings.fit(Matrix(rowArrays: rows), y, categoryCounts: [nil, nil, 20])
        XCTAssertTrue(model.trees.contains { $0.nodes.contains { !$0.categories.isEmpty } })
        XCTAssertTrue(model.trees.contains { $0.nodes.contains { !$0.isLeaf && $0.defaultLeft } })
        // Scoring rows include codes never seen in training (25) and values beyond every bin.
        let scoring = rows + [[.nan, .nan, .nan], [1e9, -1e9, 25], [-1e9, 2, 0]]
        let margins = model.rawScores(Matrix(rowArrays: scoring))
        for (i, row) in scoring.enumerated() {
            let walked = row.withUnsafeBufferPointer { rp in
                model.trees.reduce(model.baseScore) { $0 + $1.predict(raw: rp.baseAddress!, bins: model.mapper) }
            }
            XCTAssertEqual(margins[i], walked, accuracy: 1e-12, "row \(i)")
        }
    }

    /// Quantized gradients (forced on here; automatic from 100,000 rows) rank about as well
    /// as exact ones, are deterministic for a seed, and turn on by themselves only on large data.
    func testQuantizedGradientsMatchExactAccuracy() throws {
        var rng = SeededGenerator(seed: 21)
        var rows: [[Double]] = [], y: [Double] = []
        for _ in 0..<6000 {
            let a = rng.uniform() * 4 - 2, b = rng.uniform() < 0.1 ? Double.nan : rng.uniform() * 4 - 2
            let c = Double(Int(rng.uniform() * 10))
            rows.append([a, b, c])
            let signal = a * 0.8 + (b.isNaN ? 0.5 : b * b * 0.4 - 0.5) + ([2.0, 3, 7].contains(c) ? 0.9 : -0.3)
            y.append(rng.uniform() < sigmoid(signal) ? 1 : 0)
        }
        let x = Matrix(rowArrays: rows)
        var settings = fixedTrees(80, learningRate: 0.1)
        let exact = try settings.fit(x, y, categoryCounts: [nil, nil, 10])
        settings.quantizedGradients = true
        let quantized = try settings.fit(x, y, categoryCounts: [nil, nil, 10])
        XCTAssertNotEqual(quantized, exact)
        XCTAssertEqual(try settings.fit(x, y, categoryCounts: [nil, nil, 10]), quantized)
        let exactAUC = Metrics.rocAUC(exact.rawScores(x), y), quantizedAUC = Metrics.rocAUC(quantized.rawScores(x), y)
        XCTAssertEqual(quantizedAUC, exactAUC, accuracy: 0.005)
        XCTAssertFalse(GradientBoosting().quantizes(rows: 99_999))
        XCTAssertTrue(GradientBoosting().quantizes(rows: 100_000))
        XCTAssertFalse(GradientBoosting().quantizes(rows: 20_000_000))
    }

    /// Quantized histograms are built from shares of the rows on each thread and added as
    /// integers, so the trees do not depend on the thread count; the last split of a tree
    /// (whose children get no histograms) still makes every leaf.
    func testQuantizedTreesDoNotDependOnThreads() throws {
        var rng = SeededGenerator(seed: 5)
        var rows: [[Double]] = [], y: [Double] = []
        for _ in 0..<50_000 {
            let a = rng.uniform() * 4 - 2, b = rng.uniform() < 0.1 ? Double.nan : rng.uniform()
            let c = Double(Int(rng.uniform() * 6))
            rows.append([a, b, c])
            y.append(rng.uniform() < sigmoid(a + (b.isNaN ? 0.4 : b - 0.5) + (c == 2 ? 0.8 : 0)) ? 1 : 0)
        }
        let x = Matrix(rowArrays: rows)
        var settings = fixedTrees(8, learningRate: 0.2, leaves: 12)
        settings.quantizedGradients = true
        settings.threads = 2
        let two = try settings.fit(x, y, categoryCounts: [nil, nil, 6])
        settings.threads = 1
        // The trees, not the models: the settings (thread count) are part of the model.
        XCTAssertEqual(try settings.fit(x, y, categoryCounts: [nil, nil, 6]).trees, two.trees)
        XCTAssertEqual(two.trees[0].nodes.filter(\.isLeaf).count, 12)
    }

    /// A partition shared among threads puts every row where one thread puts it (lefts in
    /// order, then rights in reverse order), for splits and for row sampling, with exact and
    /// quantized gradients; gathering leaves back on two threads equals one.
    func testPartitionOnThreadsMovesRowsAsOneThread() throws {
        var rng = SeededGenerator(seed: 8)
        let n = 45_001, nf = 5
        let bins = (0..<(n * nf)).map { _ in UInt8(rng.uniform() * 200) }
        let y = (0..<n).map { _ in rng.uniform() < 0.3 ? 1.0 : 0 }
        var goesLeft = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 where b % 3 == 0 || b > 150 { goesLeft[b] = 1 }
        let drawn = (0..<n).map { _ in rng.uniform() < 0.6 ? UInt8(1) : 0 }
        for quantized in [false, true] {
            func frame() -> TrainingFrame {
                let f = TrainingFrame(bins: bins, featureCount: nf, y: y, baseScore: 0.1)
                if quantized { f.enableQuantization() }
                f.updateGradients(LogLoss(), threads: 1, seed: 3)
                return f
            }
            let one = frame(), two = frame()
            // A leaf in the middle of the main copy, split into the scratch copy and back.
            let start = 1_234, count = 40_000
            let left1 = one.partition(start: start, count: count, from: 0, threads: 1, key: .bin(column: 2, goesLeft: goesLeft))
            let left2 = two.partition(start: start, count: count, from: 0, threads: 2, key: .bin(column: 2, goesLeft: goesLeft))
            XCTAssertEqual(left1, left2)
            XCTAssertEqual(left1, (start..<(start + count)).filter { goesLeft[Int(bins[$0 * nf + 2])] == 1 }.count)
            one.gather([start..<(start + left1), (start + left1)..<(start + count)], threads: 1)
            two.gather([start..<(start + left2), (start + left2)..<(start + count)], threads: 2)
            XCTAssertEqual(one.bins, two.bins)
            XCTAssertEqual(one.y, two.y)
            XCTAssertEqual(one.score, two.score)
            XCTAssertEqual(one.gh, two.gh)
            XCTAssertEqual(one.qgh, two.qgh)
            // The first left row is the first row of the range that goes left; the first right
            // row is the range's last row that goes right.
            let firstLeft = (start..<(start + count)).first { goesLeft[Int(bins[$0 * nf + 2])] == 1 }!
            let lastRight = (start..<(start + count)).last { goesLeft[Int(bins[$0 * nf + 2])] == 0 }!
            XCTAssertEqual(Array(one.bins[(start * nf)..<((start + 1) * nf)]), Array(bins[(firstLeft * nf)..<((firstLeft + 1) * nf)]))
            XCTAssertEqual(Array(one.bins[((start + left1) * nf)..<((start + left1 + 1) * nf)]), Array(bins[(lastRight * nf)..<((lastRight + 1) * nf)]))
            XCTAssertEqual(one.partitionInPlace(start: 0, count: n, key: .drawn(drawn)), drawn.filter { $0 == 1 }.count)
        }
    }

    /// Fitting on rows binned once (`BinnedRows`) gives the trees of fitting on the raw rows,
    /// and a subset of the binned rows is those rows binned by the same mapper.
    func testFitsOnRowsBinnedOnce() throws {
        let x = Matrix(rowArrays: Self.x)
        var settings = fixedTrees(15, learningRate: 0.3, leaves: 4)
        settings.tree.minLeaf = 5
        let binned = BinnedRows(x, categoryCounts: [nil, nil, nil], seed: settings.seed)
        XCTAssertEqual(binned.rows, Self.x.count)
        XCTAssertEqual(try settings.fit(binned, Self.y), try settings.fit(x, Self.y, categoryCounts: [nil, nil, nil]))
        let first = Array(0..<80)
        let subset = binned.subset(first)
        XCTAssertEqual(subset.bins, binned.mapper.binRows(Matrix(rowArrays: Array(Self.x.prefix(80)))))
        let validation = binned.subset(Array(80..<Self.x.count))
        settings.earlyStopping = 5
        let model = try settings.fit(subset, Array(Self.y.prefix(80)), validation: (validation.bins, Array(Self.y.suffix(from: 80))))
        XCTAssertFalse(model.validationLoss.isEmpty)
        XCTAssertEqual(model.trees.count, model.bestIteration)
        XCTAssertThrowsError(try settings.fit(subset, Array(Self.y.prefix(79))))
    }

    /// Trees are stored column by column (format 2) and format-1 files, with node objects,
    /// still read; a broken child link is an error, not a crash.
    func testTreeCodingRoundTripsAndReadsFormatOne() throws {
        let leaf = TreeNode.leaf(value: 0.25, count: 3)
        var root = TreeNode.leaf(value: 0, count: 7)
        root.feature = 1; root.left = 1; root.right = 2; root.thresholdBin = 4; root.threshold = 2.5; root.gain = 1.5
        var categorical = root
        categorical.feature = 0; categorical.categories = [0b1010, 0, 0, 1]
        let tree = Tree(nodes: [categorical, leaf, TreeNode.leaf(value: -0.5, count: 4)])
        let data = try JSONEncoder().encode(tree)
        XCTAssertEqual(try JSONDecoder().decode(Tree.self, from: data), tree)
        let formatOne = "{\"nodes\": " + String(decoding: try JSONEncoder().encode(tree.nodes), as: UTF8.self) + "}"
        XCTAssertEqual(try JSONDecoder().decode(Tree.self, from: Data(formatOne.utf8)), tree)
        var broken = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        broken["left"] = [0, -1, -1]
        XCTAssertThrowsError(try JSONDecoder().decode(Tree.self, from: JSONSerialization.data(withJSONObject: broken)))
    }

    // MARK: - TreeSHAP

    /// For every lead, the contributions plus the expected value equal the raw margin.
    func testTreeSHAPAddsUpToTheMargin() throws {
        let settings = fixedTrees(40, learningRate: 0.2, leaves: 15)
        var rng = SeededGenerator(seed: 5)
        var rows: [[Double]] = [], y: [Double] = []
        for _ in 0..<1500 {
            let a = rng.uniform() * 10, b = rng.uniform() < 0.1 ? Double.nan : rng.uniform() * 5, c = Double(Int(rng.uniform() * 8))
            rows.append([a, b, c])
            y.append(rng.uniform() < sigmoid((a - 5) * 0.4 + (b.isNaN ? 1 : b - 2.5) * 0.5 * (a > 4 ? 1 : -1) + (c == 3 ? 1 : 0)) ? 1 : 0)
        }
        let x = Matrix(rowArrays: rows)
        let model = try settings.fit(x, y, categoryCounts: [nil, nil, 8])
        let margins = model.rawScores(x)
        for i in 0..<rows.count {
            let (baseline, phi) = model.contributions(rows[i], featureMeans: [0, 0, 0])
            XCTAssertEqual(baseline + phi.reduce(0, +), margins[i], accuracy: 1e-6)
        }
        // A feature the trees never split on gets zero.
        let (_, phi) = model.contributions(rows[0] , featureMeans: [0, 0, 0])
        XCTAssertEqual(phi.count, 3)
    }

    func testTreeSHAPOnAStumpIsTheLeafDifference() {
        // One split on feature 0 at 0.5: left leaf -1 (30 rows), right leaf +2 (10 rows).
        let tree = Tree(nodes: [
            TreeNode(feature: 0, thresholdBin: 0, threshold: 0.5, defaultLeft: true, categories: [], left: 1, right: 2, value: 0, count: 40, gain: 1),
            .leaf(value: -1, count: 30), .leaf(value: 2, count: 10),
        ])
        let mapper = BinMapper(features: [FeatureBins(categorical: false, upperBounds: [0.5, .infinity], valueBins: 2)], offsets: [0], totalBins: 3)
        XCTAssertEqual(tree.expected, (30 * -1 + 10 * 2) / 40.0)
        var phi = [0.0]
        var path: [Tree.PathElement] = []
        [1.0].withUnsafeBufferPointer { tree.shap(raw: $0.baseAddress!, mapper: mapper, phi: &phi, path: &path) }
        XCTAssertEqual(phi[0], 2 - tree.expected, accuracy: 1e-12)
    }
}

/// Settings with a fixed number of trees (no early stopping), for tests.
func fixedTrees(_ trees: Int, learningRate: Double, leaves: Int = TreeSettings().leaves) -> GradientBoosting {
    var settings = GradientBoosting()
    settings.trees = trees
    settings.learningRate = learningRate
    settings.tree.leaves = leaves
    settings.earlyStopping = 0
    return settings
}
