import XCTest
import LinearAlgebra
@testable import LeadScoring

/// Tiers from probabilities: precision bands, capacity, explicit thresholds, summaries.
final class TierTests: XCTestCase {
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
}
