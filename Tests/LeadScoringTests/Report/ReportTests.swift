import XCTest
@testable import LeadScoring

final class ReportTests: XCTestCase {
    func testPlotAreaMapsDataToPixels() {
        let area = PlotArea()  // 640 × 400, margins left 64, right 16, top 40, bottom 56
        XCTAssertEqual(area.px(0), 64)
        XCTAssertEqual(area.px(1), 624)
        XCTAssertEqual(area.px(0.5), 344)
        XCTAssertEqual(area.py(0), 344)
        XCTAssertEqual(area.py(1), 40)
        XCTAssertEqual(area.py(0.25), 268)
        let shifted = PlotArea(x: 10...30, y: -1...1)
        XCTAssertEqual(shifted.px(20), 344)
        XCTAssertEqual(shifted.py(0), 192)
        // A curve's points land on those pixels, in order.
        let svg = SVG.lines(area, [Series(name: "s", points: [(0, 0), (0.5, 0.25), (1, 1)], color: "#000")])
        XCTAssertTrue(svg.contains("points=\"64.0,344.0 344.0,268.0 624.0,40.0\""), svg)
        XCTAssertEqual(SVG.ticks(0...1), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(SVG.ticks(0...5000), [0, 1000, 2000, 3000, 4000, 5000])
        XCTAssertEqual(SVG.escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;")
    }

    func testCurvesMatchHandCountsAndMetrics() {
        let scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1]
        let labels: [Double] = [1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0]
        // ROC: from (0, 0); after 0.9: TPR 1/5; after the 0.8 pair: TPR 2/5, FPR 1/7.
        let roc = Curves.roc(scores, labels)
        XCTAssertEqual(roc[0].x, 0); XCTAssertEqual(roc[0].y, 0)
        XCTAssertEqual(roc[1].y, 0.2, accuracy: 1e-12)
        XCTAssertEqual(roc[2].x, 1.0 / 7, accuracy: 1e-12); XCTAssertEqual(roc[2].y, 0.4, accuracy: 1e-12)
        XCTAssertEqual(roc.last!.x, 1); XCTAssertEqual(roc.last!.y, 1)
        // The area under the drawn ROC curve is the AUC (trapezoids handle ties as half).
        var area = 0.0
        for i in 1..<roc.count { area += (roc[i].x - roc[i - 1].x) * (roc[i].y + roc[i - 1].y) / 2 }
        XCTAssertEqual(area, Metrics.rocAUC(scores, labels), accuracy: 1e-12)
        // Gains use the same tie-sharing as the capacity numbers.
        let ks = [0, 1, 2, 3, 5, 12]
        XCTAssertEqual(Curves.hits(scores, labels, at: ks), ks.map { Metrics.expectedHits(scores, labels, top: $0) })
        let pr = Curves.precisionRecall(scores, labels)
        XCTAssertEqual(pr[0].x, 0.2, accuracy: 1e-12); XCTAssertEqual(pr[0].y, 1)
        let rows = ThresholdRow.table(scores, labels, thresholds: [0.5], tiers: TierThresholds(mql: 0.3, sql: 0.8, method: "t"))
        XCTAssertEqual(rows.map(\.threshold), [0.3, 0.5, 0.8])
        XCTAssertEqual(rows[1].leadsAbove, 7)
        XCTAssertEqual(rows[1].precision, 4.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(rows[1].recall, 0.8, accuracy: 1e-12)
        XCTAssertEqual(rows[2].tier, "SQL")
    }

    func testReportIsSelfContainedAndItsNumbersAreEvaluates() throws {
        let path = temporaryDirectory() + "/leads.csv"
        try CRMGenerator(seed: 17).write(leads: 3000, to: path)
        let (table, schema) = try DataSource(path: path).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = .gbdt
        options.boosting.trees = 60
        let model = try Trainer.train(table: table, schema: schema, options: options, dataSHA256: "x").model
        let labels = try Labels(table: table, spec: model.target, missing: schema.missingTokens)
        let rules = try RuleSet.load(path: repositoryRoot.appendingPathComponent("datasets/rules-example.yaml").path)
        let report = try HTMLReport.build(model: model, modelPath: "m.json",
                                          data: try LabelledData(table: table, schema: schema, target: model.target),
                                          rules: rules, events: nil, asOf: DateParser.parse("2026-11-01")!)
        let html = report.html()
        // The headline numbers are evaluate's.
        var issues = EncodingIssues()
        let p = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: table, rows: labels.rows, issues: &issues)
        let evaluation = EvaluationReport(probabilities: p, labels: labels.y, thresholds: model.tiers)
        XCTAssertTrue(html.contains("id=\"auc\" data-value=\"\(evaluation.auc)\""))
        XCTAssertTrue(html.contains("id=\"rows\" data-value=\"\(evaluation.rows)\""))
        for t in evaluation.tiers { XCTAssertTrue(html.contains("data-tier=\"\(t.name)\" data-value=\"\(t.conversionRate)\""), t.name) }
        // Every chart is there and draws something.
        XCTAssertEqual(report.chartIDs.count, 14)
        for id in report.chartIDs {
            guard let start = html.range(of: "<svg id=\"\(id)\"") else { XCTFail("no chart \(id)"); continue }
            let end = html.range(of: "</svg>", range: start.upperBound..<html.endIndex)!
            let svg = html[start.lowerBound..<end.upperBound]
            XCTAssertTrue(svg.contains("<title"), id)
            XCTAssertTrue(svg.contains("<polyline") || svg.contains("<rect") || svg.contains("<circle"), id)
        }
        // Nothing from elsewhere: no scripts, stylesheets, images or fonts to fetch.
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertEqual(html.components(separatedBy: "http").count - 1, html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1)
    }
}
