import XCTest
import LinearAlgebra
@testable import LeadScoring

/// `--model auto`'s stacking blend of boosted trees and logistic regression.
final class BlendTests: XCTestCase {
    // Produced by `scripts/.venv/bin/python scripts/blend-golden.py` (scikit-learn's
    // LogisticRegression with its defaults, C=1, tol=1e-12, on the two learners' logits).
    static let y: [Double] = [0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0,
                              0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0]
    static let trees: [Double] = [0.1173, 0.3183, 0.1025, 0.6899, 0.0912, 0.0649, 0.6464, 0.2594, 0.7513, 0.0155, 0.4855, 0.7582,
                                  0.1369, 0.1498, 0.1008, 0.8198, 0.6855, 0.1611, 0.1374, 0.1692, 0.9153, 0.6675, 0.1300, 0.7646,
                                  0.5057, 0.1429, 0.0277, 0.4054, 0.1326, 0.7701, 0.4670, 0.5565, 0.8156, 0.4586, 0.6137, 0.6099,
                                  0.7982, 0.1107, 0.2527, 0.2974, 0.0586, 0.0989, 0.0939, 0.4926, 0.7981, 0.0764, 0.3463, 0.1337,
                                  0.5151, 0.1980, 0.6020, 0.3734, 0.8498, 0.2325, 0.6167, 0.5170, 0.0313, 0.8666, 0.0623, 0.6255]
    static let logistic: [Double] = [0.1845, 0.2741, 0.1544, 0.7529, 0.2614, 0.1831, 0.5607, 0.7645, 0.7266, 0.1469, 0.2928, 0.4559,
                                     0.3279, 0.4077, 0.2682, 0.7241, 0.6486, 0.4112, 0.4208, 0.1915, 0.9647, 0.2442, 0.4236, 0.7716,
                                     0.7475, 0.6712, 0.3640, 0.1392, 0.0605, 0.7542, 0.2611, 0.5950, 0.8634, 0.1979, 0.1643, 0.6566,
                                     0.7395, 0.2512, 0.4016, 0.1148, 0.0485, 0.2254, 0.0721, 0.1096, 0.8721, 0.1588, 0.5404, 0.1877,
                                     0.2933, 0.1352, 0.3580, 0.5246, 0.5585, 0.4272, 0.6562, 0.9070, 0.0436, 0.8144, 0.1521, 0.5447]

    func testBlendWeightsMatchScikitLearn() throws {
        let w = try BlendWeights.fit(trees: Self.trees, logistic: Self.logistic, y: Self.y)
        XCTAssertEqual(w.intercept, 0.0045607499, accuracy: 1e-6)
        XCTAssertEqual(w.treesWeight, 0.5343984382, accuracy: 1e-6)
        XCTAssertEqual(w.logisticWeight, 0.1498229367, accuracy: 1e-6)
    }

    func testCrossFittedLossScoresEachFoldWithWeightsFittedWithoutIt() throws {
        let fold = Self.y.indices.map { $0 % 3 }
        let crossFitted = try BlendWeights.crossFittedLogLoss(trees: Self.trees, logistic: Self.logistic, y: Self.y, fold: fold)
        // By hand: fold 0's rows scored by weights fitted on folds 1 and 2, and so on.
        var p = [Double](repeating: 0, count: Self.y.count)
        for f in 0..<3 {
            let fit = Self.y.indices.filter { fold[$0] != f }
            let w = try BlendWeights.fit(trees: fit.map { Self.trees[$0] }, logistic: fit.map { Self.logistic[$0] }, y: fit.map { Self.y[$0] })
            for i in Self.y.indices where fold[i] == f { p[i] = w.probability(trees: Self.trees[i], logistic: Self.logistic[i]) }
        }
        XCTAssertEqual(crossFitted, Metrics.logLoss(p, Self.y), accuracy: 1e-12)
        // Fitted and scored on the same rows, the blend would look better than it is.
        let inSample = try BlendWeights.fit(trees: Self.trees, logistic: Self.logistic, y: Self.y)
        let inSampleLoss = Metrics.logLoss(Self.y.indices.map { inSample.probability(trees: Self.trees[$0], logistic: Self.logistic[$0]) }, Self.y)
        XCTAssertGreaterThan(crossFitted, inSampleLoss)
    }

    func testAutoKeepsTheBlendOnlyWhenItLowersTheOutOfFoldLogLoss() {
        XCTAssertEqual(AutoWinner.choose(logistic: 0.40, trees: 0.38, blend: 0.37), .blend)
        XCTAssertEqual(AutoWinner.choose(logistic: 0.40, trees: 0.38, blend: 0.38), .trees)
        XCTAssertEqual(AutoWinner.choose(logistic: 0.36, trees: 0.38, blend: 0.37), .logistic)
        XCTAssertEqual(AutoWinner.choose(logistic: 0.36, trees: 0.38, blend: .infinity), .logistic)
        XCTAssertEqual(AutoWinner.choose(logistic: 0.38, trees: 0.38, blend: 0.39), .logistic)
    }

    /// `train --model auto` on synthetic leads: whatever it keeps, it kept it for the lowest of
    /// the three out-of-fold log losses its notice reports, and a blend is a complete model.
    func testAutoRecordsItsChoiceAndTheTreesFromTheFolds() throws {
        let path = temporaryDirectory() + "/leads.csv"
        try CRMGenerator(seed: 3).write(leads: 1500, to: path)
        let (t, schema) = try DataSource(path: path).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = .auto
        let model = try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x").model
        let notices = model.training.notices
        guard let line = notices.first(where: { $0.hasPrefix("--model auto chose") }) else { return XCTFail("\(notices)") }
        let numbers = line.components(separatedBy: "log loss ").last!.components(separatedBy: " ").compactMap(Double.init)
        XCTAssertEqual(numbers.count, 3, line)
        let winner = AutoWinner.choose(logistic: numbers[0], trees: numbers[1], blend: numbers[2])
        switch winner {
        case .blend:
            XCTAssertNotNil(model.blend)
            XCTAssertNil(model.calibration)
            XCTAssertNotNil(model.training.hyperparameters.blend)
        case .trees:
            XCTAssertNil(model.blend)
            XCTAssertEqual(model.kind, .gbdt)
        case .logistic:
            XCTAssertNil(model.blend)
            XCTAssertEqual(model.kind, .logistic)
        }
        if model.kind == .gbdt {
            let auto = try XCTUnwrap(model.training.hyperparameters.autoTrees)
            XCTAssertEqual(auto.bestIterations.count, 3)
            XCTAssertTrue(notices.contains { $0.hasPrefix("--model auto: \(auto.trees) trees from 3-fold CV (best iterations ") }, "\(notices)")
            XCTAssertEqual(auto.trees, min(auto.ceiling, Int((Double(auto.crossValidated) * auto.scale).rounded())))
        }
    }

    /// On the bundled sample (dates dropped) the blend lowers the out-of-fold log loss, so auto
    /// keeps it: the trained model holds both learners, uncalibrated, and scores the same after
    /// saving and loading.
    func testAutoTrainsACompleteBlendOnTheSample() throws {
        var source = DataSource(path: repositoryRoot.appendingPathComponent("datasets/sample-leads.csv").path)
        source.drop = ["created_date", "last_activity_date"]
        let (t, schema) = try source.load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = .auto
        let model = try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x").model
        let blend = try XCTUnwrap(model.blend, "\(model.training.notices)")
        XCTAssertEqual(model.kind, .gbdt)
        XCTAssertNil(model.calibration)
        XCTAssertEqual(model.training.hyperparameters.blend, blend.weights)
        XCTAssertNotNil(model.training.hyperparameters.logistic)
        XCTAssertGreaterThan(blend.weights.treesWeight, 0)
        XCTAssertGreaterThan(blend.weights.logisticWeight, 0)
        XCTAssertTrue(model.training.notices.contains { $0.hasPrefix("calibration: none (the blend") })
        XCTAssertGreaterThan(model.training.holdout.auc, 0.75)
        let path = temporaryDirectory() + "/auto.json"
        try model.save(to: path)
        var issues = EncodingIssues()
        let rows = Array(0..<500)
        XCTAssertEqual(try LeadScorer(model: LeadModel.load(from: path), reasonsPerSide: 0).probabilities(table: t, rows: rows, issues: &issues),
                       try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: t, rows: rows, issues: &issues))
    }

    /// Trees and logistic regression trained on the same leads, blended by hand.
    static func blendedModel() throws -> (LeadModel, Table, LeadModel, LeadModel) {
        let path = temporaryDirectory() + "/leads.csv"
        try CRMGenerator(seed: 5).write(leads: 1200, to: path)
        let (t, schema) = try DataSource(path: path).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.model = .gbdt
        options.boosting.trees = 30
        options.calibration = .none
        let trees = try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x").model
        options.model = .logistic
        let logistic = try Trainer.train(table: t, schema: schema, options: options, dataSHA256: "x").model
        guard case let .logistic(lr) = logistic.predictor else { throw UsageError("not logistic") }
        var blended = trees
        blended.blend = Blend(encoder: logistic.encoder, logistic: lr, weights: BlendWeights(intercept: -0.1, treesWeight: 0.6, logisticWeight: 0.5))
        return (blended, t, trees, logistic)
    }

    func testABlendedModelScoresTheSameThroughEveryPathAndAfterSaving() throws {
        let (model, table, trees, logistic) = try Self.blendedModel()
        let rows = Array(0..<300)
        var issues = EncodingIssues()
        let p = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: table, rows: rows, issues: &issues)
        // The formula, from each learner's own margin.
        let mt = try LeadScorer(model: trees, reasonsPerSide: 0).probabilities(table: table, rows: rows, issues: &issues).map(BlendWeights.logit)
        let ml = try LeadScorer(model: logistic, reasonsPerSide: 0).probabilities(table: table, rows: rows, issues: &issues).map(BlendWeights.logit)
        for i in rows { XCTAssertEqual(p[i], sigmoid(-0.1 + 0.6 * mt[i] + 0.5 * ml[i]), accuracy: 1e-9) }

        // Saved and loaded: the same scores, through the table path and the record path (`predict`, the service).
        let path = temporaryDirectory() + "/blend.json"
        try model.save(to: path)
        let loaded = try LeadModel.load(from: path)
        XCTAssertEqual(loaded, model)
        XCTAssertEqual(loaded.formatVersion, LeadModel.currentFormatVersion)
        XCTAssertEqual(try LeadScorer(model: loaded, reasonsPerSide: 0).probabilities(table: table, rows: rows, issues: &issues), p)
        let columns = loaded.encoder.columns.map { table.index(of: $0.name)! }
        let records = rows.map { r in columns.map { table.columns[$0][r] } }
        let scored = LeadScorer(model: loaded, reasonsPerSide: 3).score(records: records, lines: rows, issues: &issues)
        for i in rows { XCTAssertEqual(scored[i].probability, p[i], accuracy: 1e-12) }

        // Reasons weigh both learners' contributions: with every column's reason kept they add
        // up to the blended margin less the blend's baseline, the same for every lead.
        let everything = LeadScorer(model: loaded, reasonsPerSide: 1000).score(records: records, lines: rows, issues: &issues)
        let baselines = everything.map { lead in lead.margin - lead.reasons.reduce(0) { $0 + $1.contribution } }
        XCTAssertTrue(everything.contains { !$0.reasons.isEmpty })
        // Contributions below ±0.005 are not shown, so the sums agree to a few hundredths.
        for b in baselines { XCTAssertEqual(b, baselines[0], accuracy: 0.005 * Double(loaded.encoder.columns.count)) }

        // The live scorer: a lead's attributes scored as `predict` scores its row.
        let live = try LiveScorer(model: loaded, modelVersion: "v1", rules: nil, configuration: ServiceConfiguration())
        for i in [0, 7, 42] {
            var attributes: [String: String] = [:]
            for (k, c) in loaded.encoder.columns.enumerated() { attributes[c.name] = records[i][k] }
            let s = try live.score(LiveLead(id: "\(i)", attributes: attributes, events: []), at: 0)
            XCTAssertEqual(s.probability, p[i], accuracy: 1e-12)
            XCTAssertEqual(s.reasons, scored[i].reasons)
        }
    }

    func testFilesWithoutABlendStillLoadAndDamagedBlendsAreRefused() throws {
        // A format 5 file (before blends) loads with no blend.
        var old = smallModels.trees
        old["formatVersion"] = 5
        old.removeValue(forKey: "blend")
        let loaded = try loadModel(old)
        XCTAssertNil(loaded.blend)
        XCTAssertEqual(loaded.formatVersion, 5)

        let (model, _, _, _) = try Self.blendedModel()
        let path = temporaryDirectory() + "/blend.json"
        try model.save(to: path)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        func refused(_ change: (inout [String: Any]) -> Void, _ text: String) {
            var damaged = object
            change(&damaged)
            XCTAssertThrowsError(try loadModel(damaged)) { error in
                let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                XCTAssertTrue(message.contains(text), message)
            }
        }
        refused({ o in
            var blend = o["blend"] as! [String: Any], logistic = blend["logistic"] as! [String: Any]
            logistic["coefficients"] = [1.0]
            blend["logistic"] = logistic
            o["blend"] = blend
        }, "blend: logistic model: 1 coefficients")
        refused({ o in
            var blend = o["blend"] as! [String: Any], weights = blend["weights"] as! [String: Any]
            weights.removeValue(forKey: "treesWeight")
            blend["weights"] = weights
            o["blend"] = blend
        }, "treesWeight")
        refused({ o in o["calibration"] = smallModels.trees["calibration"] }, "blend: a blended model is not calibrated again")
    }

    func testExportsRefuseABlend() throws {
        let (model, _, _, _) = try Self.blendedModel()
        XCTAssertThrowsError(try LightGBMExport(model: model)) { error in
            XCTAssertTrue(error is LightGBMExport.Blended, "\(error)")
            XCTAssertEqual((error as? LeadScoreError)?.exitStatus, .usage)
        }
        XCTAssertThrowsError(try SQLExport(model: model, dialect: .duckdb).statement()) { error in
            XCTAssertTrue(error is SQLExport.Blended, "\(error)")
            XCTAssertEqual((error as? LeadScoreError)?.exitStatus, .usage)
        }
    }
}
