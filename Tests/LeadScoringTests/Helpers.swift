import Foundation
@testable import LeadScoring

/// One folder for this test process's files, removed when the process exits.
let testRoot: String = {
    let path = NSTemporaryDirectory() + "leadscore-tests-\(getpid())"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: testRoot) }
    return path
}()

/// A fresh temporary directory per test.
func temporaryDirectory() -> String {
    let path = testRoot + "/\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `bytes` to a new temporary file and returns its path.
func writeTemp(_ text: String, name: String = "data.csv") -> String {
    let path = temporaryDirectory() + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

func writeTemp(bytes: [UInt8], name: String = "data.csv") -> String {
    let path = temporaryDirectory() + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

func readAll(_ path: String, delimiter: UInt8? = nil) throws -> (header: [String], records: [CSVRecord]) {
    let reader = try CSVReader(path: path, delimiter: delimiter)
    var records: [CSVRecord] = []
    while let r = try reader.next() { records.append(r) }
    return (reader.header, records)
}
