import XCTest
@testable import LeadScoring

/// Inputs that once crashed or could hang leadscore, and the checks that now refuse them.
/// Rules' patterns run in linear time and agree with ICU on the common syntax.
final class SafeRegexTests: XCTestCase {
    func testCatastrophicPatternsRunInLinearTime() throws {
        let evil = try SafeRegex("(a+)+$")
        let value = String(repeating: "a", count: 50_000) + "!"
        XCTAssertFalse(evil.matches(value))
        XCTAssertTrue(evil.matches("aaa"))
        XCTAssertFalse(try SafeRegex("(a|aa)*b").matches(String(repeating: "a", count: 20_000)))
        XCTAssertFalse(try SafeRegex("(x+x+)+y").matches(String(repeating: "x", count: 20_000)))
    }

    func testSafeRegexAgreesWithFoundationOnTheCommonSyntax() throws {
        let patterns = ["(?i)\\b(vp|head|director|chief)\\b", "^[A-Z]{2}\\d{2}", "gmail\\.com$", "colou?r", "a{2,3}b",
                        "[^aeiou\\s]+ing", "(?i)ÉCOLE", "\\bCTO\\b|\\bCEO\\b", "^$", "x*", "(?:ab)+c", "[\\d,]+\\.\\d\\d",
                        "\\p{Lu}\\p{Ll}+", "(?i:head) of", "^\\s*$", "[a\\-z]", "\\$\\d+", "(?m)^b", "a.c", "(?s)a.c"]
        let values = ["VP Sales", "vice president", "Head of Growth", "headmaster", "DE89 3704", "de89", "x@gmail.com", "gmail.com.au",
                      "color", "colour", "aab", "aaaab", "ab", "bring", "sing", "école", "ÉCOLE", "CTO", "the CTOs", "", "  ", "ababc",
                      "1,234.56", "$120", "Hello", "hello", "a-b", "a\nb", "abc", "a\nc", "Müller", "İstanbul"]
        for pattern in patterns {
            let safe = try SafeRegex(pattern)
            let icu = try NSRegularExpression(pattern: pattern)
            for v in values {
                let expected = icu.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil
                XCTAssertEqual(safe.matches(v), expected, "/\(pattern)/ on '\(v)'")
            }
        }
    }

    func testPatternsThatCannotRunInLinearTimeAreRefusedWithTheReason() {
        for (pattern, reason) in [("(a)\\1", "back-references"), ("foo(?=bar)", "look-ahead"), ("(?<!x)y", "look-behind"),
                                  ("a{5000}", "above 1000"), ("(ab", "missing ')'"), ("[a-", "missing ']'"), ("*a", "nothing to repeat"),
                                  ("(?:a{1000}){1000}", "too large"), ("\\q", "unknown escape")] {
            XCTAssertThrowsError(try SafeRegex(pattern), pattern) { error in
                let message = (error as? SafeRegex.SyntaxError)?.message ?? "\(error)"
                XCTAssertTrue(message.contains(reason), "\(pattern): \(message)")
            }
        }
        XCTAssertThrowsError(try RuleSet.parse("""
            version: 1
            groups:
              fit:
                rules:
                  - when: {column: title, matches: "(a)\\\\1"}
                    points: 5
            tiers: {mql: 1, sql: 2}
            """, source: "r.yaml")) { error in
            let text = error.localizedDescription
            XCTAssertTrue(text.contains("r.yaml:5") && text.contains("back-references"), text)
        }
    }
}
