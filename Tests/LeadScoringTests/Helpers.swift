import Foundation
@testable import LeadScoring

/// The repository's root folder (this file is Tests/LeadScoringTests/Helpers.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

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

/// A small calibrated tree model and a logistic one, saved, as JSON objects to damage or load.
nonisolated(unsafe) let smallModels: (trees: [String: Any], logistic: [String: Any]) = {
    let dir = temporaryDirectory()
    try! CRMGenerator(seed: 21).write(leads: 800, to: dir + "/leads.csv")
    let (table, schema) = try! DataSource(path: dir + "/leads.csv").load(target: "converted")
    func json(_ kind: ModelChoice) -> [String: Any] {
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = kind
        options.boosting.trees = 8
        options.calibration = .isotonic
        let model = try! Trainer.train(table: table, schema: schema, options: options, dataSHA256: "x").model
        let path = dir + "/\(kind.rawValue).json"
        try! model.save(to: path)
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }
    return (json(.gbdt), json(.logistic))
}()

/// A model from one of `smallModels`' JSON objects, through a file.
func loadModel(_ object: [String: Any]) throws -> LeadModel {
    let path = temporaryDirectory() + "/model.json"
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    return try LeadModel.load(from: path)
}

/// A table and its inferred schema from CSV text (target `y` kept out).
func table(_ csv: String) throws -> (Table, Schema) {
    try DataSource(path: writeTemp(csv)).load(target: "y")
}

/// A model trained with the default options on 1,500 synthetic leads, and the table.
func trainedModel() throws -> (LeadModel, Table) {
    let path = temporaryDirectory() + "/leads.csv"
    try CRMGenerator(seed: 3).write(leads: 1500, to: path)
    let (t, schema) = try DataSource(path: path).load(target: "converted")
    let result = try Trainer.train(table: t, schema: schema, options: TrainingOptions(target: TargetSpec(column: "converted")), dataSHA256: "x")
    return (result.model, t)
}
