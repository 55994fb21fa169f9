import XCTest
import LinearAlgebra
@testable import LeadScoring

/// Scoring leads: probabilities, reasons, and the agreement of every path that scores.
final class LeadScorerTests: XCTestCase {
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
        let lead = LeadScorer(model: model).score(records: [values], lines: [2], issues: &issues)[0]
        let up = lead.reasons.filter { $0.contribution > 0 }, down = lead.reasons.filter { $0.contribution < 0 }
        XCTAssertLessThanOrEqual(up.count, 3); XCTAssertLessThanOrEqual(down.count, 3)
        XCTAssertEqual(up.map(\.contribution), up.map(\.contribution).sorted(by: >))
        XCTAssertEqual(lead.score, Int((lead.probability * 100).rounded()))
    }
}
