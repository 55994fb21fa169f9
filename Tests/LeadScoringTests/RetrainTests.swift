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

final class DriftTests: XCTestCase {
    func testPSIMatchesHandComputation() {
        // (0.6 − 0.5) ln(0.6/0.5) + (0.4 − 0.5) ln(0.4/0.5) = 0.1 ln 1.2 + 0.1 ln 1.25
        XCTAssertEqual(populationStabilityIndex(expected: [0.5, 0.5], actual: [0.6, 0.4]), 0.1 * log(1.2) + 0.1 * log(1.25), accuracy: 1e-12)
        XCTAssertEqual(populationStabilityIndex(expected: [0.2, 0.3, 0.5], actual: [0.2, 0.3, 0.5]), 0)
        // An empty bin counts as 0.0001, not infinity.
        XCTAssertEqual(populationStabilityIndex(expected: [1, 0], actual: [0.5, 0.5]),
                       (0.5 - 1) * log(0.5 / 1) + (0.5 - 1e-4) * log(0.5 / 1e-4), accuracy: 1e-12)
        XCTAssertEqual(DriftReport.Status(psi: 0.05), .stable)
        XCTAssertEqual(DriftReport.Status(psi: 0.1), .warning)
        XCTAssertEqual(DriftReport.Status(psi: 0.25), .alarm)
    }

    /// A count column (half 0, 40% 1, 10% 2) keeps each value in its own bin, so moving the
    /// 1s to 2s shows.
    func testDecileBinsOfACountColumn() {
        let training = [Double](repeating: 0, count: 50) + [Double](repeating: 1, count: 40) + [Double](repeating: 2, count: 10)
        let edges = DataProfile.decileEdges(training)
        XCTAssertEqual(edges, [1, 2, .infinity])
        let expected = DataProfile.binShares(training, edges: edges)
        XCTAssertEqual(expected, [0.5, 0.4, 0.1])
        let shifted = [Double](repeating: 0, count: 50) + [Double](repeating: 2, count: 50)
        XCTAssertGreaterThan(populationStabilityIndex(expected: expected, actual: DataProfile.binShares(shifted, edges: edges)), 0.25)
    }

    func testDriftFindsShiftsUnseenCategoriesAndMissingRates() throws {
        var old = "size,source,visits\n", new = "size,source,visits\n"
        var rng = SeededGenerator(seed: 2)
        for i in 0..<2000 {
            let size = Int(rng.uniform() * 1000)
            old += "\(size),\(["Web", "Event", "Partner"][i % 3]),\(i % 7)\n"
            // New data: sizes shifted up, a new source, visits missing a third of the time.
            new += "\(size + 600),\(["Web", "Event", "Podcast"][i % 3]),\(i % 3 == 0 ? "" : String(i % 7))\n"
        }
        let (ot, os) = try DataSource(path: writeTemp(old)).load()
        let (nt, _) = try DataSource(path: writeTemp(new)).load()
        let profile = DataProfile.build(table: ot, rows: Array(0..<ot.rowCount), schema: os, probabilities: (0..<2000).map { Double($0) / 2000 })
        let same = DriftReport(profile: profile, table: ot, rows: Array(0..<ot.rowCount), missing: os.missingTokens, probabilities: (0..<2000).map { Double($0) / 2000 })
        XCTAssertEqual(same.status, .stable)
        XCTAssertLessThan(same.features.map(\.psi).max()!, 0.01)
        let report = DriftReport(profile: profile, table: nt, rows: Array(0..<nt.rowCount), missing: os.missingTokens,
                                 probabilities: (0..<2000).map { 0.5 + Double($0) / 4000 })
        func feature(_ name: String) -> DriftReport.Feature { report.features.first { $0.name == name }! }
        XCTAssertEqual(feature("size").status, .alarm)
        XCTAssertEqual(feature("source").unseenLevels, ["podcast"])
        XCTAssertEqual(feature("source").unseenShare, 1.0 / 3, accuracy: 0.001)
        XCTAssertEqual(feature("visits").missingTraining, 0)
        XCTAssertEqual(feature("visits").missingNew, 667.0 / 2000, accuracy: 1e-9)
        XCTAssertEqual(report.scoreStatus, .alarm)
        XCTAssertEqual(report.status, .alarm)
        XCTAssertTrue(report.summary.contains("'size'"), report.summary)
    }
}

final class RegistryTests: XCTestCase {
    func candidate(_ auc: Double, _ loss: Double) -> CandidateResult {
        CandidateResult(name: "m", version: nil, auc: auc, aucLow: auc - 0.02, aucHigh: auc + 0.02, logLoss: loss)
    }

    func testPromotionRuleOnConstructedCases() {
        let champion = candidate(0.80, 0.450)
        XCTAssertTrue(PromotionRule.decide(champion: nil, challenger: candidate(0.7, 0.5), aucDifference: nil, margin: 0.005).0)
        // Clearly better: 4% lower log loss, AUC interval above 0.
        XCTAssertTrue(PromotionRule.decide(champion: champion, challenger: candidate(0.83, 0.432), aucDifference: (0.03, 0.01, 0.05), margin: 0.005).0)
        // Worse log loss.
        let worse = PromotionRule.decide(champion: champion, challenger: candidate(0.79, 0.47), aucDifference: (-0.01, -0.03, 0.01), margin: 0.005)
        XCTAssertFalse(worse.0)
        XCTAssertTrue(worse.1.contains("kept the champion"), worse.1)
        // A tie keeps the champion.
        XCTAssertFalse(PromotionRule.decide(champion: champion, challenger: candidate(0.80, 0.450), aucDifference: (0, -0.01, 0.01), margin: 0.005).0)
        // Better log loss but within the margin.
        XCTAssertFalse(PromotionRule.decide(champion: champion, challenger: candidate(0.80, 0.449), aucDifference: (0, -0.01, 0.01), margin: 0.005).0)
        // Better log loss, but AUC worse beyond noise.
        let ranksWorse = PromotionRule.decide(champion: champion, challenger: candidate(0.75, 0.40), aucDifference: (-0.05, -0.08, -0.02), margin: 0.005)
        XCTAssertFalse(ranksWorse.0)
        XCTAssertTrue(ranksWorse.1.contains("worse beyond noise"), ranksWorse.1)
    }

    func trainedModel(seed: UInt64, leads: Int = 1500) throws -> LeadModel {
        let path = temporaryDirectory() + "/leads.csv"
        try CRMGenerator(seed: seed).write(leads: leads, to: path)
        let (t, schema) = try DataSource(path: path).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = .logistic
        return try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x").model
    }

    func testAddPromoteRollbackAndTheLock() throws {
        let registry = try ModelRegistry(directory: temporaryDirectory() + "/models", create: true)
        XCTAssertNil(try registry.active())
        let model = try trainedModel(seed: 4)
        var lock: RegistryLock? = try registry.lock()
        // A second writer is refused while the first holds the lock, and let in after.
        XCTAssertThrowsError(try registry.lock()) { error in
            XCTAssertTrue((error as? BusyError)?.message.contains("another leadscore process (pid \(getpid()))") ?? false, "\(error)")
        }
        XCTAssertEqual(try registry.add(model, dataFiles: ["a.csv"], holdoutAUC: 0.8, holdoutLogLoss: 0.4, decision: nil, activate: true, reason: "first"), 1)
        XCTAssertEqual(try registry.add(model, dataFiles: ["b.csv"], holdoutAUC: 0.81, holdoutLogLoss: 0.39, decision: Data("{}".utf8), activate: true, reason: "better"), 2)
        XCTAssertEqual(try registry.add(model, dataFiles: ["c.csv"], holdoutAUC: 0.79, holdoutLogLoss: 0.41, decision: nil, activate: false, reason: "worse"), 3)
        XCTAssertEqual(try registry.index().active, 2)
        XCTAssertEqual(try registry.index().entry(2)?.decision, "decisions/v2.json")
        XCTAssertEqual(try registry.rollback(), 1)
        XCTAssertEqual(try registry.index().active, 1)
        try registry.promote(3, reason: "by hand")
        XCTAssertEqual(try registry.index().active, 3)
        XCTAssertEqual(try registry.rollback(), 1)
        // Nothing earlier than version 1 was ever active.
        XCTAssertThrowsError(try registry.rollback())
        XCTAssertThrowsError(try registry.promote(9, reason: "x"))
        XCTAssertEqual(try registry.load(version: 3).training.rows, model.training.rows)
        lock = nil
        XCTAssertNotNil(try registry.lock())
        withExtendedLifetime(lock) {}
    }

    /// Rollbacks walk back through the history: 3 → 2 → 1.
    func testRepeatedRollbacksWalkBack() throws {
        let registry = try ModelRegistry(directory: temporaryDirectory() + "/models", create: true)
        let model = try trainedModel(seed: 6)
        for v in 1...3 {
            try registry.add(model, dataFiles: ["\(v).csv"], holdoutAUC: 0.8, holdoutLogLoss: 0.4, decision: nil, activate: true, reason: "new")
        }
        XCTAssertEqual(try registry.rollback(), 2)
        XCTAssertEqual(try registry.rollback(), 1)
        XCTAssertThrowsError(try registry.rollback())
        try registry.promote(3, reason: "by hand")
        XCTAssertEqual(try registry.rollback(), 1)
    }

    func testSmallDataIsRefusedAndWarned() throws {
        var csv = "visits,source,converted\n"
        for i in 0..<400 { csv += "\(i % 13),\(["A", "B"][i % 2]),\(i % 13 == 0 ? 1 : 0)\n" }  // 31 conversions
        let (t, schema) = try DataSource(path: writeTemp(csv)).load(target: "converted")
        XCTAssertThrowsError(try Trainer.train(table: t, schema: schema, options: TrainingOptions(target: TargetSpec(column: "converted")), dataSHA256: "x")) { error in
            XCTAssertTrue(error.localizedDescription.contains("only 31 converted"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("need at least 40"), error.localizedDescription)
        }
        var more = "visits,source,converted\n"
        for i in 0..<600 { more += "\(i % 7),\(["A", "B"][i % 2]),\(i % 7 == 0 && i % 2 == 0 ? 1 : (i % 11 == 0 ? 1 : 0))\n" }
        let (t2, s2) = try DataSource(path: writeTemp(more)).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = .logistic
        let result = try Trainer.train(table: t2, schema: s2, options: options, dataSHA256: "x")
        XCTAssertTrue(result.model.training.notices.contains { $0.contains("fewer than 120") }, "\(result.model.training.notices)")
        XCTAssertNotNil(result.model.training.holdout.aucLow)
    }

    /// On held-out leads, each tier's mean predicted probability lies within the Wilson interval
    /// of its observed conversion rate.
    func testTiersPredictedRatesMatchObservedOnTheHoldout() throws {
        let path = temporaryDirectory() + "/leads.csv"
        try CRMGenerator(seed: 12).write(leads: 6000, to: path)
        let (t, schema) = try DataSource(path: path).load(target: "converted")
        let result = try Trainer.train(table: t, schema: schema, options: TrainingOptions(target: TargetSpec(column: "converted")), dataSHA256: "x")
        let holdout = result.model.training.holdout
        for tier in holdout.tiers where tier.count >= 30 {
            let predicted = try XCTUnwrap(tier.meanPredicted)
            XCTAssertGreaterThanOrEqual(predicted, try XCTUnwrap(tier.conversionLow), tier.name)
            XCTAssertLessThanOrEqual(predicted, try XCTUnwrap(tier.conversionHigh), tier.name)
        }
        XCTAssertLessThan(try XCTUnwrap(holdout.reliability).expectedCalibrationError, 0.05)
        XCTAssertNotNil(result.model.profile)
        // The model file keeps the calibration and the profile.
        let file = temporaryDirectory() + "/m.json"
        try result.model.save(to: file)
        let loaded = try LeadModel.load(from: file)
        XCTAssertEqual(loaded.calibration, result.model.calibration)
        XCTAssertEqual(loaded.profile, result.model.profile)
        XCTAssertEqual(loaded.formatVersion, LeadModel.currentFormatVersion)
    }

    func testRetrainCombinesDeduplicatesAndDecides() throws {
        let dir = temporaryDirectory()
        try CRMGenerator(seed: 30).write(leads: 2500, to: dir + "/a.csv")
        // The second export repeats the first 500 leads (same ids) and adds nothing new: 500 duplicates.
        let text = try String(contentsOfFile: dir + "/a.csv", encoding: .utf8)
        let lines = text.split(separator: "\n")
        try (lines.prefix(501).joined(separator: "\n") + "\n").write(toFile: dir + "/b.csv", atomically: true, encoding: .utf8)
        let registry = try ModelRegistry(directory: dir + "/models", create: true)
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.boosting.trees = 60
        options.calibration = .none
        var retrainer = Retrainer(sources: [DataSource(path: dir + "/a.csv"), DataSource(path: dir + "/b.csv")], training: options)
        retrainer.replicates = 100
        let first = try retrainer.run(registry: registry)
        XCTAssertEqual(first.decision.duplicatesRemoved, 500)
        XCTAssertEqual(first.decision.rowsRead, 3000)
        XCTAssertEqual(first.decision.labelledRows, 2500)
        XCTAssertTrue(first.decision.promoted)
        XCTAssertEqual(first.active, 1)
        XCTAssertNil(first.decision.champion)
        // The same data again: the challenger equals the champion, a tie, so it is kept as
        // version 2 but not promoted.
        let second = try retrainer.run(registry: registry)
        XCTAssertEqual(second.version, 2)
        XCTAssertFalse(second.decision.promoted, second.decision.reason)
        XCTAssertEqual(second.active, 1)
        XCTAssertNotNil(second.decision.champion)
        XCTAssertNotNil(second.decision.aucDifferenceLow)
        // The same leads: no input column drifted.
        XCTAssertTrue(try XCTUnwrap(second.drift).features.allSatisfy { $0.status == .stable })
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/models/decisions/v2.json"))
    }
}
