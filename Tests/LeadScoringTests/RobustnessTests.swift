import XCTest
@testable import LeadScoring

/// Inputs that once crashed or could hang leadscore, and the checks that now refuse them.
final class RobustnessTests: XCTestCase {
    // MARK: - Crash reproducers

    func testLongDigitRunsAreNotDatesAndDoNotCrash() {
        // Int(current)! overflowed on 20+ digits (bank accounts, order numbers, absurd years).
        for value in ["DE89370400440532013000", "ORD-1234567890123456789012", "99999999999999999999-01-01",
                      "2026-01-99999999999999999999", "12345678901234567890/01/2026", "1-Mar-99999999999999999999",
                      "2026-03-01T14:05:09+99999999999999999999"] {
            XCTAssertNil(DateParser.parse(value), value)
            XCTAssertNil(DateParser.parse(value, dayFirst: true), value)
        }
        let ibans = (0..<50).map { "DE8937040044053201\($0 + 3000)" }
        XCTAssertEqual(SchemaInference().inferColumn(name: "account", values: ibans).kind, .identifier)
    }

    func testHugeNumbersNeitherOverflowNorPoisonScores() throws {
        XCTAssertNil(Values.number("1e400"))
        // A column with absurd magnitudes still trains and scores finite probabilities.
        var csv = "x,y,converted\n"
        for i in 0..<400 { csv += "\(i % 7 == 0 ? "1e300" : String(i % 13)),\(i % 5),\(i % 3 == 0 ? 1 : 0)\n" }
        let path = writeTemp(csv)
        let (table, schema) = try DataSource(path: path).load(target: "converted")
        var options = TrainingOptions(target: TargetSpec(column: "converted"))
        options.calibration = .none
        let model = try Trainer.train(table: table, schema: schema, options: options, dataSHA256: "x").model
        var issues = EncodingIssues()
        let p = try LeadScorer(model: model, reasonsPerSide: 3).probabilities(table: table, rows: Array(0..<table.rowCount), issues: &issues)
        XCTAssertTrue(p.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    }

    // MARK: - Model files

    /// A small calibrated tree model and a logistic one, saved, as JSON objects to damage.
    nonisolated(unsafe) static let models: (trees: [String: Any], logistic: [String: Any]) = {
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
            guard case let DataError.badModel(_, reason) = error else {
                return XCTFail("expected badModel, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(reason.contains(expected), "\(reason)", file: file, line: line)
            XCTAssertEqual((error as? ExitCoded)?.exitStatus, .dataError, file: file, line: line)
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
        XCTAssertNoThrow(try load(Self.models.trees))
        XCTAssertNoThrow(try load(Self.models.logistic))
    }

    func testDamagedTreesAreRefusedWithTheProblemNamed() {
        let base = Self.models.trees
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
        let base = Self.models.trees
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
        let base = Self.models.logistic
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
        var o = Self.models.trees
        o["formatVersion"] = 99
        XCTAssertThrowsError(try load(o)) { error in
            guard case DataError.unsupportedModelVersion = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try LeadModel.load(from: "/nonexistent/model.json")) { error in
            XCTAssertEqual((error as? ExitCoded)?.exitStatus, .noInput)
        }
    }

    // MARK: - Encoding and drift say what they skip

    func testEncodingATableWithoutAModelColumnIsAnError() throws {
        let model = try load(Self.models.logistic)
        let path = writeTemp("lead_id,country\nL1,France\n")
        let table = try Table.read(path: path)
        var issues = EncodingIssues()
        XCTAssertThrowsError(try model.encoder.encode(table: table, rows: [0], issues: &issues)) { error in
            guard case let DataError.missingColumns(_, columns) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(columns.contains("website_visits"), "\(columns)")
        }
    }

    func testDriftCountsUnreadableNumbersAndAbsentColumns() throws {
        let model = try load(Self.models.trees)
        let dir = temporaryDirectory()
        try CRMGenerator(seed: 22).write(leads: 300, to: dir + "/new.csv")
        var table = try Table.read(path: dir + "/new.csv")
        let visits = table.index(of: "website_visits")!
        for r in 0..<10 { table.columns[visits][r] = "lots" }
        let report = DriftReport(profile: model.profile!, table: table, rows: Array(0..<table.rowCount),
                                 missing: model.schema.missingTokens, probabilities: nil)
        let feature = report.features.first { $0.name == "website_visits" }!
        XCTAssertEqual(feature.unreadable, 10)
        XCTAssertEqual(feature.unreadableExample, "lots")
        XCTAssertTrue(report.summary.contains("website_visits"), report.summary)
        // Without the column it is named, not skipped.
        let c = table.index(of: "country")!
        table.header[c] = "land"
        let absent = DriftReport(profile: model.profile!, table: table, rows: Array(0..<table.rowCount),
                                 missing: model.schema.missingTokens, probabilities: nil)
        XCTAssertEqual(absent.absentColumns, ["country"])
        XCTAssertEqual(absent.status, .alarm)
    }

    // MARK: - YAML and patterns from rules files

    func testYAMLNestingAndAliasExpansionAreBounded() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try YAMLGuard.compose(deep)) { error in
            XCTAssertTrue((error as? YAMLGuard.Failure)?.message.contains("nesting") == true, "\(error)")
        }
        let dashes = String(repeating: "- ", count: 5_000) + "x\n"
        XCTAssertThrowsError(try YAMLGuard.compose(dashes))
        // A "billion laughs": ten levels of ten aliases each.
        var laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for k in 1...9 { laughs += "a\(k): &a\(k) [" + Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ") + "]\n" }
        XCTAssertThrowsError(try YAMLGuard.compose(laughs)) { error in
            XCTAssertTrue((error as? YAMLGuard.Failure)?.message.contains("aliases expand") == true, "\(error)")
        }
        XCTAssertNoThrow(try YAMLGuard.compose("a: &x [1, 2]\nb: *x\n"))
        XCTAssertThrowsError(try RuleSet.parse(laughs, source: "r.yaml")) { error in
            XCTAssertTrue(error.localizedDescription.contains("r.yaml:"), error.localizedDescription)
        }
    }

    func testCatastrophicPatternsRunInLinearTime() throws {
        let evil = try SafeRegex("(a+)+$")
        let value = String(repeating: "a", count: 50_000) + "!"
        XCTAssertFalse(evil.matches(value))
        XCTAssertTrue(evil.matches("aaa"))
        XCTAssertFalse(try SafeRegex("(a|aa)*b").matches(String(repeating: "a", count: 20_000)))
        XCTAssertFalse(try SafeRegex("(x+x+)+y").matches(String(repeating: "x", count: 20_000)))
    }

    func testSafeRegexAgreesWithFoundationOnTheCommonSyntax() throws {
        let patterns = ["(?i)\\b(vp|head|director|chief)\\b", "^[A-Z]{2}\\d{2}", "gmail\\.com$", "colou?r", "a{2,3}b",
                        "[^aeiou\\s]+ing", "(?i)ÉCOLE", "\\bCTO\\b|\\bCEO\\b", "^$", "x*", "(?:ab)+c", "[\\d,]+\\.\\d\\d",
                        "\\p{Lu}\\p{Ll}+", "(?i:head) of", "^\\s*$", "[a\\-z]", "\\$\\d+", "(?m)^b", "a.c", "(?s)a.c"]
        let values = ["VP Sales", "vice president", "Head of Growth", "headmaster", "DE89 3704", "de89", "x@gmail.com", "gmail.com.au",
                      "color", "colour", "aab", "aaaab", "ab", "bring", "sing", "école", "ÉCOLE", "CTO", "the CTOs", "", "  ", "ababc",
                      "1,234.56", "$120", "Hello", "hello", "a-b", "a\nb", "abc", "a\nc", "Müller", "İstanbul"]
        for pattern in patterns {
            let safe = try SafeRegex(pattern)
            let icu = try NSRegularExpression(pattern: pattern)
            for v in values {
                let expected = icu.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil
                XCTAssertEqual(safe.matches(v), expected, "/\(pattern)/ on '\(v)'")
            }
        }
    }

    func testPatternsThatCannotRunInLinearTimeAreRefusedWithTheReason() {
        for (pattern, reason) in [("(a)\\1", "back-references"), ("foo(?=bar)", "look-ahead"), ("(?<!x)y", "look-behind"),
                                  ("a{5000}", "above 1000"), ("(ab", "missing ')'"), ("[a-", "missing ']'"), ("*a", "nothing to repeat"),
                                  ("(?:a{1000}){1000}", "too large"), ("\\q", "unknown escape")] {
            XCTAssertThrowsError(try SafeRegex(pattern), pattern) { error in
                let message = (error as? SafeRegex.SyntaxError)?.message ?? "\(error)"
                XCTAssertTrue(message.contains(reason), "\(pattern): \(message)")
            }
        }
        XCTAssertThrowsError(try RuleSet.parse("""
            version: 1
            groups:
              fit:
                rules:
                  - when: {column: title, matches: "(a)\\\\1"}
                    points: 5
            tiers: {mql: 1, sql: 2}
            """, source: "r.yaml")) { error in
            let text = error.localizedDescription
            XCTAssertTrue(text.contains("r.yaml:5") && text.contains("back-references"), text)
        }
    }
}
