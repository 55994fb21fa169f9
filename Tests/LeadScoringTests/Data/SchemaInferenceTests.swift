import XCTest
@testable import LeadScoring

final class SchemaInferenceTests: XCTestCase {
    func column(_ name: String, _ values: [String]) -> ColumnSchema {
        SchemaInference().inferColumn(name: name, values: values)
    }

    /// A column's examples are its most frequent values, ties in text order: the one-pass
    /// selection gives what sorting every counted value gives.
    func testExamplesAreTheMostFrequentValues() {
        var rng = SeededGenerator(seed: 4)
        for size in [0, 1, 3, 5, 6, 40, 2_000] {
            var counts: [String: Int] = [:]
            for i in 0..<size { counts["v\(i)"] = 1 + Int(rng.uniform() * 6) }
            let sorted = counts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(5).map(\.key)
            XCTAssertEqual(SchemaInference.mostFrequent(counts, 5), Array(sorted), "\(size) values")
        }
    }

    func testKinds() {
        XCTAssertEqual(column("visits", ["1", "2", "", "3.5", "NA"]).kind, .numeric)
        XCTAssertEqual(column("Do Not Email", ["Yes", "No", "No", "Select"]).kind, .boolean)
        XCTAssertEqual(column("flag", ["1", "0", "1"]).kind, .boolean)
        XCTAssertEqual(column("ok", ["true", "FALSE", "True"]).kind, .boolean)
        XCTAssertEqual(column("ok", ["y", "n"]).kind, .boolean)
        XCTAssertEqual(column("source", ["Google", "Direct", "Google", "Olark Chat"]).kind, .categorical)
        XCTAssertEqual(column("created", ["2026-01-05", "2026-02-11T10:00:00Z", "2025-12-31"]).kind, .date)
        XCTAssertEqual(column("created", ["03/15/2026", "04/01/2026"]).kind, .date)
        XCTAssertEqual(column("only", ["No", "No", "", "No"]).kind, .constant)
        XCTAssertEqual(column("", ["", "", ""]).kind, .empty)
        XCTAssertEqual(column("nothing", ["Select", "NA", "-"]).kind, .empty)
    }

    func testIdentifiersByNameAndByUniqueness() {
        XCTAssertEqual(column("Prospect ID", ["a", "b", "a"]).kind, .identifier)
        XCTAssertEqual(column("leadId", ["1", "2"]).kind, .identifier)
        XCTAssertEqual(column("Lead Number", ["660737", "660728"]).kind, .identifier)
        let uuids = (0..<50).map { _ in UUID().uuidString }
        XCTAssertEqual(column("ref", uuids).kind, .identifier)
        // Unique free-text with spaces is text, not an identifier.
        let notes = (0..<50).map { "Called the customer about the renewal quote number \($0) and left a voicemail" }
        XCTAssertEqual(column("notes", notes).kind, .text)
        // Unique numbers of varied magnitude are a measurement, not ids.
        XCTAssertEqual(column("revenue", (0..<50).map { String($0 * $0 * 37 + 1) }).kind, .numeric)
    }

    func testHighCardinalityIsLeftOutWithANotice() {
        var values = (0..<300).map { "Company \($0)" }
        values += values
        let c = column("company", values)
        XCTAssertEqual(c.kind, .text)
        XCTAssertNotNil(c.notice)
    }

    func testAFewUnreadableNumbersStayNumericWithANotice() {
        let values = (0..<200).map { String($0 % 17) } + ["abc"]
        let c = column("visits", values)
        XCTAssertEqual(c.kind, .numeric)
        XCTAssertTrue(c.notice?.contains("abc") == true)
    }

    func testMissingTokensAreCaseInsensitiveAndConfigurable() {
        let tokens = MissingTokens()
        for t in ["", "NA", "n/a", "NULL", "None", "select", " - "] { XCTAssertTrue(tokens.isMissing(t), t) }
        XCTAssertFalse(tokens.isMissing("No"))
        let custom = MissingTokens(["?"])
        XCTAssertTrue(custom.isMissing("?"))
        XCTAssertTrue(custom.isMissing(""))
        XCTAssertFalse(custom.isMissing("NA"))
    }

    func testOverridesAndDropFromYAML() throws {
        let csv = writeTemp("Lead Number,TotalVisits,Tags,converted\n1,5,Will revert,1\n2,3,Ringing,0\n3,4,Ringing,0\n")
        let yaml = writeTemp("columns:\n  TotalVisits: categorical\n  Tags: exclude\nmissing: ['', '?']\n", name: "schema.yaml")
        var source = DataSource(path: csv)
        source.overrides = try SchemaOverrides.load(path: yaml)
        source.drop = ["Lead Number"]
        let (_, schema) = try source.load(target: "converted")
        XCTAssertEqual(schema.column(named: "TotalVisits")?.kind, .categorical)
        XCTAssertEqual(schema.column(named: "Tags")?.kind, .excluded)
        XCTAssertEqual(schema.column(named: "Lead Number")?.kind, .excluded)
        XCTAssertEqual(schema.column(named: "converted")?.kind, .excluded)
        XCTAssertEqual(schema.missingTokens.tokens, ["", "?"])
    }

    func testOverrideErrorsNameTheFileAndTheProblem() throws {
        let csv = writeTemp("a,b\n1,2\n")
        let bad = writeTemp("columns:\n  a: numbr\n", name: "s.yaml")
        var source = DataSource(path: csv)
        XCTAssertThrowsError(try SchemaOverrides.load(path: bad)) { error in
            XCTAssertTrue(error.localizedDescription.contains("numbr"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains(bad))
        }
        source.drop = ["bb"]
        XCTAssertThrowsError(try source.load()) { error in
            XCTAssertTrue(error.localizedDescription.contains("did you mean 'b'"), error.localizedDescription)
        }
    }

    func testDateParser() {
        let day = 86400.0
        let base = Double(DateParser.daysFromCivil(2026, 3, 1)) * day
        XCTAssertEqual(DateParser.parse("2026-03-01"), base)
        XCTAssertEqual(DateParser.parse("2026/03/01"), base)
        XCTAssertEqual(DateParser.parse("2026-03-01T14:05:09Z"), base + 14 * 3600 + 5 * 60 + 9)
        XCTAssertEqual(DateParser.parse("2026-03-01T14:05:09+02:00"), base + 12 * 3600 + 5 * 60 + 9)
        XCTAssertEqual(DateParser.parse("2026-03-01 14:05"), base + 14 * 3600 + 5 * 60)
        XCTAssertEqual(DateParser.parse("03/01/2026"), base)
        XCTAssertEqual(DateParser.parse("01/03/2026", dayFirst: true), base)
        XCTAssertEqual(DateParser.parse("01.03.2026", dayFirst: true), base)
        XCTAssertEqual(DateParser.parse("1-Mar-2026"), base)
        XCTAssertEqual(DateParser.parse("Mar 1, 2026"), base)
        XCTAssertEqual(DateParser.parse("March 1 2026"), base)
        XCTAssertEqual(DateParser.parse("03/01/2026 2:30 PM"), base + 14.5 * 3600)
        XCTAssertTrue(DateParser.needsDayFirst("25/03/2026"))
        XCTAssertNil(DateParser.parse("2026-02-30"))
        XCTAssertNil(DateParser.parse("hello world"))
        XCTAssertNil(DateParser.parse("12345678"))
        XCTAssertEqual(DateParser.isoDate(days: DateParser.daysFromCivil(2024, 2, 29)), "2024-02-29")
    }

    func testNumberParsingRejectsNonDecimalForms() {
        XCTAssertEqual(Values.number(" 12.5 "), 12.5)
        XCTAssertEqual(Values.number("-3e2"), -300)
        XCTAssertNil(Values.number("nan"))
        XCTAssertNil(Values.number("inf"))
        XCTAssertNil(Values.number("0x10"))
        XCTAssertNil(Values.number("1,000"))
    }

    func testTargetResolution() throws {
        let missing = MissingTokens()
        let yesNo = try TargetSpec(column: "t").resolved(values: ["Yes", "No", "yes"], missing: missing, file: "f.csv")
        XCTAssertEqual(yesNo.label("YES", missing: missing), 1)
        XCTAssertEqual(yesNo.label("no", missing: missing), 0)
        let status = TargetSpec(column: "status", positive: ["Won"], negative: ["Lost"])
        XCTAssertEqual(status.label("won", missing: missing), 1)
        XCTAssertEqual(status.label("Lost", missing: missing), 0)
        XCTAssertNil(status.label("Open", missing: missing))
        XCTAssertNil(status.label("", missing: missing))
        XCTAssertThrowsError(try TargetSpec(column: "status").resolved(values: ["Won", "Lost", "Open"], missing: missing, file: "f.csv")) { error in
            let text = error.localizedDescription
            XCTAssertTrue(text.contains("'Won'") && text.contains("'Open'") && text.contains("--positive"), text)
        }
    }
}
