import XCTest
import LinearAlgebra
@testable import LeadScoring

/// Numbers pinned to scikit-learn 1.9.1, computed offline by
/// `scripts/golden/logistic_and_metrics.py` and committed as literals.
final class GoldenTests: XCTestCase {
    static let x: [[Double]] = [[1.691, -0.466, 0.033], [0.408, -0.789, 0.002], [-0.001, -1.755, 1.018], [0.6, -0.625, -0.172], [0.505, -0.261, -0.243], [-1.453, 0.555, 0.124], [0.274, -1.527, 1.651], [0.154, -0.387, 2.029], [-0.045, -1.451, -0.405], [-2.288, 1.049, -0.416], [-0.743, 1.072, -1.651], [0.535, -2.064, -0.662], [-1.204, 1.462, 1.766], [-0.329, 0.841, -0.18], [0.568, -0.753, -1.708], [-1.803, 0.383, 2.248], [0.269, -0.525, 1.912], [0.237, 0.101, 0.253], [-0.132, -0.309, -1.435], [0.502, -0.095, 1.193], [-0.369, -1.906, -0.1], [1.7, -0.383, -0.89], [-1.194, -1.05, -0.3], [-1.18, 1.498, -0.283], [0.109, 1.438, 1.503], [-0.213, 0.332, 0.735], [-0.193, -1.778, 0.655], [0.894, 0.416, -0.924], [-0.196, -0.591, -0.3], [1.297, 1.53, 0.669], [0.549, 0.677, -0.012], [-0.076, -0.674, -0.056], [2.26, 0.869, -0.342], [-0.472, -0.864, 0.374], [0.392, -1.443, 0.486], [-0.569, 1.427, 0.157], [1.718, -0.458, -0.288], [0.3, 1.056, 0.566], [-1.234, 0.183, 0.022], [-0.429, -0.648, 1.748]]
    static let y: [Double] = [1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1]

    func assertRelative(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - b), tolerance * max(abs(b), 1e-3), "\(a) vs \(b)", file: file, line: line)
    }

    func fit(l2: Double, weight: ClassWeight) throws -> LogisticModel {
        try LogisticRegression(l2: l2, classWeight: weight).fit(Matrix(rowArrays: Self.x), Self.y)
    }

    /// scikit-learn `LogisticRegression(C=1.0)` ↔ `l2: 1.0`.
    func testMatchesScikitLearnC1() throws {
        let m = try fit(l2: 1.0, weight: .none)
        let expected = [1.2140544428329754, -0.6401165386029499, 0.3160003367074588]
        for (a, b) in zip(m.coefficients, expected) { assertRelative(a, b) }
        assertRelative(m.intercept, -0.005614837463474244)
        XCTAssertTrue(m.converged)
        XCTAssertLessThan(m.iterations, 15)
    }

    /// `C=0.25` ↔ `l2: 4.0` (λ = 1/C).
    func testMatchesScikitLearnC025() throws {
        let m = try fit(l2: 4.0, weight: .none)
        let expected = [0.794651022939845, -0.473725400571711, 0.1769877705688492]
        for (a, b) in zip(m.coefficients, expected) { assertRelative(a, b) }
        assertRelative(m.intercept, 0.07876471734606118)
    }

    /// `class_weight="balanced"` ↔ `.balanced`.
    func testMatchesScikitLearnBalanced() throws {
        let m = try fit(l2: 1.0, weight: .balanced)
        let expected = [1.2116423273157702, -0.6212100399344108, 0.3097257645491216]
        for (a, b) in zip(m.coefficients, expected) { assertRelative(a, b) }
        assertRelative(m.intercept, -0.1906584595358226)
    }

    func testUnpenalisedFitOnSeparableDataFallsBackAndStaysFinite() throws {
        // Perfectly separable and with a duplicated column: no finite optimum without L2 and a
        // singular Hessian. The fit must stop with finite numbers, not crash or produce NaN.
        let x = Matrix(rowArrays: [[-2, -2], [-1, -1], [1, 1], [2, 2]])
        let m = try LogisticRegression(l2: 0, maxIterations: 30).fit(x, [0, 0, 1, 1])
        XCTAssertTrue(m.coefficients.allSatisfy(\.isFinite))
        XCTAssertTrue(m.intercept.isFinite)
        let p = m.uncalibratedProbabilities(x)
        XCTAssertLessThan(p[0], 0.01)
        XCTAssertGreaterThan(p[3], 0.99)
    }

    func testGradientOfObjectiveMatchesFiniteDifferences() throws {
        // The fitted optimum has zero gradient: perturbing any coefficient raises the objective
        // by a second-order amount only.
        let lr = LogisticRegression(l2: 1.0)
        let m = try fit(l2: 1.0, weight: .none)
        let xi = OneHotDesign(Matrix(rowArrays: Self.x))
        let beta = [m.intercept] + m.coefficients
        let s = [Double](repeating: 1, count: Self.y.count)
        let f0 = lr.objective(xi, Self.y, s, beta)
        let h = 1e-5
        for j in 0..<4 {
            var plus = beta, minus = beta
            plus[j] += h; minus[j] -= h
            let derivative = (lr.objective(xi, Self.y, s, plus) - lr.objective(xi, Self.y, s, minus)) / (2 * h)
            XCTAssertEqual(derivative, 0, accuracy: 1e-6)
            XCTAssertGreaterThan(lr.objective(xi, Self.y, s, plus), f0)
        }
    }

    // Metrics on a hand-checkable case with ties (12 leads, 5 converted).
    static let scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1]
    static let labels: [Double] = [1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0]

    func testAUCWithTiesMatchesScikitLearnAndHandCount() {
        // By hand: 35 positive–negative pairs; the positive wins 27 and ties 0.8/0.8, 0.6/0.6×2,
        // 0.3/0.3 (4 ties = 2 wins): (25 + 2) / 35 = 0.771428…
        XCTAssertEqual(Metrics.rocAUC(Self.scores, Self.labels), 0.7714285714285715, accuracy: 1e-12)
        XCTAssertEqual(Metrics.rocAUC([0.5, 0.5], [1, 0]), 0.5)
        XCTAssertTrue(Metrics.rocAUC([0.5, 0.7], [1, 1]).isNaN)
    }

    func testAveragePrecisionLogLossBrierMatchScikitLearn() {
        XCTAssertEqual(Metrics.averagePrecision(Self.scores, Self.labels), 0.6976190476190477, accuracy: 1e-12)
        XCTAssertEqual(Metrics.logLoss(Self.scores, Self.labels), 0.586500120821822, accuracy: 1e-12)
        XCTAssertEqual(Metrics.brier(Self.scores, Self.labels), 0.20416666666666664, accuracy: 1e-12)
    }

    func testLiftAndCapture() {
        // Top 10% = ⌈1.2⌉ = 2 leads: 0.9 (converted) and one place shared by the two leads tied
        // at 0.8 (one converted): 1.5 expected conversions, rate 0.75 vs 5/12 overall → lift
        // 1.8, capture 1.5/5.
        let top = Metrics.topFraction(Self.scores, Self.labels, fraction: 0.1)
        XCTAssertEqual(top.lift, 1.8, accuracy: 1e-12)
        XCTAssertEqual(top.capture, 0.3, accuracy: 1e-12)
        // Top 3 takes the whole tie: 2 conversions; top 5 cuts the 0.6 group (1 of 3 converted) with 1 place.
        XCTAssertEqual(Metrics.expectedHits(Self.scores, Self.labels, top: 3), 2, accuracy: 1e-12)
        XCTAssertEqual(Metrics.expectedHits(Self.scores, Self.labels, top: 5), 3 + 1.0 / 3, accuracy: 1e-12)
    }
}
