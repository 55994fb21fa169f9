import Foundation
import XCTest
@testable import LeadScoring

/// Every path that scores a lead gives the same probability: a file streamed in batches
/// (`predict`), records handed over in memory (the service), a table in memory (`evaluate`),
/// one lead at a time, and a model saved and loaded again.
final class ScoringPathTests: XCTestCase {
    static let sample = repositoryRoot.appendingPathComponent("datasets/sample-leads.csv").path

    /// A calibrated tree model and a calibrated logistic one, trained on the bundled sample.
    nonisolated(unsafe) static let models: [LeadModel] = {
        let (table, schema) = try! DataSource(path: sample).load(target: "converted")
        var trees = TrainingOptions(target: TargetSpec(column: "converted"))
        trees.model = .gbdt
        trees.boosting.trees = 60
        trees.boosting.earlyStopping = 0
        trees.calibration = .isotonic
        var logistic = TrainingOptions(target: TargetSpec(column: "converted"))
        logistic.calibration = .platt
        return [try! Trainer.train(table: table, schema: schema, options: trees, dataSHA256: "x").model,
                try! Trainer.train(table: table, schema: schema, options: logistic, dataSHA256: "x").model]
    }()

    /// The sample with holes: missing values, unseen categories, unreadable numbers, Excel errors.
    static func messyCopy(rows: Int? = nil, repeats: Int = 1) throws -> String {
        let lines = try String(contentsOfFile: Self.sample, encoding: .utf8).split(separator: "\n").map(String.init)
        var out = [lines[0]]
        var k = 0
        for _ in 0..<repeats {
            for line in lines.dropFirst().prefix(rows ?? lines.count) {
                var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                switch k % 7 {
                case 0: f[2] = "Carrier Pigeon"        // unseen lead source
                case 1: f[9] = ""                      // missing website visits
                case 2: f[10] = "lots"                 // an unreadable number
                case 3: f[8] = "#N/A"                  // Excel's error value
                case 4: f[3] = "  \(f[3])  "           // stray spaces
                default: break
                }
                f[0] = "L\(k)"
                out.append(f.joined(separator: ","))
                k += 1
            }
        }
        let path = temporaryDirectory() + "/messy.csv"
        try (out.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Probabilities written by the file path (JSON lines at full precision).
    func fileProbabilities(_ scorer: LeadScorer, _ path: String) throws -> [Double] {
        let out = temporaryDirectory() + "/scored.jsonl"
        let file = try AtomicFile(path: out)
        _ = try scorer.score(file: try CSVReader(path: path), to: file, format: .jsonLines, keep: .ids(plus: []), probabilityDigits: nil)
        try file.commit()
        // The number's text read with `Double(_:)`, which rounds correctly (Foundation's
        // JSONSerialization on Linux can miss the last bit of a 17-digit number).
        return try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { line in
            let text = line.split(separator: ",").first { $0.hasPrefix("\"probability\":") }!.dropFirst("\"probability\":".count)
            return Double(text)!
        }
    }

    func testFileRecordsAndTablePathsGiveIdenticalProbabilities() throws {
        for path in [Self.sample, try Self.messyCopy()] {
            let table = try Table.read(path: path)
            let rows = Array(0..<table.rowCount)
            for model in Self.models {
                let scorer = LeadScorer(model: model, reasonsPerSide: 0)
                var issues = EncodingIssues()
                let fromTable = try scorer.probabilities(table: table, rows: rows, issues: &issues)
                let fromFile = try fileProbabilities(scorer, path)
                let fields = try scorer.fields(in: table.header, file: path)
                let records = rows.map { r in fields.map { table.columns[$0][r] } }
                let fromRecords = scorer.score(records: records, lines: table.lines, issues: &issues).map(\.probability)
                XCTAssertEqual(fromFile.count, table.rowCount)
                XCTAssertEqual(fromFile, fromTable, "\(model.kind) on \(path)")
                XCTAssertEqual(fromRecords, fromTable, "\(model.kind) on \(path)")
            }
        }
    }

    func testAFileLongerThanOneBatchScoresAsItsLeadsOneAtATime() throws {
        let path = try Self.messyCopy(repeats: 4)  // 20,000 leads: more than one batch of 16,384
        let table = try Table.read(path: path)
        XCTAssertGreaterThan(table.rowCount, LeadScorer.batchSize)
        for model in Self.models {
            let scorer = LeadScorer(model: model, reasonsPerSide: 0)
            let fromFile = try fileProbabilities(scorer, path)
            let fields = try scorer.fields(in: table.header, file: path)
            var issues = EncodingIssues()
            for r in stride(from: 0, to: table.rowCount, by: 7) {
                let one = scorer.score(records: [fields.map { table.columns[$0][r] }], lines: [table.lines[r]], issues: &issues)
                XCTAssertEqual(one[0].probability, fromFile[r], "row \(r)")
            }
        }
    }

    func testACalibratedTreeModelPredictsIdenticallyAfterSaveAndLoad() throws {
        let model = Self.models[0]
        guard case .gbdt = model.predictor, model.calibration != nil else { return XCTFail("expected calibrated trees") }
        let path = temporaryDirectory() + "/m.json"
        try model.save(to: path)
        let loaded = try LeadModel.load(from: path)
        XCTAssertEqual(loaded, model)
        let table = try Table.read(path: try Self.messyCopy())
        var issues = EncodingIssues()
        let rows = Array(0..<table.rowCount)
        XCTAssertEqual(try LeadScorer(model: loaded).probabilities(table: table, rows: rows, issues: &issues),
                       try LeadScorer(model: model).probabilities(table: table, rows: rows, issues: &issues))
    }
}
