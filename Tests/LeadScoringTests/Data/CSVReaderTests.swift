import XCTest
@testable import LeadScoring

final class CSVReaderTests: XCTestCase {
    func testQuotedFieldsWithCommasQuotesAndNewlines() throws {
        let path = writeTemp("id,note,n\n1,\"a, b\",2\n2,\"he said \"\"hi\"\"\",3\n3,\"line one\nline two\",4\n4,plain,5\n")
        let (header, records) = try readAll(path)
        XCTAssertEqual(header, ["id", "note", "n"])
        XCTAssertEqual(records.map { $0.fields[1] }, ["a, b", "he said \"hi\"", "line one\nline two", "plain"])
        // The record after the multi-line field starts on physical line 6.
        XCTAssertEqual(records.map(\.line), [2, 3, 4, 6])
    }

    func testCRLFAndByteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,2\r\n3,\"x\r\ny\"\r\n".utf8)
        let (header, records) = try readAll(writeTemp(bytes: bytes))
        XCTAssertEqual(header, ["a", "b"])
        XCTAssertEqual(records.map(\.fields), [["1", "2"], ["3", "x\r\ny"]])
    }

    func testNonLatinHeadersAndValues() throws {
        let (header, records) = try readAll(writeTemp("מזהה,城市,status\n1,תל אביב,是\n2,北京,否\n"))
        XCTAssertEqual(header, ["מזהה", "城市", "status"])
        XCTAssertEqual(records[0].fields, ["1", "תל אביב", "是"])
        XCTAssertEqual(records[1].fields[1], "北京")
    }

    func testTrailingCommaInHeaderGivesAnEmptyColumnName() throws {
        let (header, records) = try readAll(writeTemp("a,b,\n1,2,\n3,4\n"))
        XCTAssertEqual(header, ["a", "b", ""])
        XCTAssertEqual(records.map(\.fields), [["1", "2", ""], ["3", "4", ""]])
    }

    func testRaggedRowIsAnErrorNamingItsLine() {
        let path = writeTemp("a,b,c\n1,2,3\n4,5\n")
        XCTAssertThrowsError(try readAll(path)) { error in
            XCTAssertEqual(error as? DataError, .raggedRow(SourceLocation(file: path, line: 3), expected: 3, found: 2))
            XCTAssertTrue((error as? DataError)?.errorDescription?.contains(":3:") == true)
        }
    }

    func testUnterminatedQuoteNamesTheLineItStarts() {
        let path = writeTemp("a,b\n1,2\n3,\"never closed\n4,5\n")
        XCTAssertThrowsError(try readAll(path)) { error in
            XCTAssertEqual(error as? DataError, .unterminatedQuote(SourceLocation(file: path, line: 3)))
        }
    }

    func testSemicolonAndTabDelimitersAreDetected() throws {
        let semi = try readAll(writeTemp("a;b;c\n1;\"2;x\";3\n"))
        XCTAssertEqual(semi.header, ["a", "b", "c"])
        XCTAssertEqual(semi.records[0].fields, ["1", "2;x", "3"])
        let tab = try readAll(writeTemp("a\tb\n1,5\t2\n"))
        XCTAssertEqual(tab.header, ["a", "b"])
        XCTAssertEqual(tab.records[0].fields, ["1,5", "2"])
        // Ties go to comma, then semicolon, then tab, in every run (the order once came from a
        // dictionary's, which differs between processes).
        XCTAssertEqual(try readAll(writeTemp("a;b\tc\n1;2\t3\n")).header, ["a", "b\tc"])
        XCTAssertEqual(try readAll(writeTemp("a;b,c\n1;2,3\n")).header, ["a;b", "c"])
        XCTAssertEqual(try readAll(writeTemp("a\tb,c\n1\t2,3\n")).header, ["a\tb", "c"])
    }

    func testExplicitDelimiterWins() throws {
        let (header, _) = try readAll(writeTemp("a;b,c\n1;2,3\n"), delimiter: UInt8(ascii: ","))
        XCTAssertEqual(header, ["a;b", "c"])
    }

    func testBlankLinesAreSkippedAndLastLineNeedsNoNewline() throws {
        let (_, records) = try readAll(writeTemp("a,b\n\n1,2\n\n3,4"))
        XCTAssertEqual(records.map(\.fields), [["1", "2"], ["3", "4"]])
        XCTAssertEqual(records.map(\.line), [3, 5])
    }

    func testEmptyFileAndMissingFileAreClearErrors() {
        let empty = writeTemp("")
        XCTAssertThrowsError(try readAll(empty)) { XCTAssertEqual($0 as? DataError, .emptyFile(SourceLocation(file: empty))) }
        XCTAssertThrowsError(try readAll("/nonexistent/x.csv")) { error in
            guard case .unreadable(let file, _)? = error as? FileError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "/nonexistent/x.csv")
        }
    }

    func testRecordsLongerThanTheReadBufferStream() throws {
        let long = String(repeating: "x", count: CSVReader.bufferSize + 10)
        let (_, records) = try readAll(writeTemp("a,b\n\"\(long)\",1\n2,3\n"))
        XCTAssertEqual(records[0].fields[0].count, long.count)
        XCTAssertEqual(records[1].fields, ["2", "3"])
    }

    /// Every split point of the read buffer: a CRLF, a doubled quote and a closing quote cut in
    /// half by a refill read the same as when whole; old-Mac CR line ends count lines too.
    func testBufferBoundariesAndBareCarriageReturns() throws {
        let tail = "1,\"say \"\"hi\"\"\"\r\n2,\"x,y\"\r\n3,z\r\n"
        for cut in 0..<tail.utf8.count {
            // Pad the first data row so that byte `cut` of `tail` is the buffer's first byte.
            let head = "a,b\n0,"
            let pad = String(repeating: "p", count: CSVReader.bufferSize - head.utf8.count - 1 - cut)
            let (_, records) = try readAll(writeTemp(head + pad + "\n" + tail))
            XCTAssertEqual(records.count, 4, "cut \(cut)")
            XCTAssertEqual(records.dropFirst().map(\.fields), [["1", "say \"hi\""], ["2", "x,y"], ["3", "z"]], "cut \(cut)")
            XCTAssertEqual(records.map(\.line), [2, 3, 4, 5], "cut \(cut)")
        }
        let (_, records) = try readAll(writeTemp("a,b\r1,2\r\r3,4\r"))
        XCTAssertEqual(records.map(\.fields), [["1", "2"], ["3", "4"]])
        XCTAssertEqual(records.map(\.line), [2, 4])
    }

    /// Records parsed onto the end of a batch read the same as one at a time, and the batch
    /// keeps the trailing-comma rule and the ragged-row error.
    func testBatchReadingMatchesRecordReading() throws {
        let path = writeTemp("a,b,\n1,\"x,\"\"y\"\"\",\n\n3,\"multi\nline\"\r\n5,6\n")
        let (header, records) = try readAll(path)
        let reader = try CSVReader(path: path)
        var batch = RecordBatch(width: header.count)
        while try reader.next(appendingTo: &batch) {}
        XCTAssertEqual(batch.count, records.count)
        for (r, record) in records.enumerated() {
            XCTAssertEqual((0..<header.count).map { batch.string(row: r, field: $0) }, record.fields)
            XCTAssertEqual(batch.lines[r], record.line)
        }
        let ragged = try CSVReader(path: writeTemp("a,b\n1,2\n3\n"))
        var other = RecordBatch(width: 2)
        XCTAssertTrue(try ragged.next(appendingTo: &other))
        XCTAssertThrowsError(try ragged.next(appendingTo: &other)) { error in
            XCTAssertEqual(error as? DataError, .raggedRow(SourceLocation(file: ragged.path, line: 3), expected: 2, found: 1))
        }
    }
}
