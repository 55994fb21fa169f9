import XCTest
@testable import LeadScoring

final class UncertaintyTests: XCTestCase {
    /// Converters 0.9, 0.6, 0.4 against non-converters 0.7, 0.3: AUC 4/6. V10 = (1, ½, ½),
    /// S10 = 1/12; V01 = (⅓, 1), S01 = 2/9; Var = (1/12)/3 + (2/9)/2 = 5/36.
    func testDeLongIntervalMatchesTheHandComputation() {
        let r = Uncertainty.aucInterval([0.9, 0.7, 0.6, 0.4, 0.3], [1, 0, 1, 1, 0])
        XCTAssertEqual(r.auc, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.standardError, (5.0 / 36).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(r.low, 0, accuracy: 1e-12)  // 0.667 − 1.96 × 0.373 < 0: clipped
        XCTAssertEqual(r.high, 1, accuracy: 1e-12)
        // With ties: 0.5 tied across classes counts one half.
        XCTAssertEqual(Uncertainty.aucInterval([0.5, 0.5, 0.9, 0.1], [1, 0, 1, 0]).auc, Metrics.rocAUC([0.5, 0.5, 0.9, 0.1], [1, 0, 1, 0]), accuracy: 1e-12)
    }

    func testWilsonInterval() {
        let w = Uncertainty.wilson(hits: 5, count: 10)
        XCTAssertEqual(w.low, 0.2365930, accuracy: 1e-6)
        XCTAssertEqual(w.high, 0.7634070, accuracy: 1e-6)
    }

    func testPairedBootstrapOfAUCDifference() {
        var rng = SeededGenerator(seed: 5)
        var y: [Double] = [], good: [Double] = [], weak: [Double] = []
        for _ in 0..<2000 {
            let label = rng.uniform() < 0.3 ? 1.0 : 0.0
            y.append(label)
            good.append(label * 1.5 + rng.uniform() * 2)
            weak.append(label * 0.3 + rng.uniform() * 2)
        }
        let same = Uncertainty.aucDifferenceInterval(good, good, labels: y, replicates: 200)
        XCTAssertEqual(same.difference, 0)
        XCTAssertEqual(same.low, 0)
        XCTAssertEqual(same.high, 0)
        let better = Uncertainty.aucDifferenceInterval(good, weak, labels: y, replicates: 200, seed: 1)
        XCTAssertGreaterThan(better.low, 0)
        XCTAssertEqual(better.difference, Metrics.rocAUC(good, y) - Metrics.rocAUC(weak, y), accuracy: 1e-12)
        XCTAssertLessThan(better.low, better.difference)
        XCTAssertGreaterThan(better.high, better.difference)
        // Reproducible by seed.
        XCTAssertEqual(Uncertainty.aucDifferenceInterval(good, weak, labels: y, replicates: 200, seed: 1).low, better.low)
    }

    func testReliabilityAndExpectedCalibrationError() {
        // Predicted 0.2 for everyone, one in five converts: calibrated.
        let y: [Double] = (0..<100).map { $0 % 5 == 0 ? 1 : 0 }
        XCTAssertEqual(Reliability(probabilities: [Double](repeating: 0.2, count: 100), labels: y).expectedCalibrationError, 0, accuracy: 1e-12)
        // Predicted 0.8 for the same leads: off by 0.6 everywhere.
        let off = Reliability(probabilities: [Double](repeating: 0.8, count: 100), labels: y)
        XCTAssertEqual(off.expectedCalibrationError, 0.6, accuracy: 1e-12)
        XCTAssertEqual(off.bins.count, 10)
        XCTAssertEqual(off.bins.map(\.count).reduce(0, +), 100)
    }

    /// An overconfident model (log-odds three times too large) is recalibrated: Platt finds a
    /// slope near 1/3, and the log loss and calibration error drop.
    func testCalibrationRepairsAnOverconfidentModel() {
        var rng = SeededGenerator(seed: 9)
        var y: [Double] = [], p: [Double] = []
        for _ in 0..<6000 {
            let z = (rng.uniform() - 0.5) * 4
            y.append(rng.uniform() < sigmoid(z) ? 1 : 0)
            p.append(sigmoid(3 * z))
        }
        guard case let .platt(a, b) = Calibration.fitPlatt(p, y) else { return XCTFail() }
        XCTAssertEqual(a, 1.0 / 3, accuracy: 0.05)
        XCTAssertEqual(b, 0, accuracy: 0.1)
        let (chosen, losses) = Calibration.choose(probabilities: p, labels: y)
        XCTAssertNotNil(chosen)
        XCTAssertLessThan(min(losses["platt"]!, losses["isotonic"]!), losses["none"]! - 0.01)
        let calibrated = p.map(chosen!.apply)
        XCTAssertLessThan(Metrics.logLoss(calibrated, y), Metrics.logLoss(p, y))
        XCTAssertLessThan(Reliability(probabilities: calibrated, labels: y).expectedCalibrationError,
                          Reliability(probabilities: p, labels: y).expectedCalibrationError / 2)
        // A calibrated model is left alone.
        let honest = (0..<6000).map { _ in rng.uniform() }
        let outcomes = honest.map { rng.uniform() < $0 ? 1.0 : 0.0 }
        XCTAssertNil(Calibration.choose(probabilities: honest, labels: outcomes).0)
        // Isotonic is monotone and interpolates.
        let iso = Calibration.fitIsotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
        XCTAssertLessThanOrEqual(iso.apply(0.15), iso.apply(0.35))
        // Tied probabilities are pooled before fitting: four leads at 0.2 (one converts) get 0.25.
        let tied = Calibration.fitIsotonic([0.2, 0.2, 0.2, 0.2, 0.5, 0.5], [0, 0, 0, 1, 1, 0])
        XCTAssertEqual(tied.apply(0.2), 0.25, accuracy: 1e-12)
        XCTAssertEqual(tied.apply(0.5), 0.5, accuracy: 1e-12)
    }
}
