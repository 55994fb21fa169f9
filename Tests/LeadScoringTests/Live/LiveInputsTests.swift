import Foundation
import XCTest
@testable import LeadScoring

/// The service's inputs from events, its configuration file, durations, and `features`.
final class LiveInputsTests: XCTestCase {
    let day = 86_400.0
    let t0 = 1_780_000_000.0  // a fixed "now"

    func events() -> [EventLog.Event] {
        [EventLog.Event(activity: "website_visit", time: t0 - 2 * day, value: 3),
         EventLog.Event(activity: "website_visit", time: t0 - 40 * day, value: 5, properties: ["page": "Pricing"]),
         EventLog.Event(activity: "website_visit", time: t0 + day),  // after the moment: not counted
         EventLog.Event(activity: "webinar_attended", time: t0 - 10 * day, properties: ["topic": "pricing"])]
    }

    func testDurations() {
        XCTAssertEqual(Durations.seconds("90d"), 90 * 86_400)
        XCTAssertEqual(Durations.seconds("12h"), 43_200)
        XCTAssertEqual(Durations.seconds("30m"), 1_800)
        XCTAssertEqual(Durations.seconds("45s"), 45)
        XCTAssertEqual(Durations.seconds("1.5h"), 5_400)
        for bad in ["", "d", "-3d", "10x", "nand", "1e400s", "0s"] { XCTAssertNil(Durations.seconds(bad), bad) }
    }

    func testAggregatesWindowsAndFilters() {
        let e = events()
        XCTAssertEqual(ActivityInput(name: "v", aggregate: .count, activity: "Website_Visit").value(e, at: t0), "2")
        XCTAssertEqual(ActivityInput(name: "v", aggregate: .count, activity: "website_visit", within: 30 * day).value(e, at: t0), "1")
        XCTAssertEqual(ActivityInput(name: "v", aggregate: .sum, activity: "website_visit").value(e, at: t0), "8")
        XCTAssertEqual(ActivityInput(name: "v", aggregate: .count, activity: "website_visit", conditions: ["page": "pricing"]).value(e, at: t0), "1")
        XCTAssertEqual(ActivityInput(name: "w", aggregate: .exists, activity: "webinar_attended").value(e, at: t0), "Yes")
        XCTAssertEqual(ActivityInput(name: "w", aggregate: .exists, activity: "webinar_attended").value(e, at: t0 - 20 * day), "No")
        let latest = ActivityInput(name: "l", aggregate: .latest, activity: nil).value(e, at: t0)
        XCTAssertEqual(DateParser.parse(latest), t0 - 2 * day)
        XCTAssertEqual(ActivityInput(name: "l", aggregate: .latest, activity: "demo").value(e, at: t0), "")
        // The window's next change: the newest counted visit leaves a 30-day window at t-2d+30d.
        let windowed = ActivityInput(name: "v", aggregate: .count, activity: "website_visit", within: 30 * day)
        XCTAssertEqual(windowed.nextChange(e, after: t0), t0 + 28 * day)
        XCTAssertNil(ActivityInput(name: "v", aggregate: .count, activity: "website_visit").nextChange(e, after: t0))
    }

    func testConfigurationReadsTheIssuesExampleAndNamesLinesOfErrors() throws {
        let c = try ServiceConfiguration.parse("""
        store: leadscore.db
        model: models/            # a registry folder
        rules: rules.yaml
        tier_from: higher
        inputs:
          website_visits:     {count: website_visit, within: 90d}
          pricing_page_views: {count: pricing_page_view}
          webinar_attended:   {exists: webinar_attended}
          emails_opened:      {count: email_opened, within: 30d, where: {campaign: Spring}}
          last_activity_date: {latest: any}
        hysteresis: 0.02
        """, file: "/srv/ls/service.yaml")
        XCTAssertEqual(c.store, "/srv/ls/leadscore.db")
        XCTAssertEqual(c.model, "/srv/ls/models/")
        XCTAssertEqual(c.tierFrom, .higher)
        XCTAssertEqual(c.hysteresis, 0.02)
        XCTAssertEqual(c.inputs.map(\.name), ["website_visits", "pricing_page_views", "webinar_attended", "emails_opened", "last_activity_date"])
        XCTAssertEqual(c.inputs[0].within, 90 * day)
        XCTAssertEqual(c.inputs[3].conditions, ["campaign": "spring"])
        XCTAssertNil(c.inputs[4].activity)
        XCTAssertEqual(c.inputs[2].line, 8)
        for (yaml, line, text) in [("model: m.json\ninputs:\n  v: {count: visit, within: soon}\n", 3, "duration"),
                                   ("model: m.json\ntier_from: best\n", 2, "tier_from"),
                                   ("model: m.json\ninptus: {}\n", 2, "inputs"),
                                   ("model: m.json\ninputs:\n  v: {count: a, exists: b}\n", 3, "two aggregates"),
                                   ("model: m.json\nport: 99999\n", 2, "port")] {
            XCTAssertThrowsError(try ServiceConfiguration.parse(yaml, file: "s.yaml"), yaml) { error in
                let message = (error as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(message.contains("s.yaml:\(line)") && message.contains(text), message)
            }
        }
    }

    func testEventRulesTakeDurations() throws {
        let rules = try RuleSet.parse("""
        version: 1
        groups:
          engagement:
            rules:
              - on: {activity: demo_requested, points: 30, within: 12h}
        tiers: {mql: 10, sql: 25}
        """, source: "rules.yaml")
        guard case let .on(_, _, within, _, _) = rules.groups[0].rules[0].kind else { return XCTFail("not an event rule") }
        XCTAssertEqual(within ?? 0, 0.5, accuracy: 1e-12, "12 hours are half a day")
        XCTAssertThrowsError(try RuleSet.parse("""
        version: 1
        groups:
          g:
            rules:
              - on: {activity: demo, points: 30, within: 12h, within_days: 2}
        tiers: {mql: 10, sql: 25}
        """, source: "rules.yaml"))
    }

    func testFeaturesCountOnlyEventsUpToEachLeadsDate() throws {
        let dir = temporaryDirectory()
        let leads = dir + "/leads.csv", events = dir + "/events.csv", out = dir + "/table.csv"
        try """
        lead_id,created,country,website_visits
        A,2026-03-10,DE,99
        B,2026-03-01,FR,99
        C,2026-03-10,IT,
        """.write(toFile: leads, atomically: true, encoding: .utf8)
        try """
        lead_id,activity,timestamp,value,campaign
        A,website_visit,2026-03-01T10:00:00Z,,spring
        A,website_visit,2026-03-10T23:00:00Z,,spring
        A,website_visit,2026-03-11T09:00:00Z,,spring
        A,webinar_attended,2026-02-01T09:00:00Z,,
        B,website_visit,2026-03-05T10:00:00Z,,autumn
        """.write(toFile: events, atomically: true, encoding: .utf8)
        let inputs = [ActivityInput(name: "website_visits", aggregate: .count, activity: "website_visit"),
                      ActivityInput(name: "spring_visits", aggregate: .count, activity: "website_visit", conditions: ["campaign": "Spring"]),
                      ActivityInput(name: "webinar", aggregate: .exists, activity: "webinar_attended")]
        let s = try FeatureTable.build(leads: leads, events: events, inputs: inputs, asOf: .column("created"), out: out)
        XCTAssertEqual(s.leads, 3)
        XCTAssertEqual(s.leadsWithEvents, 2)
        let (header, records) = try readAll(out)
        XCTAssertEqual(header, ["lead_id", "created", "country", "website_visits", "spring_visits", "webinar"])
        // A's visit on the 11th is after its date; the one late on the 10th counts (whole day).
        XCTAssertEqual(records.map(\.fields), [["A", "2026-03-10", "DE", "2", "2", "Yes"],
                                               ["B", "2026-03-01", "FR", "0", "0", "No"],
                                               ["C", "2026-03-10", "IT", "0", "0", "No"]])
        XCTAssertThrowsError(try FeatureTable.build(leads: leads, events: events, inputs: inputs, asOf: .column("country"), out: out)) { error in
            XCTAssertTrue("\(error)".contains("leads.csv") && "\(error)".contains("DE"), "\(error)")
        }
    }
}

final class HysteresisTests: XCTestCase {
    func testATierMovesOnlyPastTheMargin() {
        let t = TierThresholds(mql: 0.3, sql: 0.6, method: "test")
        func tier(_ previous: Tier, _ p: Double) -> Tier {
            Hysteresis.tier(previous: previous, proposed: t.tier(p), probability: p, thresholds: t, margin: 0.02)
        }
        XCTAssertEqual(tier(.mql, 0.61), .mql, "just over the SQL threshold: stays MQL")
        XCTAssertEqual(tier(.mql, 0.62), .sql)
        XCTAssertEqual(tier(.sql, 0.59), .sql, "just under: stays SQL")
        XCTAssertEqual(tier(.sql, 0.579), .mql)
        XCTAssertEqual(tier(.cold, 0.9), .sql, "a big jump goes all the way")
        XCTAssertEqual(tier(.sql, 0.1), .cold)
        XCTAssertEqual(tier(.sql, 0.29), .mql, "falls below SQL by the margin, not below MQL by it")
        XCTAssertEqual(Hysteresis.tier(previous: .mql, proposed: .sql, probability: 0.61, thresholds: t, margin: 0), .sql)
    }

    /// With `tier_from: higher` the model's part is settled and the rules' tier lifts at once;
    /// with `rules` nothing is settled.
    func testSettlingFollowsTierFrom() {
        let t = TierThresholds(mql: 0.3, sql: 0.6, method: "test")
        func score(_ p: Double, rules: Tier?, _ from: ServiceConfiguration.TierSource) -> LiveScore {
            let model = t.tier(p)
            let tier = from == .rules ? rules ?? model : from == .higher ? max(model, rules ?? model) : model
            return LiveScore(probability: p, score: Int(p * 100), tier: tier, modelTier: model, points: nil,
                             rulesTier: rules, grade: nil, reasons: [], modelVersion: "v1", asOf: 0)
        }
        func settled(_ previous: Tier, _ p: Double, rules: Tier?, _ from: ServiceConfiguration.TierSource) -> Tier {
            Hysteresis.settled(score(p, rules: rules, from), previous: previous, thresholds: t, margin: 0.02, tierFrom: from).tier
        }
        XCTAssertEqual(settled(.mql, 0.61, rules: .cold, .higher), .mql, "the model just over SQL: held at MQL")
        XCTAssertEqual(settled(.mql, 0.61, rules: .sql, .higher), .sql, "the rules lift at once")
        XCTAssertEqual(settled(.sql, 0.59, rules: .cold, .higher), .sql, "the model just under SQL: held")
        XCTAssertEqual(settled(.sql, 0.5, rules: .mql, .higher), .mql)
        XCTAssertEqual(settled(.mql, 0.29, rules: .cold, .higher), .mql, "just under MQL: held")
        XCTAssertEqual(settled(.mql, 0.29, rules: .cold, .rules), .cold, "rules: the rules' tier as it is")
        XCTAssertEqual(settled(.sql, 0.1, rules: .mql, .rules), .mql)
        XCTAssertEqual(settled(.mql, 0.61, rules: nil, .model), .mql)
        XCTAssertEqual(settled(.mql, 0.62, rules: nil, .model), .sql)
    }
}
