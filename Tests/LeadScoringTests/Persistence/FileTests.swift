import XCTest
import LinearAlgebra
@testable import LeadScoring

/// Fingerprints and atomic writes.
final class FileTests: XCTestCase {
    func testSHA256KnownVectors() {
        var h = SHA256()
        h.update(Array("abc".utf8))
        XCTAssertEqual(h.finalize(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        long.update(Array(String(repeating: "a", count: 1000).utf8))
        XCTAssertEqual(long.finalize(), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        var empty = SHA256()
        XCTAssertEqual(empty.finalize(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // A copy is a value: updating it leaves the original where it was.
        var prefix = SHA256()
        prefix.update(Array("ab".utf8))
        var copy = prefix
        copy.update(Array("c".utf8))
        XCTAssertEqual(copy.finalize(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(prefix.finalize(), "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603")
    }

    func testAtomicFileLeavesTheOldFileOnAbort() throws {
        let path = writeTemp("old contents")
        let file = try AtomicFile(path: path)
        try file.write("new")
        file.abort()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents")
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 1)
    }

    /// `--out /dev/null` writes to the device: renaming a finished file over it would replace
    /// /dev/null with a regular file for every process on the machine.
    func testAtomicFileWritesDevicesDirectly() throws {
        let file = try AtomicFile(path: "/dev/null")
        XCTAssertTrue(file.direct)
        try file.write("scores nobody keeps\n")
        try file.commit()
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a character device")
        let aborted = try AtomicFile(path: "/dev/null")
        aborted.abort()
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/dev/null"), "an abort does not unlink the device")
    }
}
