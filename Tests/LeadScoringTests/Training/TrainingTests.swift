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
}
