import FuzzTargets
import XCTest

/// Replays every input of the fuzzers' corpora (`Tests/FuzzCorpus/<harness>/`: the seeds, the
/// inputs that reached new code, and every input that ever crashed a harness) through the same
/// harnesses `scripts/fuzz.sh` fuzzes, so a fixed crash stays fixed without a fuzzer in CI.
final class FuzzReplayTests: XCTestCase {
    static let corpus = repositoryRoot.appendingPathComponent("Tests").appendingPathComponent("FuzzCorpus")

    func testEveryHarnessHasASeedCorpus() throws {
        for name in FuzzTargets.all.keys {
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.appendingPathComponent(name).path)
            XCTAssertFalse(files.filter { !$0.hasPrefix(".") }.isEmpty, "no corpus for harness '\(name)'")
        }
    }

    func testTheCorporaReplayWithoutACrash() throws {
        // A crash takes the test process down with it; LEADSCORE_REPLAY_VERBOSE=1 names each
        // input before it runs, so the last name printed is the culprit.
        let verbose = ProcessInfo.processInfo.environment["LEADSCORE_REPLAY_VERBOSE"] != nil
        var replayed = 0
        for (name, harness) in FuzzTargets.all.sorted(by: { $0.key < $1.key }) {
            let folder = Self.corpus.appendingPathComponent(name)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where !file.hasPrefix(".") {
                let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(file)))
                if verbose { FileHandle.standardError.write(Data("replaying \(name)/\(file)\n".utf8)) }
                harness(bytes)
                replayed += 1
            }
        }
        XCTAssertGreaterThan(replayed, 30)
    }
}
