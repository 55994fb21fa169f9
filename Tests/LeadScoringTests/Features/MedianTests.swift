import XCTest
@testable import LeadScoring

final class MedianTests: XCTestCase {
    /// Selection gives the sorted middle (or the mean of the two middles), with many ties,
    /// sorted and reversed input and every length up to 40.
    func testMedianBySelectionEqualsTheSortedMiddle() {
        var rng = SeededGenerator(seed: 3)
        for n in 1...40 {
            for shape in 0..<4 {
                var v = (0..<n).map { _ in Double(Int.random(in: 0..<(shape == 0 ? 3 : 1000), using: &rng)) }
                if shape == 2 { v.sort() }
                if shape == 3 { v.sort(by: >) }
                let s = v.sorted()
                let expected = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
                XCTAssertEqual(median(v), expected, "n \(n), shape \(shape): \(v)")
            }
        }
        XCTAssertEqual(median([]), 0)
    }
}
