import XCTest
@testable import LeadScoring

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

extension DriftTests {
    func testDriftCountsUnreadableNumbersAndAbsentColumns() throws {
        let model = try loadModel(smallModels.trees)
        let dir = temporaryDirectory()
        try CRMGenerator(seed: 22).write(leads: 300, to: dir + "/new.csv")
        var table = try Table.read(path: dir + "/new.csv")
        let visits = table.index(of: "website_visits")!
        var texts = Array(table.columns[visits])
        for r in 0..<10 { texts[r] = "lots" }
        table.columns[visits] = Column(texts: texts)
        let report = DriftReport(profile: model.profile!, table: table, rows: Array(0..<table.rowCount),
                                 missing: model.schema.missingTokens, probabilities: nil)
        let feature = report.features.first { $0.name == "website_visits" }!
        XCTAssertEqual(feature.unreadable, 10)
        XCTAssertEqual(feature.unreadableExample, "lots")
        XCTAssertTrue(report.summary.contains("website_visits"), report.summary)
        // Without the column it is named, not skipped.
        let c = table.index(of: "country")!
        table.header[c] = "land"
        let absent = DriftReport(profile: model.profile!, table: table, rows: Array(0..<table.rowCount),
                                 missing: model.schema.missingTokens, probabilities: nil)
        XCTAssertEqual(absent.absentColumns, ["country"])
        XCTAssertEqual(absent.status, .alarm)
    }
}
