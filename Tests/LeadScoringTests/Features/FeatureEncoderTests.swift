import XCTest
import LinearAlgebra
@testable import LeadScoring

/// Encoding raw values into model features.
final class FeatureEncoderTests: XCTestCase {
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
        var batch = RecordBatch(width: 3)
        batch.append(["abc", "Brand new source", "Yes"], line: 7)
        let encoded = encoder.encode(batch: batch, fields: [0, 1, 2], issues: &issues)
        let out = (0..<encoder.width).map { encoded[0, $0] }
        XCTAssertEqual(out[1], 1)
        XCTAssertEqual(Array(out[2...4]), [0, 0, 1])
        XCTAssertEqual(issues.counts["visits"], 1)
        XCTAssertTrue(issues.messages(file: "new.csv")[0].contains("new.csv:7"))
    }

    func testEncodingATableWithoutAModelColumnIsAnError() throws {
        let model = try loadModel(smallModels.logistic)
        let path = writeTemp("lead_id,country\nL1,France\n")
        let table = try Table.read(path: path)
        var issues = EncodingIssues()
        XCTAssertThrowsError(try model.encoder.encode(table: table, rows: [0], issues: &issues)) { error in
            guard case let DataError.missingColumns(_, columns) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(columns.contains("website_visits"), "\(columns)")
        }
    }

    /// A number that is a missing token (`-1` here) is missing however the cell reaches the
    /// encoder: from a typed column read from a file (its canonical number) or from a scored
    /// record's bytes, for linear and raw (tree) encodings alike.
    func testNumbersThatAreMissingTokensAreMissingOnEveryPath() throws {
        var csv = "visits,y\n"
        for i in 0..<40 { csv += "\(i % 5 == 0 ? "-1" : String(i)),\(i % 2)\n" }
        var source = DataSource(path: writeTemp(csv))
        source.missingTokens = MissingTokens.defaults + ["-1"]
        let (t, schema) = try source.load(target: "y")
        for style in [EncodingStyle.linear, .raw] {
            let encoder = try FeatureEncoder.fit(table: t, rows: Array(0..<40), schema: schema, style: style)
            var issues = EncodingIssues()
            let fromTable = try encoder.encode(table: t, rows: Array(0..<40), issues: &issues)
            var batch = RecordBatch(width: 1)
            for i in 0..<40 { batch.append([t.columns[0][i]], line: i + 2) }
            let fromBytes = encoder.encode(batch: batch, fields: [0], issues: &issues)
            for i in 0..<40 {
                let a = (0..<encoder.width).map { fromTable[i, $0] }, b = (0..<encoder.width).map { fromBytes[i, $0] }
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "row \(i), \(style)")
            }
            if style == .raw {
                XCTAssertTrue(fromTable[0, 0].isNaN, "-1 is missing")
                XCTAssertEqual(fromTable[1, 0], 1, "other numbers are read")
            } else {
                XCTAssertEqual(fromTable[0, 1], 1, "-1 is flagged missing")
                XCTAssertEqual(fromTable[1, 1], 0)
            }
            // A missing value is not an unreadable one.
            XCTAssertTrue(issues.counts.isEmpty, "\(issues.counts)")
        }
    }
}
