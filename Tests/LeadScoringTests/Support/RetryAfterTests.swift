import Foundation
import LeadScoring
import XCTest

/// `Retry-After` as receivers send it (RFC 9110 §10.2.3): seconds, or an HTTP date in any of
/// the three forms a recipient must accept.
final class RetryAfterTests: XCTestCase {
    let now = 1_792_567_680.0  // 2026-10-21T07:28:00Z

    func testSecondsAndTheThreeDateForms() {
        XCTAssertEqual(RetryAfter.seconds("120", now: now), 120)
        XCTAssertEqual(RetryAfter.seconds(" 0 ", now: now), 0)
        XCTAssertEqual(RetryAfter.seconds("99999999999", now: now), 86_400, "capped at a day")
        XCTAssertEqual(RetryAfter.seconds("Wed, 21 Oct 2026 07:30:00 GMT", now: now), 120, "IMF-fixdate")
        XCTAssertEqual(RetryAfter.seconds("Wednesday, 21-Oct-26 07:30:00 GMT", now: now), 120, "RFC 850")
        XCTAssertEqual(RetryAfter.seconds("Wed Oct 21 07:30:00 2026", now: now), 120, "asctime")
        XCTAssertEqual(RetryAfter.seconds("Wed, 21 Oct 2026 07:00:00 GMT", now: now), 0, "a date past is no wait")
        XCTAssertEqual(RetryAfter.seconds("Wed Oct  9 07:28:00 2026", now: now - 12 * 86_400), 0, "asctime's padded day")
        XCTAssertEqual(RetryAfter.seconds("Thu, 01 Jan 1970 00:00:00 GMT", now: -60), 60, "the epoch")
    }

    func testAnythingElseIsNothing() {
        for text in ["", "-5", "1.5", "soon", "٣", "Wed, 32 Oct 2026 07:30:00 GMT", "120 s", "Wed, 29 Feb 2026 07:30:00 GMT",
                     "Wed, 21 Oct 2026 24:00:00 GMT", "M\u{64C}"] {
            XCTAssertNil(RetryAfter.seconds(text, now: now), text)
        }
    }
}
