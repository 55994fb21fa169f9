import XCTest
import LinearAlgebra
@testable import LeadScoring

/// The leakage guard and the holdout splits.
final class TrainingTests: XCTestCase {
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

    /// `--refit never` keeps the model the holdout measured (what `auto` does from 200,000
    /// training rows): no final fit, the holdout's tiers and numbers describe the very model
    /// written; `always` refits, as `auto` does on small tables; a blend is kept whole.
    func testRefitNeverKeepsTheHoldoutModel() throws {
        let path = repositoryRoot.appendingPathComponent("datasets/sample-leads.csv").path
        var source = DataSource(path: path)
        source.drop = ["created_date", "last_activity_date"]
        let (t, schema) = try source.load(target: "converted")
        for model in [ModelChoice.logistic, .auto] {
            var options = TrainingOptions(target: TargetSpec(column: "converted"))
            options.model = model
            options.refit = .never
            let kept = try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x")
            XCTAssertNil(kept.timings["finalFit"], "\(model)")
            XCTAssertNotNil(kept.timings["holdoutFit"])
            // The kept model scores the holdout exactly as the holdout report says.
            let y0 = try LabelledData(table: t, schema: schema, target: TargetSpec(column: "converted")).labels
            let holdoutRows = kept.split.holdout.map { y0.rows[$0] }
            var issues = EncodingIssues()
            let p = try LeadScorer(model: kept.model, reasonsPerSide: 0).probabilities(table: t, rows: holdoutRows, issues: &issues)
            let report = EvaluationReport(probabilities: p, labels: kept.split.holdout.map { y0.y[$0] }, thresholds: kept.model.tiers)
            XCTAssertEqual(report.auc, kept.model.training.holdout.auc, accuracy: 1e-12, "\(model)")
            options.refit = .always
            XCTAssertNotNil(try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x").timings["finalFit"])
        }
    }
}

