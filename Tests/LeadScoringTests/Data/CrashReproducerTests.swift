import XCTest
@testable import LeadScoring

/// Inputs that once crashed or could hang leadscore, and the checks that now refuse them.
/// Inputs that once crashed leadscore, kept as reproducers.
final class CrashReproducerTests: XCTestCase {
    func testLongDigitRunsAreNotDatesAndDoNotCrash() {
        // Int(current)! overflowed on 20+ digits (bank accounts, order numbers, absurd years).
        for value in ["DE89370400440532013000", "ORD-1234567890123456789012", "99999999999999999999-01-01",
                      "2026-01-99999999999999999999", "12345678901234567890/01/2026", "1-Mar-99999999999999999999",
                      "2026-03-01T14:05:09+99999999999999999999"] {
            XCTAssertNil(DateParser.parse(value), value)
            XCTAssertNil(DateParser.parse(value, dayFirst: true), value)
        }
        let ibans = (0..<50).map { "DE8937040044053201\($0 + 3000)" }
        XCTAssertEqual(SchemaInference().inferColumn(name: "account", values: ibans).kind, .identifier)
    }

    func testHugeNumbersNeitherOverflowNorPoisonScores() throws {
        XCTAssertNil(Values.number("1e400"))
        // A column with absurd magnitudes still trains and scores finite probabilities.
        var csv = "x,y,converted\n"
        for i in 0..<400 { csv += "\(i % 7 == 0 ? "1e300" : String(i % 13)),\(i % 5),\(i % 3 == 0 ? 1 : 0)\n" }
        let path = writeTemp(csv)
        let (table, schema) = try DataSource(path: path).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.calibration = .none
        let model = try Trainer.train(table: table, schema: schema, options: options, dataSHA256: "x").model
        var issues = EncodingIssues()
        let p = try LeadScorer(model: model, reasonsPerSide: 3).probabilities(table: table, rows: Array(0..<table.rowCount), issues: &issues)
        XCTAssertTrue(p.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    }
}
