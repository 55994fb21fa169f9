import XCTest
@testable import LeadScoring

/// Typed columns: the cells' texts come back exactly, whatever the storage, and the parallel
/// reader gives what the one-thread reader gives.
final class ColumnTests: XCTestCase {
    func testCanonicalNumbersRoundTripTheirText() {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<20_000 {
            let intDigits = Int(rng.next() % 8), fracDigits = Int(rng.next() % 9)  // at most 15 digits
            var text = rng.next() % 3 == 0 ? "-" : ""
            if intDigits == 0 { text += "0" } else {
                text += String(1 + rng.next() % 9)
                for _ in 1..<intDigits { text += String(rng.next() % 10) }
            }
            if fracDigits > 0 {
                text += "."
                for _ in 1..<fracDigits { text += String(rng.next() % 10) }
                text += String(1 + rng.next() % 9)
            }
            if text == "-0" { continue }
            guard let v = Column.canonicalNumber(text) else { return XCTFail("\(text) not canonical") }
            XCTAssertEqual(v, Double(text)!, text)
            XCTAssertEqual(Column.canonicalText(v), text)
            XCTAssertEqual(Column.plainDescription(v), text)
            // The shape read from the text is the one worked out from the number.
            var shape = -1
            _ = text.utf8.withContiguousStorageIfAvailable { Column.canonicalNumber($0.baseAddress!, $0.count, shape: &shape) }
            XCTAssertEqual(shape, NumberShape(v).index, text)
        }
        // Numbers no text gave (sums, quotients, tiny and huge ones): the short writing, when
        // there is one, is the general one.
        for _ in 0..<20_000 {
            let a = Double(Int64(rng.next() % 2_000_000) - 1_000_000) / [1, 3, 7, 10, 100, 1e4, 1e9][Int(rng.next() % 7)]
            for v in [a, a + 0.1, a * 1e-12, a * 1e14, a * 1e-20] {
                if let short = Column.shortDecimalText(v) { XCTAssertEqual(short, Column.plainDescription(v), "\(v)") }
            }
        }
        XCTAssertEqual(Column.canonicalText(-0.0), "-0")
        XCTAssertEqual(Column.canonicalText(0.30000000000000004), "0.30000000000000004")
        for text in ["1e-05", "0.00001", "0.000000000000000000001", "123456789012345", "-0.5", "100", "0.1"] {
            if let v = Column.canonicalNumber(text) { XCTAssertEqual(Column.canonicalText(v), text) }
        }
        for text in ["", "-", "007", "1.50", "-0", "1e3", " 5", "5 ", "+5", "1.", ".5", "1234567890123456", "0.0", "1,5", "NaN", "inf", "0x10"] {
            XCTAssertNil(Column.canonicalNumber(text), text)
        }
    }

    func testColumnsGiveBackEveryText() {
        let mixed = ["12", "", "NA", "1.50", "3.25", " 7", "-0", "007", "1e3", "x", "12", "4"] + (0..<500).map { String($0) }
        let labels = (0..<1000).map { ["Google", "Direct", "", "Olark Chat", "Select"][$0 % 5] }
        let numbersThenText = (0..<300).map { String($0) } + (0..<700).map { "L\($0 % 9)" }
        let missingFirst = Array(repeating: "NA", count: 400) + (0..<600).map { "\($0).25" }
        for texts in [mixed, labels, numbersThenText, missingFirst, ["שלום", "", "a,b", "\"q\""]] {
            let column = Column(texts: texts)
            XCTAssertEqual(Array(column), texts)
            let rows = Array(stride(from: texts.count - 1, through: 0, by: -3))
            XCTAssertEqual(Array(column.subset(rows)), rows.map { texts[$0] })
            XCTAssertEqual(Array(column.appending(Column(texts: labels))), texts + labels)
            XCTAssertEqual(Array(column.appending(Column(texts: mixed))), texts + mixed)
        }
        if case .dictionary = Column(texts: labels).storage {} else { XCTFail("labels should be a dictionary") }
        if case .numbers = Column(texts: missingFirst).storage {} else { XCTFail("numbers after missing tokens should stay numbers") }
    }

    func testTypedCountsInferAsTheTexts() {
        let inference = SchemaInference()
        var rng = SeededGenerator(seed: 9)
        let columns: [(String, [String])] = [
            ("amount", (0..<30_000).map { _ in rng.next() % 20 == 0 ? "NA" : String(Double(rng.next() % 1_000_000) / 100) }),
            ("visits", (0..<3000).map { _ in rng.next() % 10 == 0 ? "" : String(rng.next() % 40) }),
            ("flag", (0..<3000).map { _ in rng.next() % 2 == 0 ? "1" : "0" }),
            ("source", (0..<3000).map { _ in ["Google", " Google", "Direct", "-", "Referral"][Int(rng.next() % 5)] }),
            ("price", (0..<3000).map { _ in ["1.234", "2.5", "1.000", "12", " 3", "-1"][Int(rng.next() % 6)] }),
            ("lead number", (0..<3000).map { String(660_000 + $0) }),
        ]
        for (name, texts) in columns {
            let expected = inference.inferColumn(name: name, values: texts)
            // As read (the reader's shape tally weighs the numbers) and as a subset (each
            // number weighed).
            let column = Column(texts: texts)
            if name != "source" { XCTAssertNotNil(column.numbers?.shapes, name) }
            XCTAssertEqual(inference.inferColumn(name: name, counts: inference.count(column), decimal: nil, semicolonFile: false), expected, name)
            let all = column.subset(Array(texts.indices))
            XCTAssertNil(all.numbers?.shapes)
            XCTAssertEqual(inference.inferColumn(name: name, counts: inference.count(all), decimal: nil, semicolonFile: false), expected, name)
        }
        var withToken = SchemaInference(missingTokens: MissingTokens(MissingTokens.defaults + ["-1"]))
        withToken.numericShare = 0.99
        let texts: [String] = (0..<2000).map { (i: Int) -> String in
            if i % 7 == 0 { return "-1" }
            if i % 11 == 0 { return " -1" }
            return String(Double(i) / 1000)
        }
        let column = Column(texts: texts)
        for counted in [column, column.subset(Array(texts.indices))] {
            XCTAssertEqual(withToken.inferColumn(name: "n", counts: withToken.count(counted), decimal: nil, semicolonFile: false),
                           withToken.inferColumn(name: "n", values: texts))
            XCTAssertEqual(withToken.count(counted).evidence.point, withToken.count(texts).evidence.point)
            XCTAssertEqual(withToken.count(counted).evidence.comma, withToken.count(texts).evidence.comma)
        }
    }

    /// A file over the parallel size, with quoted commas, quotes and line breaks, CRLF and LF
    /// line ends and blank lines: both threads' rows, in order, with their lines.
    func testParallelReadEqualsOneThread() throws {
        let dir = temporaryDirectory()
        for variant in 0..<6 {
            var text = "id,amount,source,note\r\n"
            var rng = SeededGenerator(seed: UInt64(variant))
            var row = 0
            // Variant 3: from 1 MiB, where columns are sized from the file's first rows; the
            // file opens with blank lines, which must not make it reserve a row per byte.
            if variant == 3 { text += String(repeating: "\n", count: 300_000) }
            // Variants 3 to 5 are over 1 MiB, where number columns are read into windows of
            // one region per column: variant 4 opens with long rows, so the row estimate is
            // low and both parts outgrow their windows; variant 5 is variant 1 at that size.
            let middle = variant == 5 ? 650_000 : 300_000
            while text.utf8.count < (variant >= 3 ? 1_300_000 : 600_000) {
                var note: String
                switch rng.next() % 6 {
                case 0: note = "\"multi\nline, \"\"quoted\"\"\""
                case 1: note = ""
                default: note = "plain \(rng.next() % 100)"
                }
                if variant == 4 && text.utf8.count < 300_000 { note += String(repeating: " long", count: 60) }
                let amount = rng.next() % 10 == 0 ? "NA" : String(Double(rng.next() % 100_000) / 100)
                text += "\(row),\(amount),\(["Google", "Direct", "שלום"][Int(rng.next() % 3)]),\(note)" + (row % 2 == 0 ? "\r\n" : "\n")
                if rng.next() % 50 == 0 { text += "\n" }
                row += 1
                // Variant 1: one long quoted field across the middle of the file, so the cut
                // falls inside it and the second thread's part must be thrown away.
                if (variant == 1 || variant == 5) && text.utf8.count > middle - 1000 && text.utf8.count < middle {
                    text += "\(row),1,Google,\"" + String(repeating: "long\nquoted \"\" text\n", count: 2_000) + "\"\n"
                    row += 1
                }
            }
            let path = dir + "/big\(variant).csv"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            if variant == 3 {
                // 300,000 blank lines first: the estimate is held to a row per 4 bytes (4 fields).
                let size = text.utf8.count, start = "id,amount,source,note\r\n".utf8.count
                let estimate = try XCTUnwrap(TableReader.estimatedRows(path: path, from: start, size: size, width: 4))
                XCTAssertEqual(estimate, (size - start) / 4 + 1024)
            }
            let parallel = try TableReader.read(path: path, delimiter: nil, hashing: true, progress: nil, parallelFrom: 100_000)
            let single = try Table.read(CSVReader(path: path, hashing: true))
            XCTAssertEqual(parallel.rowCount, row)
            XCTAssertEqual(parallel.rowCount, single.rowCount)
            XCTAssertEqual(parallel.lines, single.lines)
            XCTAssertEqual(parallel.sha256, single.sha256)
            XCTAssertNotNil(parallel.sha256)
            for c in 0..<4 { XCTAssertEqual(Array(parallel.columns[c]), Array(single.columns[c]), "variant \(variant) column \(c)") }
        }
    }

    /// Two parts filling windows of one region: the join moves the second part's numbers
    /// down and the column takes the region over; a part that outgrew its window is appended.
    func testJoiningPartsReadIntoOneRegion() {
        let expected = (0..<2500).map { $0 % 97 == 0 ? "NA" : Column.canonicalText(Double($0) / 4) }
        func fill(_ builder: ColumnBuilder, _ rows: Range<Int>) {
            for i in rows { var t = expected[i]; t.withUTF8 { builder.append($0.baseAddress, $0.count) } }
        }
        for firstRows in [900, 1500] {
            let region = UnsafeMutablePointer<Double>.allocate(capacity: 3000)
            let a = ColumnBuilder(), b = ColumnBuilder()
            a.window(region, capacity: 1000, rows: 2500)
            b.window(region + 1000, capacity: 2000, rows: 2000)
            fill(a, 0..<firstRows)
            fill(b, firstRows..<2500)
            let took = a.absorb(b, region: region, capacity: 3000)
            XCTAssertEqual(took, firstRows <= 1000)
            let column = a.column()
            XCTAssertEqual(Array(column), expected)
            XCTAssertEqual(column.numbers?.values.buffer.base == region, took)
            XCTAssertEqual(column.numbers?.shapes, Column(texts: expected).numbers?.shapes)
            if !took { region.deallocate() }
        }
    }

    func testRaggedRowInTheSecondHalfNamesItsLine() throws {
        let dir = temporaryDirectory()
        var lines = ["a,b,c"]
        let n = 20_000
        for i in 0..<n { lines.append("\(i),\(i % 7),label\(i % 5)") }
        lines[lines.count - 10] = "1,2"
        let path = dir + "/ragged.csv"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TableReader.read(path: path, delimiter: nil, hashing: false, progress: nil, parallelFrom: 100_000)) { error in
            XCTAssertTrue("\(error)".contains("\(lines.count - 9)"), "\(error)")
        }
    }
}

extension ColumnTests {
    /// The quirks CSV exports have: both readers must agree on each.
    func testTableReaderAgreesWithTheStreamingReaderOnQuirks() throws {
        let dir = temporaryDirectory()
        let files = [
            "a,b,c\n1,2,3",                                  // no final line end
            "a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n",               // CRLF and a blank line
            "a,b,c\r1,2,3\r4,5,6\r",                         // CR only
            "a,b,c\n1,2,\n,,\n",                             // trailing and empty fields
            "a,b,\n1,2\n3,4,5\n",                            // header ends with an empty name: short rows
            "a,b\n\"x,\"\"y\"\"\",\"multi\nline\"\n\"\",\"q\"tail\n",  // quoted, doubled quotes, text after a quote
            "a,b\n5\" screen,it's \"fine\"\n",               // stray quotes in unquoted fields
            "\u{FEFF}a;b\n1,5;2\n",                          // byte-order mark, semicolons
            "a\tb\n\"\"\t\n",                                // tabs, an empty quoted field
            "a,b\n1,2\n",                                    // plain
            // Numbers read during the scan, and texts that only start like one.
            "a,b,c\n-,1.,-0\n007,1.50,1e3\n5x,1.5.5,--5\n-.5,\"12\",0\n-0.25,123456789012345,1234567890123456\n"
                + "0.000000000000000000001,-12.5 ,0.5\n",
        ]
        for (i, text) in files.enumerated() {
            let path = dir + "/q\(i).csv"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let bulk = try Table.read(path: path)
            let streamed = try Table.read(CSVReader(path: path))
            XCTAssertEqual(bulk.header, streamed.header, text)
            XCTAssertEqual(bulk.lines, streamed.lines, text)
            XCTAssertEqual(bulk.delimiter, streamed.delimiter, text)
            for c in bulk.columns.indices {
                XCTAssertEqual(Array(bulk.columns[c]), Array(streamed.columns[c]), text)
                XCTAssertEqual(bulk.columns[c].numbers?.values.map(\.bitPattern), streamed.columns[c].numbers?.values.map(\.bitPattern), text)
                XCTAssertEqual(bulk.columns[c].numbers?.shapes, streamed.columns[c].numbers?.shapes, text)
            }
        }
        for bad in ["a,b\n1,2,3\n", "a,b\n\"open,2\n"] {
            let path = dir + "/bad.csv"
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Table.read(path: path))
            XCTAssertThrowsError(try Table.read(CSVReader(path: path)))
        }
    }
}
