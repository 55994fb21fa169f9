import XCTest
@testable import LeadScoring

/// Inputs that once crashed or could hang leadscore, and the checks that now refuse them.
/// YAML from outside is read with bounded size, nesting and alias expansion.
final class YAMLGuardTests: XCTestCase {
    func testYAMLNestingAndAliasExpansionAreBounded() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try YAMLGuard.compose(deep)) { error in
            XCTAssertTrue((error as? YAMLGuard.Failure)?.message.contains("nesting") == true, "\(error)")
        }
        let dashes = String(repeating: "- ", count: 5_000) + "x\n"
        XCTAssertThrowsError(try YAMLGuard.compose(dashes))
        // A "billion laughs": ten levels of ten aliases each.
        var laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for k in 1...9 { laughs += "a\(k): &a\(k) [" + Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ") + "]\n" }
        XCTAssertThrowsError(try YAMLGuard.compose(laughs)) { error in
            XCTAssertTrue((error as? YAMLGuard.Failure)?.message.contains("aliases expand") == true, "\(error)")
        }
        XCTAssertNoThrow(try YAMLGuard.compose("a: &x [1, 2]\nb: *x\n"))
        XCTAssertThrowsError(try RuleSet.parse(laughs, source: "r.yaml")) { error in
            XCTAssertTrue(error.localizedDescription.contains("r.yaml:"), error.localizedDescription)
        }
    }
}
