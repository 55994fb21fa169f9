import Foundation
import XCTest

/// A webhook receiver (Tests/Peers/webhook_receiver.py) on a loopback port.
final class WebhookReceiver: @unchecked Sendable {
    let process = Process()
    let log: String
    private(set) var port = 0
    var url: String { "http://127.0.0.1:\(port)/hook" }

    init(python: String, script: String, log: String, options: [String] = []) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "serve", log] + options
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("\n") && Date() < deadline {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let p = text.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            process.terminate()
            throw XCTSkip("the webhook receiver did not start: \(text)")
        }
        port = p
    }

    /// The requests received so far: headers and parsed body.
    var requests: [(headers: [String: String], body: [String: Any], received: Double)] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let r = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let body = (r["body"] as? String).flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }) else { return nil }
            return (r["headers"] as? [String: String] ?? [:], body, r["received"] as? Double ?? 0)
        }
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}

extension CLITests {
    func receiver(_ dir: String, _ options: [String] = []) throws -> WebhookReceiver {
        try requirePeer("standardwebhooks")
        let r = try WebhookReceiver(python: peerPython, script: Self.repoRoot.appendingPathComponent("Tests/Peers/webhook_receiver.py").path,
                                    log: "\(dir)/received-\(UUID().uuidString).jsonl", options: options)
        addTeardownBlock { r.stop() }
        return r
    }

    func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try condition()
    }

    /// Tier changes up (an event) and down (the window running out, with no request) are
    /// delivered signed, verified by the standardwebhooks package; a 503 with Retry-After is
    /// retried with the same webhook-id; the downgrade arrives within 5 s of the crossing.
    func testWebhooksDeliverTierChangesSignedAndOnTime() throws {
        let f = try serviceFixture()
        let r = try receiver(f.dir, ["--fail-first", "1", "--retry-after", "1"])
        write("""
        store: leadscore.db
        model: model.json
        inputs:
          pricing_page_views: {count: pricing_page_view, within: 20s}
        webhooks: {retry: [1s, 1s, 2s], timeout: 5s, allow_private: true}
        """, "\(f.dir)/service.yaml")
        let s = try ServiceHarness(binary: binary, arguments: ["--config", "\(f.dir)/service.yaml"], cwd: f.dir)
        addTeardownBlock { s.stop() }
        let made = try s.call("POST", "/v1/webhooks", key: f.admin, json: ["url": r.url, "events": ["lead.tier_changed"], "description": "CRM"])
        XCTAssertEqual(made.status, 201, made.text)
        let secret = try XCTUnwrap(made.json["secret"] as? String)
        XCTAssertTrue(secret.hasPrefix("whsec_"))
        XCTAssertEqual(try s.call("POST", "/v1/webhooks", key: f.write, json: ["url": r.url, "events": ["lead.created"]]).status, 403)
        // Find a lead that pricing page views move up a tier: add views one at a time.
        var lead: String? = nil, lastEvent = Date()
        for candidate in sampleLeads(60) where lead == nil {
            XCTAssertEqual(try s.call("PUT", "/v1/leads/\(candidate.id)", key: f.write, json: ["attributes": candidate.attributes]).status, 200)
            let start = try s.call("GET", "/v1/leads/\(candidate.id)", key: f.read).json["score"] as? [String: Any]
            for n in 0..<25 {
                lastEvent = Date()
                let ts = ISO8601DateFormatter().string(from: lastEvent)
                _ = try s.call("POST", "/v1/events", key: f.write, json: ["events": [["id": "\(candidate.id)-\(n)", "leadId": candidate.id, "type": "pricing_page_view", "timestamp": ts]]])
                let now = try s.call("GET", "/v1/leads/\(candidate.id)", key: f.read).json["score"] as? [String: Any]
                if now?["tier"] as? String != start?["tier"] as? String { lead = candidate.id; break }
            }
            if lead == nil { _ = try s.call("DELETE", "/v1/leads/\(candidate.id)", key: f.write) }
        }
        let id = try XCTUnwrap(lead, "no sample lead changes tier with pricing page views")
        let mine = { r.requests.filter { ($0.body["data"] as? [String: Any])?["leadId"] as? String == id } }
        XCTAssertTrue(waitUntil(10) { mine().contains { ($0.body["data"] as? [String: Any])?["cause"] as? String == "event" && $0.headers["webhook-id"] != nil } })
        // The first delivery met a 503 with Retry-After: 1, and came again with the same id.
        var ids: [String] = []
        XCTAssertTrue(waitUntil(10) {
            ids = r.requests.compactMap { $0.headers["webhook-id"] }
            return ids.count > Set(ids).count
        }, "a retried delivery keeps its webhook-id: \(ids)")
        // No request from here on: the window runs out 20 s after the last view.
        let crossing = lastEvent.addingTimeInterval(20)
        XCTAssertTrue(waitUntil(40) { mine().contains { ($0.body["data"] as? [String: Any])?["cause"] as? String == "decay" } }, "\(mine().map(\.body))")
        let down = try XCTUnwrap(mine().first { ($0.body["data"] as? [String: Any])?["cause"] as? String == "decay" })
        XCTAssertLessThan(down.received - crossing.timeIntervalSince1970, 5, "the downgrade is delivered within 5 s of the crossing")
        let data = try XCTUnwrap(down.body["data"] as? [String: Any])
        XCTAssertEqual(down.body["type"] as? String, "lead.tier_changed")
        for key in ["leadId", "from", "to", "probability", "score", "points", "grade", "reasons", "cause", "modelVersion", "sequence"] {
            XCTAssertTrue(data.keys.contains(key), key)
        }
        let sequences = mine().compactMap { ($0.body["data"] as? [String: Any])?["sequence"] as? Int }
        XCTAssertEqual(sequences, sequences.sorted(), "sequence increases per lead")
        // Every request verifies with the standardwebhooks package.
        let verified = try runTool(peerPython, [Self.repoRoot.appendingPathComponent("Tests/Peers/webhook_receiver.py").path, "verify", r.log, secret])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        // The delivery log.
        let webhookId = try XCTUnwrap(made.json["id"] as? String)
        let deliveries = try s.call("GET", "/v1/webhooks/\(webhookId)/deliveries", key: f.admin)
        XCTAssertEqual(deliveries.status, 200, deliveries.text)
        let first = (deliveries.json["deliveries"] as? [[String: Any]])?.last
        XCTAssertEqual((first?["attempts"] as? [[String: Any]])?.first?["status"] as? Int, 503)
        // Rotation: the old secret keeps signing beside the new one.
        let rotated = try s.call("POST", "/v1/webhooks/\(webhookId)/rotate-secret", key: f.admin)
        let newSecret = try XCTUnwrap(rotated.json["secret"] as? String)
        let before = r.requests.count
        XCTAssertEqual(try s.call("POST", "/v1/webhooks/\(webhookId)/replay?since=2000-01-01T00:00:00Z", key: f.admin).status, 202)
        XCTAssertTrue(waitUntil(10) { r.requests.count > before })
        let last = try XCTUnwrap(r.requests.last)
        XCTAssertEqual(last.headers["webhook-signature"]?.split(separator: " ").count, 2, "signed with both secrets")
        for s in [secret, newSecret] {
            let one = try runTool(peerPython, ["-c", """
            import json, sys
            from standardwebhooks.webhooks import Webhook
            r = [json.loads(l) for l in open(sys.argv[1])][-1]
            Webhook(sys.argv[2]).verify(r["body"], r["headers"])
            """, r.log, s])
            XCTAssertEqual(one.status, 0, one.stderr)
        }
    }

    /// Deliveries pending at a kill -9 go out after the restart; an endpoint answering 410 is
    /// disabled; private addresses are refused unless allowed.
    func testWebhooksSurviveKill9AndRefuseWhatTheyShould() throws {
        let f = try serviceFixture()
        write("model: model.json\nstore: leadscore.db\nwebhooks: {retry: [1s, 1s, 1s, 1s, 1s], timeout: 2s, allow_private: true}\n", "\(f.dir)/service.yaml")
        var s = try ServiceHarness(binary: binary, arguments: ["--config", "\(f.dir)/service.yaml"], cwd: f.dir)
        // A port where nothing listens yet.
        let closed = try receiver(f.dir)
        let port = closed.port
        closed.stop()
        let made = try s.call("POST", "/v1/webhooks", key: f.admin, json: ["url": "http://127.0.0.1:\(port)/hook", "events": ["lead.created", "lead.deleted"]])
        XCTAssertEqual(made.status, 201, made.text)
        let leads = sampleLeads(30)
        XCTAssertEqual(try s.call("POST", "/v1/leads/batch", key: f.write, json: ["leads": leads.map { ["id": $0.id, "attributes": $0.attributes] }]).status, 200)
        XCTAssertEqual(try s.call("DELETE", "/v1/leads/\(leads[0].id)", key: f.write).status, 204)
        Thread.sleep(forTimeInterval: 1.5)
        s.kill9()
        let r = try receiver(f.dir, ["--port", String(port)])
        s = try ServiceHarness(binary: binary, arguments: ["--config", "\(f.dir)/service.yaml"], cwd: f.dir)
        addTeardownBlock { s.stop() }
        XCTAssertTrue(waitUntil(20) { Set(r.requests.compactMap { $0.headers["webhook-id"] }).count == 31 }, "\(r.requests.count) of 31 received")
        XCTAssertEqual(r.requests.filter { $0.body["type"] as? String == "lead.deleted" }.count, 1)
        // A lead created again under a deleted id goes on from the deleted one's sequence.
        func sequence(_ type: String, _ lead: String) -> [Int] {
            r.requests.filter { $0.body["type"] as? String == type && ($0.body["data"] as? [String: Any])?["leadId"] as? String == lead }
                .compactMap { ($0.body["data"] as? [String: Any])?["sequence"] as? Int }
        }
        XCTAssertEqual(try s.call("PUT", "/v1/leads/\(leads[0].id)", key: f.write, json: ["attributes": leads[0].attributes]).status, 200)
        XCTAssertTrue(waitUntil(10) { sequence("lead.created", leads[0].id).count == 2 })
        let deletedAt = try XCTUnwrap(sequence("lead.deleted", leads[0].id).first)
        XCTAssertEqual(sequence("lead.created", leads[0].id).sorted(), [1, deletedAt + 1].sorted(), "created, deleted, created again in order")
        // A replay sends the originals only, however often it is asked for.
        let hookId = try XCTUnwrap(made.json["id"] as? String)
        for _ in 0..<2 {
            let replayed = try s.call("POST", "/v1/webhooks/\(hookId)/replay?since=2000-01-01T00:00:00Z", key: f.admin)
            XCTAssertEqual(replayed.json["replayed"] as? Int, 32, replayed.text)
        }
        // 410 Gone disables the endpoint.
        let gone = try receiver(f.dir, ["--status", "410"])
        let goneHook = try s.call("POST", "/v1/webhooks", key: f.admin, json: ["url": gone.url, "events": ["lead.created"]])
        let goneId = try XCTUnwrap(goneHook.json["id"] as? String)
        XCTAssertEqual(try s.call("PUT", "/v1/leads/new-one", key: f.write, json: ["attributes": leads[1].attributes]).status, 200)
        XCTAssertTrue(waitUntil(10) { (try? s.call("GET", "/v1/webhooks/\(goneId)", key: f.admin).json["enabled"] as? Bool) == false })
        let reason = try s.call("GET", "/v1/webhooks/\(goneId)", key: f.admin).json["disabledReason"] as? String
        XCTAssertTrue(reason?.contains("410") == true, reason ?? "")
        // A disabled endpoint takes no retry or replay until it is enabled again.
        let goneDelivery = try XCTUnwrap(((try s.call("GET", "/v1/webhooks/\(goneId)/deliveries", key: f.admin).json["deliveries"] as? [[String: Any]])?.first)?["id"] as? String)
        XCTAssertEqual(try s.call("POST", "/v1/webhooks/\(goneId)/deliveries/\(goneDelivery)/retry", key: f.admin).status, 409)
        XCTAssertEqual(try s.call("POST", "/v1/webhooks/\(goneId)/replay?since=2000-01-01T00:00:00Z", key: f.admin).status, 409)
        // Retry-After as an HTTP date is honoured (3 s, where the schedule says 1 s).
        let late = try receiver(f.dir, ["--fail-first", "1", "--retry-after", "3", "--http-date"])
        XCTAssertEqual(try s.call("POST", "/v1/webhooks", key: f.admin, json: ["url": late.url, "events": ["lead.created"]]).status, 201)
        XCTAssertEqual(try s.call("PUT", "/v1/leads/later", key: f.write, json: ["attributes": leads[3].attributes]).status, 200)
        XCTAssertTrue(waitUntil(15) { late.requests.count >= 2 })
        let gap = late.requests[1].received - late.requests[0].received
        XCTAssertGreaterThan(gap, 1.9, "the HTTP-date Retry-After (3 s ahead, to the second) waited for")
        // An endpoint that fails a delivery for the whole schedule (5 × 1 s here) is disabled.
        let dead = try s.call("POST", "/v1/webhooks", key: f.admin, json: ["url": "http://127.0.0.1:\(port + 1)/nobody", "events": ["lead.created"]])
        let deadId = try XCTUnwrap(dead.json["id"] as? String)
        XCTAssertEqual(try s.call("PUT", "/v1/leads/another", key: f.write, json: ["attributes": leads[2].attributes]).status, 200)
        XCTAssertTrue(waitUntil(20) { (try? s.call("GET", "/v1/webhooks/\(deadId)", key: f.admin).json["enabled"] as? Bool) == false })
        let failed = try s.call("GET", "/v1/webhooks/\(deadId)/deliveries?status=failed", key: f.admin)
        let attempts = ((failed.json["deliveries"] as? [[String: Any]])?.first?["attempts"] as? [[String: Any]]) ?? []
        XCTAssertEqual(attempts.count, 6, "the first attempt and five retries")
        XCTAssertTrue(attempts.allSatisfy { $0["error"] is String })
        s.stop()
        // Without allow_private, loopback endpoints are refused.
        write("model: model.json\nstore: leadscore.db\n", "\(f.dir)/strict.yaml")
        let strict = try ServiceHarness(binary: binary, arguments: ["--config", "\(f.dir)/strict.yaml"], cwd: f.dir)
        addTeardownBlock { strict.stop() }
        for url in ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest", "ftp://example.com/x"] {
            let refused = try strict.call("POST", "/v1/webhooks", key: f.admin, json: ["url": url, "events": ["lead.created"]])
            XCTAssertEqual(refused.status, 400, url)
            XCTAssertEqual((refused.json["error"] as? [String: Any])?["field"] as? String, "url")
        }
    }
}

extension CLITests {
    /// With the rules' tier as the lead's tier, points decaying below a threshold are found to
    /// the second and delivered when they cross (no request, no hourly check); score changes
    /// are reported once they add up to minChange.
    func testWebhooksHearRuleDecayWhenItHappens() throws {
        let f = try serviceFixture()
        let r = try receiver(f.dir)
        // 40 points with a half-life of 0.0002 days (17.28 s): below 30 after 17.28 × log2(4/3) = 7.2 s.
        write("""
        version: 1
        groups:
          intent:
            decay: {half_life_days: 0.0002, since: last_activity_date}
            rules:
              - when: {column: demo_requested, equals: "Yes"}
                points: 40
        tiers: {mql: 10, sql: 30}
        """, "\(f.dir)/rules.yaml")
        write("model: model.json\nstore: leadscore.db\nrules: rules.yaml\ntier_from: rules\nwebhooks: {retry: [1s], allow_private: true}\n", "\(f.dir)/service.yaml")
        let s = try ServiceHarness(binary: binary, arguments: ["--config", "\(f.dir)/service.yaml"], cwd: f.dir)
        addTeardownBlock { s.stop() }
        XCTAssertEqual(try s.call("POST", "/v1/webhooks", key: f.admin, json: ["url": r.url, "events": ["lead.tier_changed"]]).status, 201)
        var attributes = sampleLeads(1)[0].attributes
        attributes["demo_requested"] = "Yes"
        let start = Date()
        attributes["last_activity_date"] = ISO8601DateFormatter().string(from: start)
        let put = try s.call("PUT", "/v1/leads/D", key: f.write, json: ["attributes": attributes])
        XCTAssertEqual((put.json["score"] as? [String: Any])?["tier"] as? String, "SQL", put.text)
        let crossing = start.timeIntervalSince1970 + 0.0002 * 86_400 * log2(40.0 / 30.0)
        XCTAssertTrue(waitUntil(30) { r.requests.contains { ($0.body["data"] as? [String: Any])?["to"] as? String == "MQL" } })
        let down = try XCTUnwrap(r.requests.first { ($0.body["data"] as? [String: Any])?["to"] as? String == "MQL" })
        XCTAssertEqual((down.body["data"] as? [String: Any])?["cause"] as? String, "decay")
        XCTAssertLessThan(abs(down.received - crossing), 3, "delivered at the crossing (\(down.received - crossing) s off)")
    }
}

extension CLITests {
    /// lead.score_changed fires when the score has moved minChange from what the endpoint last
    /// heard, however many small steps it took.
    func testWebhooksReportScoreChangesThatAddUp() throws {
        let f = try serviceFixture()
        let r = try receiver(f.dir)
        write("model: model.json\nstore: leadscore.db\ninputs:\n  pricing_page_views: {count: pricing_page_view}\nwebhooks: {retry: [1s], allow_private: true}\n",
              "\(f.dir)/service.yaml")
        let s = try ServiceHarness(binary: binary, arguments: ["--config", "\(f.dir)/service.yaml"], cwd: f.dir)
        addTeardownBlock { s.stop() }
        XCTAssertEqual(try s.call("POST", "/v1/webhooks", key: f.admin, json: ["url": r.url, "events": ["lead.score_changed"], "minChange": 5]).status, 201)
        let lead = sampleLeads(3)[2]
        let first = try s.call("PUT", "/v1/leads/\(lead.id)", key: f.write, json: ["attributes": lead.attributes])
        var baseline = try XCTUnwrap((first.json["score"] as? [String: Any])?["score"] as? Int)
        var expected: [Int] = []
        for n in 0..<12 {
            let ts = ISO8601DateFormatter().string(from: Date())
            _ = try s.call("POST", "/v1/events", key: f.write, json: ["events": [["id": "v\(n)", "leadId": lead.id, "type": "pricing_page_view", "timestamp": ts]]])
            let score = try XCTUnwrap((try s.call("GET", "/v1/leads/\(lead.id)", key: f.read).json["score"] as? [String: Any])?["score"] as? Int)
            if abs(score - baseline) >= 5 { expected.append(score); baseline = score }
        }
        XCTAssertFalse(expected.isEmpty, "twelve pricing page views move the score by 5 at least once")
        XCTAssertTrue(waitUntil(10) { r.requests.count >= expected.count })
        Thread.sleep(forTimeInterval: 1)
        XCTAssertEqual(r.requests.compactMap { ($0.body["data"] as? [String: Any])?["score"] as? Int }, expected)
    }
}
