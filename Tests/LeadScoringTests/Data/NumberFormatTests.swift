import XCTest
@testable import LeadScoring

/// Numbers as CRM and spreadsheet exports write them, read per column.
final class NumberFormatTests: XCTestCase {
    let point = NumberFormat.plain
    let comma = NumberFormat(decimal: .comma)

    /// `isPlain` (read field by field) is equality with `.plain`: any one field set makes a
    /// format not plain.
    func testIsPlainIsEqualityWithThePlainFormat() {
        XCTAssertTrue(NumberFormat.plain.isPlain)
        XCTAssertTrue(NumberFormat().isPlain)
        let others = [NumberFormat(decimal: .comma), NumberFormat(grouping: ","), NumberFormat(currency: "€"),
                      NumberFormat(percent: true), NumberFormat(accounting: true)]
        for format in others { XCTAssertFalse(format.isPlain, "\(format)"); XCTAssertNotEqual(format, .plain) }
    }

    /// The typed count weighs a canonical number with its count (`addCanonical`), the text
    /// count weighs its text: the evidence must be the same, value by value and in total.
    func testCanonicalEvidenceEqualsTheTextsEvidence() {
        var values: [Double] = [0, 1, -1, 12, 1234, -1234, 1e15, 1e20, -3e17, 0.5, -0.5, 0.1, 0.001, 0.012, 1.234, -1.234,
                                1.2, 12.34, 123.456, 1234.567, 999999999.999, 1e12 + 0.5, 123456789012.25, 1e-7, 0.0001234,
                                2.71828, 1.000001, 65.5, 1.5e-300]
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<3000 {
            let decimals = Int(rng.next() % 6)
            let scale = [1.0, 10, 100, 1000, 10_000, 100_000][decimals]
            let v = Double(Int64(rng.next() % 20_000_000) - 10_000_000) / scale
            values.append(v)
        }
        var byNumber = NumberFormat.Evidence(), byText = NumberFormat.Evidence()
        func same(_ a: NumberFormat.Evidence, _ b: NumberFormat.Evidence, _ what: String) {
            XCTAssertEqual(a.point, b.point, what); XCTAssertEqual(a.comma, b.comma, what)
            XCTAssertEqual(a.pointIntegers, b.pointIntegers, what); XCTAssertEqual(a.commaIntegers, b.commaIntegers, what)
            XCTAssertEqual(a.pointOnly, b.pointOnly, what); XCTAssertEqual(a.commaOnly, b.commaOnly, what)
            XCTAssertEqual(a.ambiguous, b.ambiguous, what); XCTAssertEqual(a.groupings, b.groupings, what)
            XCTAssertEqual(a.currencies, b.currencies, what)
        }
        for (i, v) in values.enumerated() {
            let n = 1 + i % 4
            var one = NumberFormat.Evidence(), oneText = NumberFormat.Evidence()
            one.addCanonical(v, count: n)
            oneText.add(Column.canonicalText(v), count: n)
            same(one, oneText, Column.canonicalText(v))
            byNumber.addCanonical(v, count: n)
            byText.add(Column.canonicalText(v), count: n)
        }
        same(byNumber, byText, "all values")
    }

    func testDecimalCommaAndThousandsSeparators() {
        XCTAssertEqual(comma.parse("129,5"), 129.5)
        XCTAssertEqual(comma.parse("1.234,50"), 1234.5)
        XCTAssertEqual(comma.parse("1 234,5"), 1234.5)
        XCTAssertEqual(comma.parse("1\u{00A0}234,5"), 1234.5)  // no-break space
        XCTAssertEqual(comma.parse("1\u{202F}234\u{202F}567,25"), 1234567.25)  // narrow no-break space (French)
        XCTAssertEqual(comma.parse("1.234.567"), 1234567)
        XCTAssertEqual(comma.parse("-0,75"), -0.75)
        XCTAssertEqual(comma.parse(",5"), 0.5)
        XCTAssertEqual(point.parse("1,234.50"), 1234.5)
        XCTAssertEqual(point.parse("1,234,567"), 1234567)
        XCTAssertEqual(point.parse("1'234.50"), 1234.5)  // Swiss
        XCTAssertEqual(point.parse("1\u{2019}234.50"), 1234.5)
        XCTAssertEqual(point.parse("1 234.5"), 1234.5)
        XCTAssertEqual(point.parse("12.5"), 12.5)
        XCTAssertEqual(point.parse("-3e2"), -300)
    }

    func testSeparatorsMustGroupInThrees() {
        // With a decimal comma, '.' only groups thousands: "1.5" is no number there.
        XCTAssertNil(comma.parse("1.5"))
        XCTAssertNil(comma.parse("12.34,5"))
        XCTAssertNil(point.parse("1,5"))
        XCTAssertNil(point.parse("1,2345"))
        XCTAssertNil(point.parse("1,234,56"))
        XCTAssertNil(point.parse("1,234.5.6"))
        XCTAssertNil(point.parse("1.234,5"))  // mixed: a comma after the decimal point
        XCTAssertNil(point.parse("1,234 567"))  // two different separators
        XCTAssertNil(comma.parse("1,2,3"))
        // The same text reads differently under each mark, never as garbage.
        XCTAssertEqual(point.parse("1,234"), 1234)
        XCTAssertEqual(comma.parse("1,234"), 1.234)
        XCTAssertEqual(point.parse("1.234"), 1.234)
        XCTAssertEqual(comma.parse("1.234"), 1234)
    }

    func testCurrenciesPercentsAndAccountingNegatives() {
        XCTAssertEqual(point.parse("$1,200"), 1200)
        XCTAssertEqual(point.parse("US$ 99.90"), 99.9)
        XCTAssertEqual(comma.parse("€ 1.200,00"), 1200)
        XCTAssertEqual(comma.parse("1.200,00 €"), 1200)
        XCTAssertEqual(point.parse("1200 USD"), 1200)
        XCTAssertEqual(point.parse("usd1200"), 1200)
        XCTAssertEqual(point.parse("₪350"), 350)
        XCTAssertEqual(point.parse("350 ש״ח"), 350)
        XCTAssertEqual(comma.parse("12 345 kr"), 12345)
        XCTAssertEqual(point.parse("45%"), 0.45)
        XCTAssertEqual(comma.parse("12,5 %"), 0.125)
        XCTAssertEqual(point.parse("%45"), 0.45)
        XCTAssertEqual(point.parse("(1,200)"), -1200)
        XCTAssertEqual(point.parse("($1,200.50)"), -1200.5)
        XCTAssertEqual(comma.parse("1.200-"), -1200)  // SAP's trailing minus
        XCTAssertEqual(point.parse("-$5"), -5)
        XCTAssertEqual(point.parse("$-5"), -5)
        XCTAssertEqual(point.parse("\u{2212}5"), -5)  // minus sign
        XCTAssertNil(point.parse("--5"))
        XCTAssertNil(point.parse("(-5)"))
        XCTAssertNil(point.parse("$"))
        XCTAssertNil(point.parse("USD"))
        XCTAssertNil(point.parse("ABC 100"))  // not a currency code
        XCTAssertNil(point.parse("1-10"))  // a range, not a number
        XCTAssertNil(point.parse("DE89370400440532013000"))
        XCTAssertNil(point.parse("ORD-1234567890123456789012"))
        XCTAssertNil(point.parse("1e400"))  // overflows: no number a field holds
        XCTAssertNil(point.parse("nan"))
        XCTAssertNil(point.parse("10.0.0.1"))
        XCTAssertNil(point.parse("+1 555 123 4567"))
    }

    func testExcelErrorValuesAreMissingByDefault() {
        let tokens = MissingTokens()
        for t in ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NULL!", "#NAME?", "#NUM!", " #n/a "] {
            XCTAssertTrue(tokens.isMissing(t), t)
        }
    }

    func inferred(_ values: [String], semicolon: Bool = false, decimal: NumberFormat.DecimalMark? = nil) -> ColumnSchema {
        SchemaInference().inferColumn(name: "amount", values: values, decimal: decimal, semicolonFile: semicolon)
    }

    func testInferenceChoosesTheDecimalMarkPerColumn() {
        let european = inferred(["129,5", "1.234,50", "80", "12,25", "3.100,00"])
        XCTAssertEqual(european.kind, .numeric)
        XCTAssertEqual(european.number?.decimal, .comma)
        XCTAssertEqual(european.number?.grouping, ".")
        XCTAssertEqual(european.kindDescription, "numeric (decimal comma, thousands '.')")
        let american = inferred(["1,234.50", "99.90", "12", "2,000"])
        XCTAssertEqual(american.kind, .numeric)
        XCTAssertEqual(american.number?.decimal, .point)
        XCTAssertEqual(american.number?.grouping, ",")
        // Plain numbers stay plain, with no format recorded.
        let plain = inferred(["1", "2.5", "3", "10"])
        XCTAssertEqual(plain.kind, .numeric)
        XCTAssertNil(plain.number)
    }

    func testAmbiguousValuesFollowTheColumnsUnambiguousOnes() {
        // "1,234" reads as 1234 or 1.234; the column's "0,5" settles it: a decimal comma.
        let values = ["1,234", "0,5", "7", "2,75"]
        let c = inferred(values)
        XCTAssertEqual(c.number?.decimal, .comma)
        XCTAssertEqual(c.numberFormat.parse("1,234"), 1.234)
        // "1,234.5" elsewhere makes the comma a thousands separator.
        let d = inferred(["1,234", "1,234.5", "7", "12"])
        XCTAssertEqual(d.numberFormat.decimal, .point)
        XCTAssertEqual(d.numberFormat.parse("1,234"), 1234)
        // With nothing to settle it, a ';'-delimited file makes the comma the decimal mark.
        XCTAssertEqual(inferred(["1,234", "2,500", "7"], semicolon: true).numberFormat.decimal, .comma)
        XCTAssertEqual(inferred(["1,234", "2,500", "7"], semicolon: false).numberFormat.decimal, .point)
    }

    func testCurrencyAndPercentColumnsAreNumbersWithTheirFormatShown() {
        let money = inferred(["$1,200", "$350", "$12,000.50", "$99"])
        XCTAssertEqual(money.kind, .numeric)
        XCTAssertEqual(money.kindDescription, "numeric (thousands ',', currency $)")
        let share = inferred(["45%", "12%", "100%", "0%", "7.5%"])
        XCTAssertEqual(share.kind, .numeric)
        XCTAssertEqual(share.number?.percent, true)
        XCTAssertEqual(share.numberFormat.parse("7.5%"), 0.075)
        let shekels = inferred(["₪350", "₪1,200", "₪80"])
        XCTAssertEqual(shekels.number?.currency, "₪")
        let mixed = inferred(["$100", "€200", "$300", "$50"])
        XCTAssertEqual(mixed.kind, .numeric)
        XCTAssertTrue(mixed.notice?.contains("several currencies") == true, mixed.notice ?? "")
        let accounting = inferred(["(1,200)", "300", "(45.50)", "1,000"])
        XCTAssertEqual(accounting.number?.accounting, true)
        XCTAssertEqual(accounting.numberFormat.parse("(1,200)"), -1200)
    }

    func testAValueThatDoesNotFitTheFormatIsCountedNotGuessed() {
        var values = (0..<150).map { "\($0),5" }
        values.append("1.5")  // a point where the column has decimal commas
        let c = inferred(values)
        XCTAssertEqual(c.kind, .numeric)
        XCTAssertEqual(c.number?.decimal, .comma)
        XCTAssertTrue(c.notice?.contains("'1.5'") == true, c.notice ?? "")
    }

    func testAnOverrideStatesTheDecimalMark() {
        let c = inferred(["1,234", "2,500"], decimal: .comma)
        XCTAssertEqual(c.number?.decimal, .comma)
        XCTAssertEqual(c.numberFormat.parse("2,500"), 2.5)
    }

    func testTextColumnsThatHoldDigitsAreToldHowToKeepThemAsNumbers() {
        // Amounts in a format nobody recognises ("12 345 SEKR"): left out, with the right advice.
        let values = (0..<300).map { "\($0 * 37 + 1000)!!" } + (0..<300).map { "\($0 * 37 + 1000)!!" }
        let c = SchemaInference().inferColumn(name: "Deal Amount", values: values)
        XCTAssertEqual(c.kind, .text)
        let notice = c.notice ?? ""
        XCTAssertTrue(notice.contains("decimal"), notice)
        XCTAssertTrue(notice.contains("kind: numeric"), notice)
        XCTAssertFalse(notice.contains("override to categorical"), notice)
        let names = SchemaInference().inferColumn(name: "Company", values: (0..<300).map { "Company \($0) Ltd" } + (0..<300).map { "Company \($0) Ltd" })
        XCTAssertTrue(names.notice?.contains("categorical") == true, names.notice ?? "")
    }

    func testSchemaOverrideFileStatesAColumnsDecimalMark() throws {
        let yaml = writeTemp("columns:\n  Income: {kind: numeric, decimal: \",\"}\n  Tags: exclude\n", name: "schema.yaml")
        let overrides = try SchemaOverrides.load(path: yaml)
        XCTAssertEqual(overrides.kind(for: "Income"), .numeric)
        XCTAssertEqual(overrides.decimal(for: "income"), .comma)
        XCTAssertEqual(overrides.kind(for: "Tags"), .excluded)
        let bad = writeTemp("columns:\n  Income: {kind: numeric, decimal: \";\"}\n", name: "bad.yaml")
        XCTAssertThrowsError(try SchemaOverrides.load(path: bad)) { error in
            let text = error.localizedDescription
            XCTAssertTrue(text.contains("decimal must be") && text.contains("bad.yaml:2:"), text)
        }
    }
}
