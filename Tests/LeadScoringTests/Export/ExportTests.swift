import Foundation
@testable import LeadScoring
import XCTest

/// The exporters' own rules; the statements themselves are run in DuckDB, SQLite, PostgreSQL,
/// Spark and LightGBM by the CLI tests (Tests/Peers/export_check.py).
final class ExportTests: XCTestCase {
    /// Every literal reads back as the same double, typed as a double in each dialect.
    func testDoubleLiteralsAreExactAndTyped() {
        var rng = SeededGenerator(seed: 9)
        var values: [Double] = [0.1, 1.0 / 3, -2.5, 5e-324, -1.7976931348623157e308, 1e-12, 1 - 1e-12, 123_456_789_012_345_680, 0.30000000000000004]
        for _ in 0..<2000 { values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))) }
        for value in values where value.isFinite {
            for dialect in SQLDialect.allCases {
                let literal = dialect.double(value)
                // The number inside the literal's decoration.
                let text = literal.trimmingCharacters(in: CharacterSet(charactersIn: "()'"))
                    .replacingOccurrences(of: "'::DOUBLE", with: "").replacingOccurrences(of: "'::float8", with: "")
                    .replacingOccurrences(of: "D", with: "")
                XCTAssertEqual(Double(text), value, "\(dialect): \(literal)")
                XCTAssertTrue(text.contains(".") || text.contains("e"), "never an integer literal: \(literal)")
            }
        }
        XCTAssertEqual(SQLDialect.postgres.double(0.5), "'0.5'::float8", "a bare 0.5 is NUMERIC in PostgreSQL")
        XCTAssertEqual(SQLDialect.spark.double(0.5), "0.5D", "a bare 0.5 is DECIMAL in Spark")
        XCTAssertEqual(SQLDialect.spark.double(-0.5), "(-0.5D)")
        XCTAssertEqual(SQLDialect.duckdb.double(2), "'2.0'::DOUBLE")
        XCTAssertEqual(SQLDialect.bigquery.double(-0.0), "0.0")
    }

    func testStringsAndNamesAreQuotedForEachDialect() {
        let level = "O'Brien \\ co\nמכירות"
        XCTAssertEqual(SQLDialect.postgres.string(level), "'O''Brien \\ co\nמכירות'", "standard strings: only the quote doubled")
        XCTAssertEqual(SQLDialect.spark.string(level), "'O\\'Brien \\\\ co\\nמכירות'", "backslash escapes in Spark")
        XCTAssertEqual(SQLDialect.bigquery.string("a\u{1}"), "'a\\x01'")
        XCTAssertEqual(SQLDialect.duckdb.identifier("Lead \"Source\""), "\"Lead \"\"Source\"\"\"")
        XCTAssertEqual(SQLDialect.spark.identifier("a`b"), "`a``b`")
        XCTAssertEqual(SQLDialect.postgres.tableName("crm.leads"), "\"crm\".\"leads\"")
        XCTAssertEqual(SQLDialect.bigquery.tableName("project.crm.leads"), "`project.crm.leads`")
    }

    /// Thousands of trees stay shallow (sums grouped 32 at a time); BigQuery's 1 MB limit is
    /// enforced with the reason, and the statement says its size.
    func testForestsStayShallowAndOversizedStatementsAreRefused() throws {
        let path = temporaryDirectory() + "/leads.csv"
        try CRMGenerator(seed: 5).write(leads: 1200, to: path)
        let (t, schema) = try DataSource(path: path).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = .gbdt
        options.boosting.trees = 20
        options.boosting.earlyStopping = 0
        var model = try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x").model
        guard case var .gbdt(b) = model.predictor else { return XCTFail("not trees") }
        b.trees = Array(repeating: b.trees, count: 250).flatMap { $0 }  // 5,000 trees
        model.predictor = .gbdt(b)
        let duck = try SQLExport(model: model, dialect: .duckdb).statement()
        XCTAssertLessThan(duck.depth, 300, "5,000 trees nest \(duck.depth) deep")
        XCTAssertGreaterThan(duck.bytes, 1_048_576)
        XCTAssertThrowsError(try SQLExport(model: model, dialect: .bigquery).statement()) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(message.contains("more than BigQuery takes (1,048,576 bytes)"), message)
            XCTAssertEqual((error as? LeadScoreError)?.exitStatus, .usage)
        }
        // LightGBM's layout: a tree block per tree, sizes that match, the base margin in tree 0.
        let text = try LightGBMExport(model: model).modelText()
        let sizes = text.split(separator: "\n").first { $0.hasPrefix("tree_sizes=") }!.dropFirst("tree_sizes=".count).split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(sizes.count, 5000)
        let start = text.range(of: "Tree=0\n")!.lowerBound
        let end = text.range(of: "end of trees")!.lowerBound
        XCTAssertEqual(sizes.reduce(0, +), text[start..<end].utf8.count)
    }

    func testLightGBMNeedsTrees() throws {
        let (model, _) = try trainedModel()
        XCTAssertThrowsError(try LightGBMExport(model: model))
        XCTAssertNoThrow(try SQLExport(model: model, dialect: .sqlite).statement())
        let ddl = SQLExport(model: model, dialect: .postgres, table: "crm.leads").createTable()
        XCTAssertTrue(ddl.hasPrefix("CREATE TABLE \"crm\".\"leads\" ("), ddl)
        XCTAssertTrue(ddl.contains("DOUBLE PRECISION"), ddl)
        // Without an id column, the inputs key the result.
        var anonymous = model
        for i in anonymous.schema.columns.indices where anonymous.schema.columns[i].kind == .identifier { anonymous.schema.columns[i].kind = .excluded }
        let sql = try SQLExport(model: anonymous, dialect: .duckdb).statement().sql
        let last = sql.components(separatedBy: "\nSELECT ").last ?? ""
        XCTAssertTrue(last.hasPrefix(model.encoder.columns.map { SQLDialect.duckdb.identifier($0.name) }.joined(separator: ", ") + ", probability"), last)
    }
}
