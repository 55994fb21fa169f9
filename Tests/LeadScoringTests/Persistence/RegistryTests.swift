import XCTest
@testable import LeadScoring

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
            XCTAssertTrue(error.localizedDescription.contains("another leadscore process (pid \(getpid()))"), "\(error)")
            XCTAssertEqual((error as? LeadScoreError)?.exitStatus, .tryAgain)
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
