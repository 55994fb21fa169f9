import Foundation
import XCTest

/// End-to-end tests of `rules check | score | suggest`, `compare` and `generate --events`.
extension CLITests {
    static var rulesExample: String { repoRoot.appendingPathComponent("datasets/rules-example.yaml").path }
    /// Hand-written rules for the X Education export, the way its sales team might score leads
    /// without a model. The data itself is only ever read from ../shared/datasets/.
    static let xeducationRules = """
    # Hand-written rules for the X Education export (../shared/datasets/xeducation-leads.csv), the
    # way its sales team might score leads without a model: used by the tests, never trained.
    version: 1
    groups:
      fit:
        max: 40
        rules:
          - when: {column: "What is your current occupation", equals: Working Professional}
            points: 25
          - when: {column: "What is your current occupation", equals: Student}
            points: -5
          - when: {column: "Lead Origin", equals: Lead Add Form}
            points: 20
          - when: {column: "Lead Source", in: [Reference, Welingak Website]}
            points: 10
          - when: {column: "Specialization", missing: true}
            points: -5
      engagement:
        max: 60
        rules:
          - when: {column: "Total Time Spent on Website", greater_or_equal: 1000}
            points: 30
          - when: {column: "Total Time Spent on Website", between: [400, 999]}
            points: 12
          - when: {column: "TotalVisits", greater_or_equal: 5}
            points: 5
          - when: {column: "Last Activity", equals: SMS Sent}
            points: 20
          - when: {column: "Last Activity", in: [Email Opened, Page Visited on Website]}
            points: 5
          - when: {column: "Last Activity", in: [Olark Chat Conversation, Email Bounced, Converted to Lead]}
            points: -10
          - when: {column: "Do Not Email", is: true}
            points: -15
    tiers: {mql: 30, sql: 55}
    grade: {group: fit, A: 30, B: 15, C: 5}
    """

    func csvRows(_ path: String) -> [[String]] {
        read(path).split(separator: "\n").map { line in
            // Test files here have no quoted commas except in the last column, which is not read.
            line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    func testRulesCheckScoreAndCompare() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "3000", "--seed", "8", "--out", "\(dir)/history.csv"]).status, 0)
        let check = try run(["rules", "check", "--rules", Self.rulesExample, "--data", "\(dir)/history.csv", "--as-of", "2026-11-01"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("valid: 2 groups, 15 rules"), check.stdout)
        XCTAssertTrue(check.stdout.contains("fires on"), check.stdout)

        let score = try run(["rules", "score", "--rules", Self.rulesExample, "--data", "\(dir)/history.csv", "--as-of", "2026-11-01",
                             "--out", "\(dir)/scored.csv"])
        XCTAssertEqual(score.status, 0, score.stderr)
        let rows = csvRows("\(dir)/scored.csv")
        XCTAssertEqual(Array(rows[0]), ["lead_id", "points", "points_fit", "points_engagement", "grade", "tier", "rules_fired"])
        XCTAssertEqual(rows.count, 3001)
        for row in rows.dropFirst().prefix(200) {
            // The total is the sum of the groups, each within its cap; the tier follows the total.
            let total = Double(row[1])!, fit = Double(row[2])!, engagement = Double(row[3])!
            XCTAssertEqual(total, fit + engagement, accuracy: 1e-3)
            XCTAssertLessThanOrEqual(fit, 50)
            XCTAssertLessThanOrEqual(engagement, 100)
            XCTAssertEqual(row[5], total >= 60 ? "SQL" : total >= 35 ? "MQL" : "Cold")
            XCTAssertEqual(row[4], fit >= 35 ? "A" : fit >= 20 ? "B" : fit >= 10 ? "C" : "D")
        }

        let train = try run(["train", "--data", "\(dir)/history.csv", "--target", "converted", "--model", "logistic", "--out", "\(dir)/m.json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let compare = try run(["compare", "--model", "\(dir)/m.json", "--rules", Self.rulesExample, "--data", "\(dir)/history.csv",
                               "--as-of", "2026-11-01", "--capacity", "300"])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        XCTAssertTrue(compare.stdout.contains("With 300 calls, the model finds"), compare.stdout)
        XCTAssertTrue(compare.stdout.contains("Agreement"), compare.stdout)
        let json = try run(["compare", "--model", "\(dir)/m.json", "--rules", Self.rulesExample, "--data", "\(dir)/history.csv",
                            "--as-of", "2026-11-01", "--capacity", "300", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["capacity"] as? Int, 300)
        XCTAssertEqual((report["agreement"] as! [Any]).count, 9)
        let ai = report["ai"] as! [String: Any], rules = report["rules"] as! [String: Any]
        // The model is fitted on these leads; common-practice rules should still rank them well above chance.
        XCTAssertGreaterThan(ai["auc"] as! Double, rules["auc"] as! Double)
        XCTAssertGreaterThan(rules["auc"] as! Double, 0.6)
        XCTAssertGreaterThan(rules["capacityConversions"] as! Double, report["randomConversions"] as! Double)
    }

    func testRulesErrorsNameTheLineAndExitWith65() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "200", "--out", "\(dir)/leads.csv"]).status, 0)
        write("""
        version: 1
        groups:
          fit:
            rules:
              - when: {column: job_titel, matches: "VP"}
                points: 20
        tiers: {mql: 10, sql: 20}
        """, "\(dir)/bad.yaml")
        let r = try run(["rules", "check", "--rules", "\(dir)/bad.yaml", "--data", "\(dir)/leads.csv"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("bad.yaml:5:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("no column named 'job_titel'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'job_title'"), r.stderr)
        write("version: 1\ngroups:\n  fit: {rules: [\n", "\(dir)/syntax.yaml")
        let s = try run(["rules", "check", "--rules", "\(dir)/syntax.yaml", "--data", "\(dir)/leads.csv"])
        XCTAssertEqual(s.status, 65)
        XCTAssertTrue(s.stderr.contains("syntax.yaml:") && s.stderr.contains("YAML syntax error"), s.stderr)
        // A failed scoring run leaves no output behind.
        let out = try run(["rules", "score", "--rules", "\(dir)/bad.yaml", "--data", "\(dir)/leads.csv", "--out", "\(dir)/out.csv"])
        XCTAssertEqual(out.status, 65)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/out.csv"))
    }

    func testGeneratedEventsAgreeWithTheLeadsAndScore() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "400", "--seed", "3", "--out", "\(dir)/plain.csv"]).status, 0)
        let g = try run(["generate", "--leads", "400", "--seed", "3", "--out", "\(dir)/leads.csv", "--events", "\(dir)/events.csv"])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertEqual(read("\(dir)/plain.csv"), read("\(dir)/leads.csv"), "the leads file must not change with --events")
        let leads = csvRows("\(dir)/leads.csv"), events = csvRows("\(dir)/events.csv")
        XCTAssertEqual(events[0], ["lead_id", "activity", "timestamp", "value"])
        let h = leads[0]
        func col(_ name: String) -> Int { h.firstIndex(of: name)! }
        var counts: [String: [String: Int]] = [:], latest: [String: String] = [:]
        for e in events.dropFirst() {
            counts[e[0], default: [:]][e[1], default: 0] += 1
            let day = String(e[2].prefix(10))
            if day > latest[e[0], default: ""] { latest[e[0]] = day }
        }
        for lead in leads.dropFirst() {
            let id = lead[col("lead_id")], c = counts[id] ?? [:]
            XCTAssertEqual(c["website_visit", default: 0], Int(lead[col("website_visits")])!, id)
            XCTAssertEqual(c["pricing_page_view", default: 0], Int(lead[col("pricing_page_views")])!, id)
            XCTAssertEqual(c["email_clicked", default: 0], Int(lead[col("emails_clicked")])!, id)
            XCTAssertEqual(c["demo_requested", default: 0], lead[col("demo_requested")] == "Yes" ? 1 : 0, id)
            let last = lead[col("last_activity_date")]
            if !last.isEmpty { XCTAssertEqual(latest[id], last, id) }
        }
        write("""
        version: 1
        groups:
          engagement:
            max: 100
            decay: {half_life_days: 30}
            rules:
              - on: {activity: demo_requested, points: 40, within_days: 180}
              - on: {activity: pricing_page_view, points: 5, max: 20}
              - on: {activity: website_visit, points: 1, per_value: true, max: 10}
        tiers: {mql: 10, sql: 40}
        """, "\(dir)/events.yaml")
        let score = try run(["rules", "score", "--rules", "\(dir)/events.yaml", "--data", "\(dir)/leads.csv", "--events", "\(dir)/events.csv",
                             "--as-of", "2026-11-01", "--out", "\(dir)/scored.csv", "--json"])
        XCTAssertEqual(score.status, 0, score.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(summary["leads"] as? Int, 400)
        XCTAssertGreaterThan((summary["meanPoints"] as! [String: Double])["engagement"]!, 0)
        let missing = try run(["rules", "score", "--rules", "\(dir)/events.yaml", "--data", "\(dir)/leads.csv", "--out", "\(dir)/x.csv"])
        XCTAssertEqual(missing.status, 65)
        XCTAssertTrue(missing.stderr.contains("--events"), missing.stderr)
    }

    func testSuggestedRulesPassCheckAndScore() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "3000", "--seed", "21", "--out", "\(dir)/history.csv"]).status, 0)
        let s = try run(["rules", "suggest", "--data", "\(dir)/history.csv", "--target", "converted", "--out", "\(dir)/suggested.yaml", "--json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as! [String: Any]
        let cardAUC = summary["scorecardHoldoutAUC"] as! Double, modelAUC = summary["modelHoldoutAUC"] as! Double
        XCTAssertGreaterThan(cardAUC, 0.7)
        XCTAssertLessThan(cardAUC, modelAUC + 0.02)
        XCTAssertTrue(read("\(dir)/suggested.yaml").contains("Holdout ROC AUC"))
        let check = try run(["rules", "check", "--rules", "\(dir)/suggested.yaml", "--data", "\(dir)/history.csv"])
        XCTAssertEqual(check.status, 0, check.stderr)
        let score = try run(["rules", "score", "--rules", "\(dir)/suggested.yaml", "--data", "\(dir)/history.csv", "--out", "\(dir)/s.csv"])
        XCTAssertEqual(score.status, 0, score.stderr)
    }

    /// Hand-written rules for X Education (`xeducationRules`) against the model on the held-out
    /// fifth: the rules must beat chance clearly, and the model the rules.
    func testXEducationHandWrittenRules() throws {
        try requireXEducation()
        let (dir, train, test) = try xeducationSplit()
        let rulesFile = "\(dir)/xeducation-rules.yaml"
        write(Self.xeducationRules, rulesFile)
        let check = try run(["rules", "check", "--rules", rulesFile, "--data", Self.xeducation])
        XCTAssertEqual(check.status, 0, check.stderr)
        let t = try run(["train", "--data", train, "--target", "Converted", "--drop", Self.leaking, "--model", "logistic", "--out", "\(dir)/m.json"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let c = try run(["compare", "--model", "\(dir)/m.json", "--rules", rulesFile, "--data", test, "--json"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as! [String: Any]
        let ai = (report["ai"] as! [String: Any])["auc"] as! Double, rules = (report["rules"] as! [String: Any])["auc"] as! Double
        XCTAssertGreaterThan(rules, 0.75)
        XCTAssertGreaterThan(ai, rules)
    }
}
