import XCTest
import LinearAlgebra
@testable import LeadScoring

/// Model files: versions and damage.
final class LeadModelTests: XCTestCase {
    func testNewerFormatVersionAndCorruptFilesAreClearErrors() throws {
        let (model, _) = try trainedModel()
        let dir = temporaryDirectory()
        let path = dir + "/m.json"
        try model.save(to: path)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"formatVersion\" : \(LeadModel.currentFormatVersion)", with: "\"formatVersion\" : 99")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LeadModel.load(from: path)) { error in
            XCTAssertEqual(error as? ModelFileError, .newerVersion(file: path, found: 99, supported: LeadModel.currentFormatVersion))
        }
        try "{\"formatVersion\": 1, \"kind\": \"logistic\"".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LeadModel.load(from: path)) { error in
            guard case .invalid(let at, _)? = error as? ModelFileError else { return XCTFail("\(error)") }
            let file = at.file
            XCTAssertEqual(file, path)
        }
    }

    func testFormatFourFilesWithSettingsAsTextStillLoad() throws {
        // Written by leadscore before format 5: hyperparameters were a map of strings.
        let corpus = repositoryRoot.appendingPathComponent("Tests/FuzzCorpus/model")
        let trees = try LeadModel.load(from: corpus.appendingPathComponent("seed-trees").path)
        XCTAssertEqual(trees.formatVersion, 4)
        XCTAssertEqual(trees.training.hyperparameters.boosting?.trees, 3)
        XCTAssertEqual(trees.training.hyperparameters.boosting?.tree.leaves, 4)
        XCTAssertEqual(trees.training.hyperparameters.keptTrees, 3)
        XCTAssertEqual(trees.training.hyperparameters.minCategoryCount, 10)
        let logistic = try LeadModel.load(from: corpus.appendingPathComponent("seed-logistic").path)
        XCTAssertEqual(logistic.training.hyperparameters.logistic?.l2, 1)
        XCTAssertEqual(logistic.training.hyperparameters.logistic?.tolerance, 1e-9)
        // Saved again, it is format 5 with typed settings, and reads back the same.
        let path = temporaryDirectory() + "/again.json"
        var upgraded = trees
        upgraded.formatVersion = LeadModel.currentFormatVersion
        try upgraded.save(to: path)
        XCTAssertEqual(try LeadModel.load(from: path).training.hyperparameters, trees.training.hyperparameters)
    }
}
