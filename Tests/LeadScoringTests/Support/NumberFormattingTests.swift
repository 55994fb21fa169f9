import XCTest
import LinearAlgebra
@testable import LeadScoring

/// Numbers as leadscore writes them.
final class NumberFormattingTests: XCTestCase {
    func testFixed() {
        XCTAssertEqual(NumberFormatting.fixed(0.1391044, 6), "0.139104")
        XCTAssertEqual(NumberFormatting.fixed(1, 2), "1.00")
        XCTAssertEqual(NumberFormatting.fixed(-0.456, 2, plusSign: true), "-0.46")
        XCTAssertEqual(NumberFormatting.fixed(0.456, 2, plusSign: true), "+0.46")
        XCTAssertEqual(NumberFormatting.fixed(-0.0001, 2), "0.00")
        XCTAssertEqual(NumberFormatting.fixed(12.05, 1), "12.1")
        XCTAssertEqual(NumberFormatting.fixed(0.000001, 6), "0.000001")
        XCTAssertEqual(NumberFormatting.fixed(.nan, 2), "nan")
    }
}
