import XCTest
@testable import LeadScoring

/// Inputs that once crashed or could hang leadscore, and the checks that now refuse them.
/// Damaged model files are refused on load with the first problem named, never a crash.
final class ModelValidationTests: XCTestCase {
    func load(_ object: [String: Any]) throws -> LeadModel {
        let path = temporaryDirectory() + "/model.json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return try LeadModel.load(from: path)
    }

    /// Damages a copy of `base` with `edit` and asserts that loading names the problem.
    func assertRefused(_ base: [String: Any], _ expected: String, file: StaticString = #filePath, line: UInt = #line,
                       _ edit: (inout [String: Any]) -> Void) {
        var object = base
        edit(&object)
        XCTAssertThrowsError(try load(object), file: file, line: line) { error in
            guard case let ModelFileError.invalid(_, reason) = error else {
                return XCTFail("expected badModel, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(reason.contains(expected), "\(reason)", file: file, line: line)
            XCTAssertEqual((error as? LeadScoreError)?.exitStatus, .dataError, file: file, line: line)
        }
    }

    /// Edits tree 0 of a tree model.
    func editTree(_ object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var model = object["model"] as! [String: Any]
        var trees = model["trees"] as! [[String: Any]]
        edit(&trees[0])
        model["trees"] = trees
        object["model"] = model
    }

    func testUndamagedModelsLoad() throws {
        XCTAssertNoThrow(try load(smallModels.trees))
        XCTAssertNoThrow(try load(smallModels.logistic))
    }

    func testDamagedTreesAreRefusedWithTheProblemNamed() {
        let base = smallModels.trees
        let splitNode = { (tree: [String: Any]) in (tree["feature"] as! [Int]).firstIndex { $0 >= 0 }! }
        assertRefused(base, "out of range") { o in
            self.editTree(&o) { t in var f = t["feature"] as! [Int]; f[splitNode(t)] = 999; t["feature"] = f }
        }
        assertRefused(base, "bad child link") { o in
            self.editTree(&o) { t in var l = t["left"] as! [Int]; l[splitNode(t)] = 10_000; t["left"] = l }
        }
        assertRefused(base, "bad child link") { o in  // a cycle back to the root
            self.editTree(&o) { t in var r = t["right"] as! [Int]; r[splitNode(t)] = 0; t["right"] = r }
        }
        assertRefused(base, "parents") { o in  // both children the same node's: not a tree
            self.editTree(&o) { t in
                var l = t["left"] as! [Int], r = t["right"] as! [Int]
                let i = splitNode(t)
                let other = (l.indices).first { $0 > i && $0 != l[i] && $0 != r[i] }!
                r[i] = other; l[i] = l[i]; t["left"] = l; t["right"] = r
            }
        }
        assertRefused(base, "differ in length") { o in
            self.editTree(&o) { t in var v = t["value"] as! [Double]; v.removeLast(); t["value"] = v }
        }
        assertRefused(base, "finite") { o in
            self.editTree(&o) { t in var v = t["value"] as! [Any]; v[v.count - 1] = "nan"; t["value"] = v }
        }
        assertRefused(base, "threshold bin") { o in
            let mapper = (o["model"] as! [String: Any])["mapper"] as! [String: Any]
            let bins = mapper["features"] as! [[String: Any]]
            self.editTree(&o) { t in
                let features = t["feature"] as! [Int]
                // A numeric split: its threshold past the feature's bins.
                if let i = features.indices.first(where: { features[$0] >= 0 && (bins[features[$0]]["categorical"] as! Bool) == false }) {
                    var tb = t["thresholdBin"] as! [Int]; tb[i] = 300; t["thresholdBin"] = tb
                } else { XCTFail("no numeric split in tree 0") }
            }
        }
        assertRefused(base, "value bins") { o in
            var model = o["model"] as! [String: Any]
            var mapper = model["mapper"] as! [String: Any]
            var features = mapper["features"] as! [[String: Any]]
            features[0]["valueBins"] = 400
            mapper["features"] = features; model["mapper"] = mapper; o["model"] = model
        }
        assertRefused(base, "binned features") { o in
            var model = o["model"] as! [String: Any]
            var mapper = model["mapper"] as! [String: Any]
            var features = mapper["features"] as! [[String: Any]]
            features.removeLast()
            mapper["features"] = features; model["mapper"] = mapper; o["model"] = model
        }
    }

    func testDamagedEncodersCalibrationTiersAndProfilesAreRefused() {
        let base = smallModels.trees
        assertRefused(base, "feature names") { o in
            var e = o["encoder"] as! [String: Any]; var names = e["featureNames"] as! [String]; names.removeLast()
            e["featureNames"] = names; o["encoder"] = e
        }
        assertRefused(base, "listed twice") { o in
            var e = o["encoder"] as! [String: Any]
            var columns = e["columns"] as! [[String: Any]]
            for (k, c) in columns.enumerated() {
                guard var raw = (c["encoding"] as? [String: Any])?["raw"] as? [String: Any],
                      var inner = raw["_0"] as? [String: Any], var levels = inner["levels"] as? [String], levels.count >= 2 else { continue }
                levels[1] = levels[0]; inner["levels"] = levels; raw["_0"] = inner
                columns[k]["encoding"] = ["raw": raw]
                break
            }
            e["columns"] = columns; o["encoder"] = e
        }
        assertRefused(base, "tiers") { o in o["tiers"] = ["mql": 0.9, "sql": 0.2, "method": "hand-edited"] }
        assertRefused(base, "isotonic") { o in o["calibration"] = ["isotonic": ["x": [0.5, 0.1], "y": [0.2, 0.3]]] }
        assertRefused(base, "profile") { o in
            var p = o["profile"] as! [String: Any]; p["scoreEdges"] = [Double](); o["profile"] = p
        }
    }

    func testDamagedLogisticModelsAreRefused() {
        let base = smallModels.logistic
        assertRefused(base, "coefficients for") { o in
            var m = o["model"] as! [String: Any]; var c = m["coefficients"] as! [Double]; c.append(1); m["coefficients"] = c; o["model"] = m
        }
        assertRefused(base, "not finite") { o in
            var m = o["model"] as! [String: Any]; m["intercept"] = "inf"; o["model"] = m
        }
        assertRefused(base, "feature names for") { o in
            var e = o["encoder"] as! [String: Any]; e["width"] = (e["width"] as! Int) + 1; o["encoder"] = e
        }
    }

    func testNewerFormatAndMissingFileAreTheirOwnErrors() throws {
        var o = smallModels.trees
        o["formatVersion"] = 99
        XCTAssertThrowsError(try load(o)) { error in
            guard case ModelFileError.newerVersion = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try LeadModel.load(from: "/nonexistent/model.json")) { error in
            XCTAssertEqual((error as? LeadScoreError)?.exitStatus, .noInput)
        }
    }
}
