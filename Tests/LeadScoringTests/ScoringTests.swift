import XCTest
import LinearAlgebra
@testable import LeadScoring

final class ScoringTests: XCTestCase {
    func testTierPolicyJudgesEachBandOnItsOwnRate() {
        // 30 leads by descending probability: the top 10 convert 8 times, the next 10 four
        // times, the last 10 never. The cumulative rate of the top 20 is 60%, but SQL must stop
        // at the 80% band.
        let p = (0..<30).map { 1.0 - Double($0) * 0.03 }
        let y: [Double] = [0, 1, 1, 1, 1, 0, 1, 1, 1, 1] + [0, 1, 0, 0, 1, 0, 0, 1, 0, 1] + [Double](repeating: 0, count: 10)
        let t = TierPolicy(sqlPrecision: 0.7, mqlPrecision: 0.3).thresholds(probabilities: p, labels: y)
        XCTAssertEqual(p.filter { t.tier($0) == .sql }.count, 10)
        XCTAssertEqual(p.filter { t.tier($0) == .mql }.count, 10)
        XCTAssertEqual(t.tier(p[0]), .sql)
        XCTAssertEqual(t.tier(p[10]), .mql)
        XCTAssertEqual(t.tier(p[29]), .cold)
    }

    func testIsotonicFitPoolsViolators() {
        XCTAssertEqual(isotonicFit([1, 3, 2, 4]), [1, 2.5, 2.5, 4])
        XCTAssertEqual(isotonicFit([3, 2, 1]), [2, 2, 2])
        XCTAssertEqual(isotonicFit([0, 1], weights: [3, 1]), [0, 1])
        XCTAssertEqual(isotonicFit([1, 0], weights: [3, 1]), [0.75, 0.75])
    }

    func testTierPolicyLeavesSQLEmptyWhenNoBandIsGoodEnough() {
        let p = (0..<30).map { Double($0) / 30 }
        let y = (0..<30).map { Double($0 % 3 == 0 ? 1 : 0) }
        let t = TierPolicy().thresholds(probabilities: p, labels: y)
        XCTAssertGreaterThan(t.sql, p.max()!)
        XCTAssertTrue(t.method.contains("SQL is empty"))
    }

    func testCapacityTiers() {
        let p = (0..<100).map { Double($0) / 100 }
        let y = (0..<100).map { Double($0 % 2) }
        let t = TierPolicy(sqlTop: 0.1, mqlTop: 0.3).thresholds(probabilities: p, labels: y)
        XCTAssertEqual(p.filter { t.tier($0) == .sql }.count, 10)
        XCTAssertEqual(p.filter { t.tier($0) != .cold }.count, 30)
    }

    func testExplicitTierParsing() throws {
        let t = try TierThresholds.parse("mql=0.35,sql=0.7")
        XCTAssertEqual(t.mql, 0.35); XCTAssertEqual(t.sql, 0.7)
        XCTAssertThrowsError(try TierThresholds.parse("mql=0.8,sql=0.7"))
        XCTAssertThrowsError(try TierThresholds.parse("sql=2"))
        XCTAssertEqual(try TierThresholds.parseShare("10%", option: "--sql-top"), 0.1)
    }

    func testTierSummaryCountsAndRates() {
        let t = TierThresholds(mql: 0.3, sql: 0.7, method: "test")
        let s = TierSummary.summarize(probabilities: [0.9, 0.8, 0.5, 0.4, 0.1, 0.05], labels: [1, 0, 1, 0, 0, 0], thresholds: t)
        XCTAssertEqual(s.map(\.name), ["SQL", "MQL", "Cold"])
        XCTAssertEqual(s.map(\.count), [2, 2, 2])
        XCTAssertEqual(s[0].conversionRate, 0.5)
        XCTAssertEqual(s[0].captureRate, 0.5)
        XCTAssertEqual(s[2].conversionRate, 0)
    }

    func table(_ csv: String) throws -> (Table, Schema) {
        try DataSource(path: writeTemp(csv)).load(target: "y")
    }

    func testEncoderImputesFlagsStandardisesAndPoolsRareLevels() throws {
        var csv = "visits,source,flag,y\n"
        for i in 0..<40 { csv += "\(i % 4 == 0 ? "" : String(i)),\(i < 30 ? "Google" : i < 38 ? "Direct" : "Rare\(i)"),\(i % 2 == 0 ? "Yes" : "No"),\(i % 2)\n" }
        let (t, schema) = try table(csv)
        let encoder = try FeatureEncoder.fit(table: t, rows: Array(0..<40), schema: schema, minCategoryCount: 5)
        XCTAssertEqual(encoder.featureNames, ["visits", "visits (missing)", "source=Google", "source=Direct", "source=(other)", "flag"])
        guard case let .numeric(e) = encoder.columns[0].encoding else { return XCTFail() }
        let present = (0..<40).filter { $0 % 4 != 0 }.map(Double.init)
        XCTAssertEqual(e.fill, present.sorted()[present.count / 2 - 1] / 2 + present.sorted()[present.count / 2] / 2)
        var issues = EncodingIssues()
        let x = try encoder.encode(table: t, rows: Array(0..<40), issues: &issues)
        // Standardised column has mean 0 and variance 1.
        let col = x.column(0)
        XCTAssertEqual(col.reduce(0, +) / 40, 0, accuracy: 1e-12)
        XCTAssertEqual(col.map { $0 * $0 }.reduce(0, +) / 40, 1, accuracy: 1e-12)
        XCTAssertEqual(x[0, 1], 1)   // row 0 was missing
        XCTAssertEqual(x[39, 4], 1)  // rare level pooled into (other)
        // Unseen level and unreadable number at scoring time: (other) and missing, counted.
        var out = [Double](repeating: 0, count: encoder.width)
        encoder.encodeRow(["abc", "Brand new source", "Yes"], line: 7, into: &out, issues: &issues)
        XCTAssertEqual(out[1], 1)
        XCTAssertEqual(Array(out[2...4]), [0, 0, 1])
        XCTAssertEqual(issues.counts["visits"], 1)
        XCTAssertTrue(issues.messages(file: "new.csv")[0].contains("new.csv:7"))
    }

    func trainedModel() throws -> (LeadModel, Table) {
        let path = temporaryDirectory() + "/leads.csv"
        try CRMGenerator(seed: 3).write(leads: 1500, to: path)
        let (t, schema) = try DataSource(path: path).load(target: "converted")
        let result = try Trainer.train(table: t, schema: schema, options: TrainingOptions(target: TargetSpec(column: "converted")), dataSHA256: "x")
        return (result.model, t)
    }

    func testReasonsAddUpToTheMarginAndSaveLoadGivesIdenticalPredictions() throws {
        let (model, t) = try trainedModel()
        let path = temporaryDirectory() + "/m.json"
        try model.save(to: path)
        let loaded = try LeadModel.load(from: path)
        XCTAssertEqual(loaded, model)
        var issues = EncodingIssues()
        let rows = Array(0..<200)
        let a = try LeadScorer(model: model).probabilities(table: t, rows: rows, issues: &issues)
        let b = try LeadScorer(model: loaded).probabilities(table: t, rows: rows, issues: &issues)
        XCTAssertEqual(a, b)
        // Contributions + baseline = margin, per lead.
        let x = try model.encoder.encode(table: t, rows: rows, issues: &issues)
        let margins = model.predictor.classifier.rawScores(x)
        for i in 0..<20 {
            let row = (0..<x.columns).map { x[i, $0] }
            let (baseline, terms) = model.predictor.classifier.contributions(row, featureMeans: model.encoder.featureMeans)
            XCTAssertEqual(baseline + terms.reduce(0, +), margins[i], accuracy: 1e-9)
        }
        // Reasons: at most 3 up then at most 3 down, sorted by strength.
        let values = model.encoder.columns.map { c in t.columns[t.index(of: c.name)!][0] }
        let lead = LeadScorer(model: model).score(rows: [values], lines: [2], issues: &issues)[0]
        let up = lead.reasons.filter { $0.contribution > 0 }, down = lead.reasons.filter { $0.contribution < 0 }
        XCTAssertLessThanOrEqual(up.count, 3); XCTAssertLessThanOrEqual(down.count, 3)
        XCTAssertEqual(up.map(\.contribution), up.map(\.contribution).sorted(by: >))
        XCTAssertEqual(lead.score, Int((lead.probability * 100).rounded()))
    }

    func testNewerFormatVersionAndCorruptFilesAreClearErrors() throws {
        let (model, _) = try trainedModel()
        let dir = temporaryDirectory()
        let path = dir + "/m.json"
        try model.save(to: path)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"formatVersion\" : \(LeadModel.currentFormatVersion)", with: "\"formatVersion\" : 99")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LeadModel.load(from: path)) { error in
            XCTAssertEqual(error as? DataError, .unsupportedModelVersion(file: path, found: 99, supported: LeadModel.currentFormatVersion))
        }
        try "{\"formatVersion\": 1, \"kind\": \"logistic\"".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LeadModel.load(from: path)) { error in
            guard case .badModel(let file, _)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
        }
    }

    func testLeakageGuardFlagsAColumnFilledInAfterTheOutcome() throws {
        var csv = "visits,tag,source,y\n"
        var rng = SeededGenerator(seed: 1)
        for i in 0..<600 {
            let y = rng.uniform() < 0.4 ? 1 : 0
            let tag = rng.uniform() < 0.95 ? (y == 1 ? "Will revert" : "Ringing") : "Other"
            csv += "\(Int(rng.uniform() * 10)),\(tag),\(["A", "B", "C"][i % 3]),\(y)\n"
        }
        let (t, schema) = try table(csv)
        let result = try Trainer.train(table: t, schema: schema, options: TrainingOptions(target: TargetSpec(column: "y")), dataSHA256: "x")
        XCTAssertEqual(result.model.training.leaks.map(\.column), ["tag"])
        XCTAssertFalse(result.singleColumnAUCs.first { $0.column == "source" }!.auc >= 0.9)
    }

    func testStratifiedAndTimeSplits() {
        let y = (0..<100).map { Double($0 % 5 == 0 ? 1 : 0) }
        let s = Split.stratified(labels: y, holdoutFraction: 0.2, seed: 1)
        XCTAssertEqual(s.holdout.count, 20)
        XCTAssertEqual(s.holdout.filter { y[$0] == 1 }.count, 4)
        XCTAssertEqual(Set(s.train).union(s.holdout).count, 100)
        let times = (0..<10).map { Double(10 - $0) }
        let byTime = Split.byTime(times, holdoutFraction: 0.2, column: "t")
        XCTAssertEqual(byTime.holdout, [0, 1])  // the two most recent
    }

    func testSHA256KnownVectors() {
        var h = SHA256()
        h.update(Array("abc".utf8))
        XCTAssertEqual(h.finalize(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        long.update(Array(String(repeating: "a", count: 1000).utf8))
        XCTAssertEqual(long.finalize(), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    func testGeneratorIsDeterministicPerSeed() throws {
        let dir = temporaryDirectory()
        try CRMGenerator(seed: 9).write(leads: 300, to: dir + "/a.csv")
        try CRMGenerator(seed: 9).write(leads: 300, to: dir + "/b.csv")
        try CRMGenerator(seed: 10).write(leads: 300, to: dir + "/c.csv")
        let a = try SHA256.hexDigest(ofFile: dir + "/a.csv")
        XCTAssertEqual(a, try SHA256.hexDigest(ofFile: dir + "/b.csv"))
        XCTAssertNotEqual(a, try SHA256.hexDigest(ofFile: dir + "/c.csv"))
        let t = try Table.read(path: dir + "/a.csv", hashing: true)
        XCTAssertEqual(t.sha256, a)  // fingerprint taken while reading = a separate pass over the file
        XCTAssertEqual(t.rowCount, 300)
        XCTAssertEqual(t.header, CRMGenerator.header)
    }

    func testAtomicFileLeavesTheOldFileOnAbort() throws {
        let path = writeTemp("old contents")
        let file = try AtomicFile(path: path)
        try file.write("new")
        file.abort()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents")
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 1)
    }
}
