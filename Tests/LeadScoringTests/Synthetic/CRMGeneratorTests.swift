import XCTest
import LinearAlgebra
@testable import LeadScoring

/// The synthetic CRM history.
final class CRMGeneratorTests: XCTestCase {
    func testGeneratorIsDeterministicPerSeed() throws {
        let dir = temporaryDirectory()
        try CRMGenerator(seed: 9).write(leads: 300, to: dir + "/a.csv")
        try CRMGenerator(seed: 9).write(leads: 300, to: dir + "/b.csv")
        try CRMGenerator(seed: 10).write(leads: 300, to: dir + "/c.csv")
        let a = try SHA256.hexDigest(ofFile: dir + "/a.csv")
        XCTAssertEqual(a, try SHA256.hexDigest(ofFile: dir + "/b.csv"))
        XCTAssertNotEqual(a, try SHA256.hexDigest(ofFile: dir + "/c.csv"))
        let t = try Table.read(path: dir + "/a.csv", hashing: true)
        XCTAssertEqual(t.sha256, a)  // fingerprint taken while reading = a separate pass over the file
        XCTAssertEqual(t.rowCount, 300)
        XCTAssertEqual(t.header, CRMGenerator.header)
    }
}
