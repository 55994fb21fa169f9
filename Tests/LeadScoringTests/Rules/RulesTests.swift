import XCTest
@testable import LeadScoring

final class RulesTests: XCTestCase {
    /// Four leads; the as-of date is 2026-11-01, so A was last active 30 days before, C 60, D 0.
    static let csv = """
    id,title,size,industry,demo,visits,last_active,note
    A,VP Sales,300,Software,Yes,3,2026-10-02,
    B,Student,,Education,No,0,,x
    C,Director of IT,6000,Healthcare,No,12,2026-09-02,
    D,Marketing Manager,50,Retail,Yes,1,2026-11-01,

    """
    static let asOf = DateParser.parse("2026-11-01")!

    func load(_ text: String = RulesTests.csv) throws -> (Table, Schema) {
        let path = writeTemp(text)
        return try DataSource(path: path).load()
    }

    func scorer(_ yaml: String, events: EventLog? = nil) throws -> RuleScorer {
        let (table, schema) = try load()
        return try RuleScorer(rules: try RuleSet.parse(yaml, source: "rules.yaml"), table: table, schema: schema, asOf: Self.asOf, events: events)
    }

    /// Which of the four leads a single condition fires on.
    func fires(_ condition: String) throws -> [Bool] {
        try scorer(rule(condition)).scoreAll().map { $0.total == 1 }
    }

    func testEachConditionKind() throws {
        XCTAssertEqual(try fires("{column: industry, equals: software}"), [true, false, false, false])
        XCTAssertEqual(try fires("{column: size, equals: 300}"), [true, false, false, false])
        XCTAssertEqual(try fires("{column: industry, in: [Software, \"healthcare \"]}"), [true, false, true, false])
        XCTAssertEqual(try fires("{column: title, contains: SALES}"), [true, false, false, false])
        XCTAssertEqual(try fires("{column: title, matches: \"(?i)\\\\b(vp|director)\\\\b\"}"), [true, false, true, false])
        XCTAssertEqual(try fires("{column: size, between: [50, 300]}"), [true, false, false, true])
        XCTAssertEqual(try fires("{column: size, greater: 300}"), [false, false, true, false])
        XCTAssertEqual(try fires("{column: size, greater_or_equal: 300}"), [true, false, true, false])
        XCTAssertEqual(try fires("{column: size, less: 300}"), [false, false, false, true])
        XCTAssertEqual(try fires("{column: size, less_or_equal: 300}"), [true, false, false, true])
        XCTAssertEqual(try fires("{column: size, missing: true}"), [false, true, false, false])
        XCTAssertEqual(try fires("{column: size, present: true}"), [true, false, true, true])
        XCTAssertEqual(try fires("{column: demo, is: true}"), [true, false, false, true])
        XCTAssertEqual(try fires("{column: demo, is: false}"), [false, true, true, false])
        XCTAssertEqual(try fires("{column: demo, equals: yes}"), [true, false, false, true])
        XCTAssertEqual(try fires("{all: [{column: demo, is: true}, {column: visits, greater: 1}]}"), [true, false, false, false])
        XCTAssertEqual(try fires("{any: [{column: size, missing: true}, {column: visits, greater: 10}]}"), [false, true, true, false])
        XCTAssertEqual(try fires("{not: {column: industry, in: [Software, Retail]}}"), [false, true, true, false])
        // A missing value satisfies no comparison, and so satisfies its negation.
        XCTAssertEqual(try fires("{not: {column: size, less: 1000}}"), [false, true, true, false])
    }

    static let fitAndEngagement = """
    version: 1
    groups:
      fit:
        max: 30
        min: -10
        rules:
          - when: {column: title, matches: "(?i)\\\\b(vp|director)\\\\b"}
            points: 20
          - when: {column: size, between: [200, 5000]}
            points: 15
          - when: {column: industry, in: [software, Healthcare]}
            points: 5
          - when: {column: title, equals: student}
            points: -25
      engagement:
        decay: {half_life_days: 30, since: last_active}
        rules:
          - when: {column: demo, is: true}
            points: 40
          - per: {column: visits, points: 2, max: 10}
    tiers: {mql: 20, sql: 50}
    grade: {group: fit, A: 30, B: 15, C: 5}
    """

    /// Worked by hand: A fit 20+15+5 = 40 capped to 30 (grade A), engagement (40 + 3×2) × ½
    /// (30 days, half-life 30) = 23, total 53 (SQL). B fit −25 floored to −10 (D), no date so no
    /// decay, total −10 (Cold). C fit 25 (B), visits 12×2 capped to 10, × ¼ (60 days) = 2.5,
    /// total 27.5 (MQL). D fit 0 (D), (40 + 2) × 1 = 42 (MQL).
    func testCapsDecayGradesAndTiers() throws {
        let scores = try scorer(Self.fitAndEngagement).scoreAll()
        XCTAssertEqual(scores.map(\.groups), [[30, 23], [-10, 0], [25, 2.5], [0, 42]])
        XCTAssertEqual(scores.map(\.total), [53, -10, 27.5, 42])
        XCTAssertEqual(scores.map(\.grade), ["A", "D", "B", "D"])
        XCTAssertEqual(scores.map(\.tier), [.sql, .cold, .mql, .mql])
        // Which rules fired, with their points before the group's cap.
        XCTAssertEqual(scores[0].fired.map(\.rule), [0, 1, 2, 4, 5])
        XCTAssertEqual(scores[0].fired.map(\.points), [20, 15, 5, 20, 3])
        XCTAssertEqual(scores[2].fired.map(\.points), [20, 5, 2.5])
    }

    func testLinearDecay() throws {
        let yaml = Self.fitAndEngagement.replacingOccurrences(of: "half_life_days: 30", with: "linear_days: 120")
        let scores = try scorer(yaml).scoreAll()
        // A: 46 × (1 − 30/120) = 34.5; C: 10 × (1 − 60/120) = 5; D: 42 × 1.
        XCTAssertEqual(scores.map { $0.groups[1] }, [34.5, 0, 5, 42])
        let factor = Decay(curve: .linear(days: 120), since: nil)
        XCTAssertEqual(factor.factor(days: 200), 0)
        XCTAssertEqual(factor.factor(days: -5), 1)
        XCTAssertEqual(Decay(curve: .halfLife(days: 30), since: nil).factor(days: 90), 0.125, accuracy: 1e-15)
    }

    func testEventWindowsValuesAndDecay() throws {
        let path = writeTemp("""
        id,activity,timestamp,value
        A,webinar_attended,2026-10-02T00:00:00Z,
        A,Webinar_Attended,2026-05-01T10:00:00Z,
        A,page_view,2026-10-31T00:00:00Z,3
        C,webinar_attended,2026-11-05T00:00:00Z,
        B,webinar_attended,2026-11-01T10:00:00Z,
        D,page_view,2026-10-01T00:00:00Z,

        """, name: "events.csv")
        let log = try EventLog.read(path: path)
        XCTAssertEqual(log.count, 6)
        let s = try scorer("""
        version: 1
        groups:
          activity:
            max: 100
            decay: {half_life_days: 30}
            rules:
              - on: {activity: webinar_attended, points: 10, within_days: 90}
              - on: {activity: page_view, points: 2, per_value: true, max: 5}
        tiers: {mql: 5, sql: 50}
        """, events: log)
        let scores = s.scoreAll()
        // A: the webinar 30 days ago gives 10 × ½; the one 184 days ago is outside the window;
        // 3 pages a day ago give 2 × 3 × ½^(1/30), capped at 5. C's webinar is after the as-of
        // date. D's page view has no value (1 unit), 31 days ago: 2 × ½^(31/30).
        XCTAssertEqual(scores[0].total, 5 + 5, accuracy: 1e-12)
        XCTAssertEqual(scores[2].total, 0)
        XCTAssertEqual(scores[3].total, 2 * pow(0.5, 31.0 / 30), accuracy: 1e-12)
        // B's webinar at 10:00 on the as-of day counts in full (the as-of date includes its day).
        XCTAssertEqual(scores[1].total, 10)
        XCTAssertEqual(scores.map(\.tier), [.mql, .mql, .cold, .cold])
    }

    func testEventRulesWithoutALogAreAnError() throws {
        XCTAssertThrowsError(try scorer("""
        version: 1
        groups:
          a:
            rules:
              - on: {activity: webinar, points: 10}
        tiers: {mql: 5, sql: 50}
        """)) { error in
            let e = error as! RuleError
            XCTAssertEqual(e.line, 5)
            XCTAssertTrue(e.message.contains("--events"), e.message)
        }
    }

    func error(_ yaml: String) throws -> RuleError {
        do {
            _ = try scorer(yaml)
        } catch let e as RuleError {
            return e
        }
        XCTFail("no error for:\n\(yaml)")
        return RuleError(file: "", line: 0, "")
    }

    func rule(_ condition: String) -> String {
        """
        version: 1
        groups:
          g:
            rules:
              - when: \(condition)
                points: 1
        tiers: {mql: 1, sql: 2}
        """
    }

    func testUnknownColumnNamesItsLineAndTheClosestColumns() throws {
        let e = try error(rule("{column: titel, equals: VP}"))
        XCTAssertEqual(e.line, 5)
        XCTAssertEqual(e.column, 24)
        XCTAssertTrue(e.message.contains("no column named 'titel'"), e.message)
        XCTAssertTrue(e.message.contains("did you mean 'title'"), e.message)
        XCTAssertTrue(e.localizedDescription.hasPrefix("rules.yaml:5:24: "), e.localizedDescription)
    }

    func testTestsThatDoNotFitTheColumnType() throws {
        XCTAssertTrue(try error(rule("{column: size, matches: \"5\"}")).message.contains("'matches' tests text, but 'size' is numeric"))
        XCTAssertTrue(try error(rule("{column: industry, between: [1, 2]}")).message.contains("'between' needs a numeric column"))
        XCTAssertTrue(try error(rule("{column: industry, is: true}")).message.contains("needs a yes/no column"))
        XCTAssertTrue(try error(rule("{column: size, equals: big}")).message.contains("'size' is numeric"))
        XCTAssertTrue(try error(rule("{column: demo, equals: maybe}")).message.contains("yes/no column"))
        let since = try error("""
        version: 1
        groups:
          g:
            decay: {half_life_days: 30, since: industry}
            rules:
              - when: {column: demo, is: true}
                points: 1
        tiers: {mql: 1, sql: 2}
        """)
        XCTAssertEqual(since.line, 4)
        XCTAssertTrue(since.message.contains("needs a date column"), since.message)
    }

    func testFileErrors() throws {
        let syntax = try error("version: 1\ngroups:\n  g: [unclosed\n")
        XCTAssertTrue(syntax.message.hasPrefix("YAML syntax error"), syntax.message)
        XCTAssertGreaterThan(syntax.line, 0)
        XCTAssertGreaterThan(syntax.column, 0)
        let unknownTest = try error(rule("{column: title, equal: VP}"))
        XCTAssertTrue(unknownTest.message.contains("unknown test 'equal'; did you mean 'equals'"), unknownTest.message)
        let unknownKey = try error(rule("{column: title, equals: VP}").replacingOccurrences(of: "tiers:", with: "tier: {mql: 1}\ntiers:"))
        XCTAssertTrue(unknownKey.message.contains("unknown key 'tier'"), unknownKey.message)
        let version = try error(rule("{column: title, equals: VP}").replacingOccurrences(of: "version: 1", with: "version: 9"))
        XCTAssertTrue(version.message.contains("version 9"), version.message)
        let regex = try error(rule("{column: title, matches: \"(unclosed\"}"))
        XCTAssertTrue(regex.message.contains("'(unclosed' is not a pattern leadscore runs: missing ')'"), regex.message)
        let tiers = try error(rule("{column: title, equals: VP}").replacingOccurrences(of: "{mql: 1, sql: 2}", with: "{mql: 5, sql: 2}"))
        XCTAssertTrue(tiers.message.contains("below the MQL threshold"), tiers.message)
    }

    func testNumbersWrittenInRulesMatchTextAsWritten() throws {
        let path = writeTemp("code,y\n1.50,1\nA2,0\nB,0\n02134,1\n")
        let (table, schema) = try DataSource(path: path).load()
        let rules = try RuleSet.parse("""
        version: 1
        groups:
          g:
            rules:
              - when: {column: code, in: [1.50, 02134]}
                points: 1
        tiers: {mql: 1, sql: 2}
        """, source: "r.yaml")
        let scorer = try RuleScorer(rules: rules, table: table, schema: schema, asOf: 0)
        XCTAssertEqual(scorer.scoreAll().map(\.total), [1, 0, 0, 1])
    }

    /// A number declared missing (`-1`) is missing for numeric tests too: it satisfies no
    /// comparison, as an empty cell does, and `missing: true` finds it.
    func testNumbersThatAreMissingTokensSatisfyNoComparison() throws {
        var source = DataSource(path: writeTemp("id,visits\nA,-1\nB,2\nC,5\nD,\n"))
        source.missingTokens = MissingTokens.defaults + ["-1"]
        let (table, schema) = try source.load()
        func fires(_ condition: String) throws -> [Bool] {
            let rules = try RuleSet.parse(rule(condition), source: "r.yaml")
            return try RuleScorer(rules: rules, table: table, schema: schema, asOf: 0).scoreAll().map { $0.total == 1 }
        }
        XCTAssertEqual(try fires("{column: visits, less: 3}"), [false, true, false, false])
        XCTAssertEqual(try fires("{column: visits, between: [-5, 10]}"), [false, true, true, false])
        XCTAssertEqual(try fires("{column: visits, missing: true}"), [true, false, false, true])
    }

    func testJSONRulesAreAccepted() throws {
        let s = try scorer("""
        {"version": 1, "groups": {"g": {"rules": [{"when": {"column": "demo", "is": true}, "points": 40}]}},
         "tiers": {"mql": 20, "sql": 50}}
        """)
        XCTAssertEqual(s.scoreAll().map(\.total), [40, 0, 0, 40])
    }

    /// The comparison on ten leads, counted by hand in the comments.
    func testComparisonNumbers() {
        let p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
        let y: [Double] = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]
        let points: [Double] = [10, 50, 50, 0, 60, 0, 20, 0, 30, 0]
        let aiTiers = p.map(TierThresholds(mql: 0.5, sql: 0.75, method: "test").tier)
        let ruleSet = RuleSet(version: 1, groups: [], mql: 20, sql: 50, grade: nil, source: "r")
        let r = ComparisonReport(probabilities: p, aiTiers: aiTiers, points: points, ruleTiers: points.map(ruleSet.tier), labels: y,
                                 ids: (0..<10).map { "L\($0)" }, lines: Array(2...11), capacity: 3)
        // Model: positives 0.9, 0.8, 0.6, 0.3 outrank 6 + 6 + 5 + 3 of the 24 pairs.
        XCTAssertEqual(r.ai.auc, 20.0 / 24, accuracy: 1e-12)
        // Rules: 10 beats 3 zeros; 50 beats 4 and ties 1; 0 ties 3; 20 beats 3: 12 of 24.
        XCTAssertEqual(r.rules.auc, 0.5, accuracy: 1e-12)
        // Top 3: the model's 0.9, 0.8, 0.7 hold 2; the rules' 60, 50, 50 hold 1; random 3 × 0.4.
        XCTAssertEqual(r.ai.capacityConversions, 2)
        XCTAssertEqual(r.rules.capacityConversions, 1)
        XCTAssertEqual(r.randomConversions, 1.2, accuracy: 1e-12)
        XCTAssertEqual(r.verdict, "With 3 calls, the model finds 2 conversions, the rules 1, random 1.")
        // Top 10% = 1 lead: the model's converted (lift 1 / 0.4), the rules' did not.
        XCTAssertEqual(r.ai.liftAt10, 2.5, accuracy: 1e-12)
        XCTAssertEqual(r.rules.liftAt10, 0)
        // Tiers: model SQL {0, 1}, MQL {2, 3, 4}, Cold the rest; rules SQL {1, 2, 4}, MQL {6, 8}.
        XCTAssertEqual(r.ai.tiers.map(\.count), [2, 3, 5])
        XCTAssertEqual(r.ai.tiers.map(\.conversions), [2, 1, 1])
        XCTAssertEqual(r.rules.tiers.map(\.count), [3, 2, 5])
        XCTAssertEqual(r.rules.tiers.map(\.conversions), [1, 1, 2])
        XCTAssertEqual(r.ai.wastedSQL, 0)
        XCTAssertEqual(r.rules.wastedSQL, 2)
        XCTAssertEqual(r.ai.missedInCold, 1)
        XCTAssertEqual(r.rules.missedInCold, 2)
        func cell(_ rules: Tier, _ ai: Tier) -> ComparisonReport.Cell { r.agreement.first { $0.rules == rules.rawValue && $0.ai == ai.rawValue }! }
        XCTAssertEqual(cell(.sql, .sql).count, 1)
        XCTAssertEqual(cell(.sql, .sql).conversionRate, 1)
        XCTAssertEqual(cell(.sql, .mql).count, 2)
        XCTAssertEqual(cell(.sql, .mql).conversionRate, 0)
        XCTAssertEqual(cell(.mql, .cold).count, 2)
        XCTAssertEqual(cell(.mql, .cold).conversionRate, 0.5)
        XCTAssertEqual(cell(.cold, .sql).count, 1)
        XCTAssertEqual(cell(.cold, .cold).count, 3)
        XCTAssertEqual(r.agreement.map(\.count).reduce(0, +), 10)
        // Largest rank gaps: lead 0 (model 95th percentile, rules 45th) and lead 8 (15th vs 65th).
        XCTAssertEqual(Set(r.disagreements.prefix(2).map(\.id)), ["L0", "L8"])
        XCTAssertEqual(r.disagreements[0].aiPercentile - r.disagreements[0].rulePercentile, r.disagreements[0].id == "L0" ? 50 : -50)
        XCTAssertEqual(r.disagreements.count, 10)
    }

    func testSuggestedScorecardRoundTripsThroughTheRulesFormat() throws {
        let path = temporaryDirectory() + "/history.csv"
        try CRMGenerator(seed: 11).write(leads: 4000, to: path)
        let (table, schema) = try DataSource(path: path).load(target: "converted")
        let spec = try TargetSpec(column: "converted").resolved(column: table.columns[table.index(of: "converted")!], missing: schema.missingTokens, file: path)
        let labels = try Labels(table: table, spec: spec, missing: schema.missingTokens)
        let card = try ScorecardBuilder().build(table: table, schema: schema, rows: labels.rows, y: labels.y, source: "suggested.yaml")
        XCTAssertGreaterThan(card.attributes.count, 10)
        XCTAssertTrue(card.attributes.allSatisfy { $0.points == $0.points.rounded() && $0.points != 0 })
        // Written, read back and scored: the same points as the attributes say.
        let reread = try RuleSet.parse(card.rules.yaml(header: ["test"]), source: "suggested.yaml")
        let scorer = try RuleScorer(rules: reread, table: table, schema: schema, asOf: 0)
        let totals = labels.rows.map { scorer.score(row: $0).total }
        let original = try RuleScorer(rules: card.rules, table: table, schema: schema, asOf: 0)
        XCTAssertEqual(totals, labels.rows.map { original.score(row: $0).total })
        // A demo request is the strongest signal the generator plants: it must earn points.
        XCTAssertTrue(card.attributes.contains { $0.column == "demo_requested" && $0.points >= 20 }, "\(card.attributes.map { ($0.condition.text, $0.points) })")
        XCTAssertGreaterThan(Metrics.rocAUC(totals, labels.y), 0.75)
    }
}
