import Foundation
import XCTest
@testable import LeadScoring

/// The service's JSON reader: strict RFC 8259, exact numbers, bounded nesting.
final class JSONValueTests: XCTestCase {
    func testReadsDocumentsExactly() throws {
        let v = try JSONValue.parse(#" {"a": [1, -2.5e3, 0.1, true, false, null], "b": {"c": "x\"\\\/\n\u00e9\ud83d\ude00"}} "#)
        XCTAssertEqual(v, .object(["a": .array([.number(1), .number(-2500), .number(0.1), .bool(true), .bool(false), .null]),
                                   "b": .object(["c": .string("x\"\\/\né😀")])]))
        // Every double reads back as itself from its shortest text, and from 17 digits.
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            guard d.isFinite else { continue }
            XCTAssertEqual(try JSONValue.parse("\(d)"), .number(d))
            XCTAssertEqual(try JSONValue.parse(String(format: "%.17g", d)), .number(d))
        }
        XCTAssertEqual(try JSONValue.parse("0.30000000000000004"), .number(0.1 + 0.2))
        XCTAssertEqual(try JSONValue.parse(#""\ud800x""#), .string("\u{FFFD}x"), "a lone surrogate is replaced")
        XCTAssertEqual(JSONValue.object(["b": .number(2), "a": .string("é")]).jsonText, #"{"a":"é","b":2}"#)
    }

    func testRefusesWhatIsNotJSON() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", ".5", "+1", "1e", "nul", "\"a", "\"\\x\"", "\"\u{01}\"", "1 2",
                    "1e400", "-1e400", "{\"a\":1,}", "'a'", "NaN", "[" + String(repeating: "[", count: 100) + String(repeating: "]", count: 101)] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
        XCTAssertNoThrow(try JSONValue.parse(String(repeating: "[", count: 60) + String(repeating: "]", count: 60)))
    }
}
