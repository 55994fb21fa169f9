import Foundation
import XCTest

/// End-to-end tests of `leadscore serve`: the real server on a free loopback port.
extension CLITests {
    static let sample = repoRoot.appendingPathComponent("datasets/sample-leads.csv").path

    /// A folder with a model trained on the sample (boosted trees) and an admin, a read and a
    /// write key in `leadscore.db`.
    struct ServiceFixture {
        var dir: String
        var model: String
        var admin: String, read: String, write: String
    }

    func serviceFixture(model kind: String = "gbdt") throws -> ServiceFixture {
        let dir = tempDir()
        let model = "\(dir)/model.json"
        let train = try run(["train", "--data", Self.sample, "--target", "converted", "--model", kind, "--trees", "60", "--out", model], cwd: dir)
        XCTAssertEqual(train.status, 0, train.stderr)
        func key(_ scope: String) throws -> String {
            let r = try run(["keys", "create", "--store", "\(dir)/leadscore.db", "--scope", scope, "--name", scope], cwd: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ServiceFixture(dir: dir, model: model, admin: try key("admin"), read: try key("read"), write: try key("write"))
    }

    func startService(_ f: ServiceFixture, _ extra: [String] = []) throws -> ServiceHarness {
        let server = try ServiceHarness(binary: binary, arguments: ["--model", f.model, "--store", "\(f.dir)/leadscore.db"] + extra, cwd: f.dir)
        addTeardownBlock { server.stop() }
        return server
    }

    /// The sample's rows as attribute maps (text, as the CSV holds them), without the label.
    func sampleLeads(_ count: Int) -> [(id: String, attributes: [String: String])] {
        let lines = read(Self.sample).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().prefix(count).map { fields in
            var attributes: [String: String] = [:]
            for (name, value) in zip(header, fields) where name != "converted" { attributes[name] = value }
            return (attributes["lead_id"] ?? "", attributes)
        }
    }

    func testServiceLeadsEventsKeysAndErrors() throws {
        let f = try serviceFixture()
        let s = try startService(f)
        let lead = sampleLeads(1)[0]
        // Keys: none → 401, unknown → 401, a write key may not read, a read key may not write.
        XCTAssertEqual(try s.call("GET", "/v1/leads/x").status, 401)
        XCTAssertEqual(try s.call("GET", "/v1/leads/x", key: "lsk_nope").status, 401)
        XCTAssertEqual(try s.call("PUT", "/v1/leads/A", key: f.read, json: ["attributes": lead.attributes]).status, 403)
        let put = try s.call("PUT", "/v1/leads/A", key: f.write, json: ["attributes": lead.attributes])
        XCTAssertEqual(put.status, 200, put.text)
        XCTAssertEqual(try s.call("GET", "/v1/leads/A", key: f.write).status, 403)
        let got = try s.call("GET", "/v1/leads/A", key: f.read)
        XCTAssertEqual(got.status, 200)
        let score = try XCTUnwrap(got.json["score"] as? [String: Any])
        for field in ["probability", "score", "tier", "modelTier", "points", "rulesTier", "grade", "reasons", "modelVersion", "asOf"] {
            XCTAssertTrue(score.keys.contains(field), field)
        }
        XCTAssertEqual(got.numbers("probability").first, put.numbers("probability").first)
        // PATCH merges; a null removes an attribute.
        let patched = try s.call("PATCH", "/v1/leads/A", key: f.admin, json: ["attributes": ["demo_requested": "Yes", "country": NSNull()]])
        XCTAssertEqual(patched.status, 200, patched.text)
        let attributes = try XCTUnwrap(patched.json["attributes"] as? [String: Any])
        XCTAssertEqual(attributes["demo_requested"] as? String, "Yes")
        XCTAssertNil(attributes["country"])
        XCTAssertEqual(attributes["industry"] as? String, lead.attributes["industry"])
        XCTAssertEqual(try s.call("PATCH", "/v1/leads/nobody", key: f.admin, json: ["attributes": ["a": 1]]).status, 404)
        // Bad input: the field is named, nothing is stored.
        let malformed = try s.call("PUT", "/v1/leads/B", key: f.write, body: Data("{\"attributes\": ".utf8))
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual((malformed.json["error"] as? [String: Any])?["code"] as? String, "bad_request")
        let wrongType = try s.call("PUT", "/v1/leads/B", key: f.write, json: ["attributes": ["country": ["nested": 1]]])
        XCTAssertEqual(wrongType.status, 400)
        XCTAssertEqual((wrongType.json["error"] as? [String: Any])?["field"] as? String, "attributes.country")
        let unknown = try s.call("PUT", "/v1/leads/B", key: f.write, json: ["attributes": [:], "extra": 1])
        XCTAssertEqual((unknown.json["error"] as? [String: Any])?["field"] as? String, "extra")
        let badTime = try s.call("POST", "/v1/events", key: f.write, json: ["events": [
            ["id": "ok", "leadId": "B", "type": "website_visit", "timestamp": "2026-12-01T10:00:00Z"],
            ["id": "bad", "leadId": "B", "type": "website_visit", "timestamp": "yesterday"]]])
        XCTAssertEqual(badTime.status, 400)
        XCTAssertEqual((badTime.json["error"] as? [String: Any])?["field"] as? String, "events[1].timestamp")
        XCTAssertEqual(try s.call("GET", "/v1/leads/B", key: f.read).status, 404, "a refused batch stores nothing")
        let huge = try s.call("PUT", "/v1/leads/B", key: f.write, json: ["attributes": ["note": String(repeating: "x", count: 1_100_000)]])
        XCTAssertEqual(huge.status, 413)
        let bigTrack = try s.call("POST", "/v1/track", key: f.write, json: ["userId": "B", "event": "visit", "properties": ["note": String(repeating: "x", count: 40_000)]])
        XCTAssertEqual(bigTrack.status, 413, "Segment's limit: 32 KB a call")
        // Events: a repeated id is accepted and not counted twice; paging with a cursor.
        let events = (0..<5).map { ["id": "e\($0)", "leadId": "A", "type": "website_visit", "timestamp": "2026-12-0\($0 + 1)T10:00:00Z"] }
        let first = try s.call("POST", "/v1/events", key: f.write, json: ["events": events])
        XCTAssertEqual(first.json["accepted"] as? Int, 5, first.text)
        let again = try s.call("POST", "/v1/events", key: f.write, json: ["events": Array(events.prefix(2))])
        XCTAssertEqual(again.json["accepted"] as? Int, 0)
        XCTAssertEqual(again.json["duplicates"] as? Int, 2)
        let page1 = try s.call("GET", "/v1/leads/A/events?limit=3", key: f.read)
        XCTAssertEqual((page1.json["events"] as? [[String: Any]])?.map { $0["id"] as? String }, ["e4", "e3", "e2"])
        let cursor = try XCTUnwrap(page1.json["nextCursor"] as? String)
        let page2 = try s.call("GET", "/v1/leads/A/events?limit=3&cursor=\(cursor)", key: f.read)
        XCTAssertEqual((page2.json["events"] as? [[String: Any]])?.map { $0["id"] as? String }, ["e1", "e0"])
        XCTAssertTrue(page2.json["nextCursor"] is NSNull)
        // History, the best-first list, scoring without storing, erasing.
        let history = try s.call("GET", "/v1/leads/A/history", key: f.read)
        let changes = try XCTUnwrap(history.json["history"] as? [[String: Any]])
        XCTAssertEqual(changes.first?["cause"] as? String, "attributes")
        XCTAssertTrue(changes.first?["from"] is NSNull)
        let batch = try s.call("POST", "/v1/leads/batch", key: f.write, json: ["leads": sampleLeads(40).map { ["id": $0.id, "attributes": $0.attributes] }])
        XCTAssertEqual((batch.json["leads"] as? [Any])?.count, 40, batch.text)
        var seen: [Double] = [], next: String? = nil
        repeat {
            let page = try s.call("GET", "/v1/leads?limit=7" + (next.map { "&cursor=\($0)" } ?? ""), key: f.read)
            XCTAssertEqual(page.status, 200, page.text)
            seen += page.numbers("probability")
            next = page.json["nextCursor"] as? String
        } while next != nil
        XCTAssertEqual(seen.count, 41)
        XCTAssertEqual(seen, seen.sorted(by: >), "best first")
        let sqls = try s.call("GET", "/v1/leads?tier=SQL", key: f.read)
        XCTAssertTrue((sqls.json["leads"] as? [[String: Any]] ?? []).allSatisfy { $0["tier"] as? String == "SQL" })
        XCTAssertEqual(try s.call("GET", "/v1/leads?tier=Hot", key: f.read).status, 400)
        let scoredOnly = try s.call("POST", "/v1/score", key: f.read, json: ["attributes": lead.attributes])
        XCTAssertEqual(scoredOnly.numbers("probability").first, put.numbers("probability").first)
        XCTAssertEqual(try s.call("DELETE", "/v1/leads/A", key: f.write).status, 204)
        XCTAssertEqual(try s.call("GET", "/v1/leads/A", key: f.read).status, 404)
        XCTAssertEqual(try s.call("GET", "/v1/leads/A/events", key: f.read).status, 404)
        // Ids are percent-decoded from the path; 'batch' is the batch call's path, not an id.
        XCTAssertEqual(try s.call("PUT", "/v1/leads/Zo%C3%AB%20M", key: f.write, json: ["attributes": [:]]).json["id"] as? String, "Zoë M")
        XCTAssertEqual(try s.call("DELETE", "/v1/leads/Zo%C3%AB%20M", key: f.write).status, 204)
        let reserved = try s.call("POST", "/v1/events", key: f.write, json: ["events": [["id": "r", "leadId": "batch", "type": "x", "timestamp": "2026-12-01T10:00:00Z"]]])
        XCTAssertEqual((reserved.json["error"] as? [String: Any])?["field"] as? String, "events[0].leadId")
        // alerts tail reads the tier changes beside the running service.
        let tail = try run(["alerts", "tail", "--store", "\(f.dir)/leadscore.db", "--last", "5", "--seconds", "0.5", "--json"])
        XCTAssertEqual(tail.status, 0, tail.stderr)
        let tailed = tail.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(tailed.count, 5, tail.stdout)
        XCTAssertTrue(tailed.allSatisfy { $0["leadId"] is String && $0["to"] is String && $0["cause"] as? String == "attributes" })
        // Health, metrics and the OpenAPI document need no key.
        XCTAssertEqual(try s.call("GET", "/healthz").json["status"] as? String, "ok")
        let metrics = try s.call("GET", "/metrics").text
        XCTAssertTrue(metrics.contains(#"leadscore_http_requests_total{route="PUT /v1/leads/{id}",status="200"}"#), metrics)
        XCTAssertTrue(metrics.contains("leadscore_events_ingested_total 5"), metrics)
        XCTAssertTrue(metrics.contains("leadscore_http_request_duration_seconds_bucket"))
        XCTAssertEqual(try s.call("GET", "/openapi.json").json["openapi"] as? String, "3.1.0")
    }

    /// The service's probability equals `predict`'s for the same attributes, to 1e-12.
    func testServiceProbabilityEqualsPredict() throws {
        for kind in ["gbdt", "logistic"] {
            let f = try serviceFixture(model: kind)
            let s = try startService(f)
            let leads = sampleLeads(300)
            let header = read(Self.sample).split(separator: "\n").first.map(String.init) ?? ""
            write(([header] + read(Self.sample).split(separator: "\n").dropFirst().prefix(300).map(String.init)).joined(separator: "\n") + "\n", "\(f.dir)/some.csv")
            let predicted = try run(["predict", "--model", f.model, "--data", "\(f.dir)/some.csv", "--out", "\(f.dir)/p.jsonl", "--json", "--reasons", "0"])
            XCTAssertEqual(predicted.status, 0, predicted.stderr)
            var expected: [String: Double] = [:]
            for line in read("\(f.dir)/p.jsonl").split(separator: "\n") {
                let answer = ServiceHarness.Answer(status: 200, body: Data(line.utf8))
                if let id = answer.json["lead_id"] as? String, let p = answer.numbers("probability").first { expected[id] = p }
            }
            XCTAssertEqual(expected.count, 300)
            for chunk in stride(from: 0, to: leads.count, by: 100) {
                let part = leads[chunk..<min(chunk + 100, leads.count)]
                let answer = try s.call("POST", "/v1/leads/batch", key: f.write, json: ["leads": part.map { ["id": $0.id, "attributes": $0.attributes] }])
                XCTAssertEqual(answer.status, 200, answer.text)
                // Each lead's score holds one probability; the ids come in the same order.
                let ids = (answer.json["leads"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                let probabilities = answer.numbers("probability")
                XCTAssertEqual(ids.count, probabilities.count)
                for (id, p) in zip(ids, probabilities) {
                    XCTAssertEqual(p, expected[id] ?? -1, accuracy: 1e-12, "\(kind) lead \(id)")
                }
            }
        }
    }

    /// Every acknowledged event is in the store after a kill -9 in the middle of a stream.
    func testServiceKeepsAcknowledgedEventsThroughKill9() throws {
        let f = try serviceFixture()
        let s = try startService(f)
        final class Acknowledged: @unchecked Sendable { var ids: [String] = [] }
        let acked = Acknowledged()
        let lock = NSLock()
        let sender = Thread {
            for b in 0..<10_000 {
                let events = (0..<100).map { ["id": "b\(b)-\($0)", "leadId": "L\($0 % 20)", "type": "website_visit", "timestamp": "2026-12-01T10:00:00Z"] }
                guard let answer = try? s.call("POST", "/v1/events", key: f.write, json: ["events": events]), answer.status == 200 else { return }
                lock.withLock { acked.ids += events.compactMap { $0["id"] } }
            }
        }
        sender.start()
        while lock.withLock({ acked.ids.count }) < 3_000 { Thread.sleep(forTimeInterval: 0.01) }
        s.kill9()
        Thread.sleep(forTimeInterval: 0.5)
        let ids = lock.withLock { Set(acked.ids) }
        let restarted = try startService(f)
        var stored = Set<String>()
        for lead in 0..<20 {
            var next: String? = nil
            repeat {
                let page = try restarted.call("GET", "/v1/leads/L\(lead)/events?limit=1000" + (next.map { "&cursor=\($0)" } ?? ""), key: f.read)
                XCTAssertEqual(page.status, 200)
                for e in page.json["events"] as? [[String: Any]] ?? [] { if let id = e["id"] as? String { stored.insert(id) } }
                next = page.json["nextCursor"] as? String
            } while next != nil
        }
        XCTAssertTrue(ids.isSubset(of: stored), "\(ids.subtracting(stored).count) acknowledged events lost")
        // SIGTERM: a graceful stop.
        restarted.process.terminate()
        restarted.process.waitUntilExit()
        XCTAssertEqual(restarted.process.terminationStatus, 0, restarted.log)
    }

    /// Writers racing on one lead never lose an update.
    func testServiceConcurrentWritersToOneLead() throws {
        let f = try serviceFixture()
        let s = try startService(f)
        XCTAssertEqual(try s.call("PUT", "/v1/leads/C", key: f.write, json: ["attributes": ["country": "Germany"]]).status, 200)
        DispatchQueue.concurrentPerform(iterations: 8) { w in
            for i in 0..<10 {
                _ = try? s.call("PATCH", "/v1/leads/C", key: f.write, json: ["attributes": ["w\(w)_\(i)": i]])
                _ = try? s.call("POST", "/v1/events", key: f.write, json: ["events": [["id": "c\(w)-\(i)", "leadId": "C", "type": "email_opened", "timestamp": "2026-12-01T10:00:00Z"]]])
            }
        }
        let lead = try s.call("GET", "/v1/leads/C", key: f.read)
        XCTAssertEqual((lead.json["attributes"] as? [String: Any])?.count, 81, "every merged attribute is there")
        let events = try s.call("GET", "/v1/leads/C/events?limit=1000", key: f.read)
        XCTAssertEqual((events.json["events"] as? [Any])?.count, 80)
    }

    /// Inputs computed from events: the window runs out without a new event and the stored
    /// score follows (the decay sweep); `serve --check` names a wrong input's line.
    func testServiceInputsFromEventsExpire() throws {
        let f = try serviceFixture()
        write("""
        store: leadscore.db
        model: model.json
        inputs:
          pricing_page_views: {count: pricing_page_view, within: 3s}
          webinar_attended:   {exists: webinar_attended}
        """, "\(f.dir)/service.yaml")
        let check = try run(["serve", "--check", "--config", "\(f.dir)/service.yaml"])
        XCTAssertEqual(check.status, 0, check.stderr)
        write("store: leadscore.db\nmodel: model.json\ninputs:\n  website_visits: {count: website_visit}\n  shoe_size: {count: x}\n", "\(f.dir)/bad.yaml")
        let bad = try run(["serve", "--check", "--config", "\(f.dir)/bad.yaml"])
        XCTAssertEqual(bad.status, 65, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("bad.yaml:5") && bad.stderr.contains("shoe_size"), bad.stderr)
        write("store: leadscore.db\nmodel: model.json\ninputs:\n  pricing_page_views: {exists: pricing_page_view}\n", "\(f.dir)/kind.yaml")
        let kind = try run(["serve", "--check", "--config", "\(f.dir)/kind.yaml"])
        XCTAssertEqual(kind.status, 65, kind.stderr)
        XCTAssertTrue(kind.stderr.contains("kind.yaml:4") && kind.stderr.contains("numeric"), kind.stderr)

        let s = try ServiceHarness(binary: binary, arguments: ["--config", "\(f.dir)/service.yaml"], cwd: f.dir)
        addTeardownBlock { s.stop() }
        var attributes = sampleLeads(1)[0].attributes
        attributes["pricing_page_views"] = "999"  // ignored: the input comes from events
        XCTAssertEqual(try s.call("PUT", "/v1/leads/W", key: f.write, json: ["attributes": attributes]).status, 200)
        let now = ISO8601DateFormatter().string(from: Date())
        let events = (0..<6).map { ["id": "w\($0)", "leadId": "W", "type": "pricing_page_view", "timestamp": now] }
        XCTAssertEqual(try s.call("POST", "/v1/events", key: f.write, json: ["events": events]).status, 200)
        // Scored without storing, a lead has no events: no pricing page views in the window.
        let without = try XCTUnwrap(try s.call("POST", "/v1/score", key: f.read, json: ["attributes": attributes]).numbers("probability").first)
        let withViews = try XCTUnwrap(try s.call("GET", "/v1/leads/W", key: f.read).numbers("probability").first)
        XCTAssertNotEqual(withViews, without, "six views in the window move the score")
        Thread.sleep(forTimeInterval: 4.5)
        XCTAssertEqual(try s.call("GET", "/v1/leads/W", key: f.read).numbers("probability").first, without, "the window ran out")
        let listed = try s.call("GET", "/v1/leads", key: f.read)
        XCTAssertEqual(listed.numbers("probability").first, without, "the stored score was rescored when the window ran out")
    }
}

/// The service against real peers: Segment's own Python library, and schemathesis against the
/// OpenAPI document. Both come from the virtual environment scripts/test.sh sets up
/// (scripts/.venv); without it they skip with a message.
extension CLITests {
    var peerPython: String { Self.repoRoot.appendingPathComponent("scripts/.venv/bin/python").path }

    func requirePeer(_ module: String) throws {
        guard FileManager.default.isExecutableFile(atPath: peerPython),
              (try? runTool(peerPython, ["-c", "import \(module)"]).status) == 0 else {
            throw XCTSkip("Python package \(module) is not installed in scripts/.venv (bash scripts/test.sh installs it)")
        }
    }

    func testServiceAcceptsSegmentsLibrary() throws {
        try requirePeer("segment.analytics")
        let f = try serviceFixture()
        let s = try startService(f)
        let sent = try runTool(peerPython, [Self.repoRoot.appendingPathComponent("Tests/Peers/segment_client.py").path, s.base, f.write])
        XCTAssertEqual(sent.status, 0, sent.stdout + sent.stderr)
        let lead = try s.call("GET", "/v1/leads/seg-user-1", key: f.read)
        XCTAssertEqual(lead.status, 200, lead.text)
        let attributes = lead.json["attributes"] as? [String: Any] ?? [:]
        XCTAssertEqual(attributes["country"] as? String, "Germany")
        XCTAssertEqual(attributes["company_size"] as? Int, 120)
        XCTAssertEqual(attributes["industry"] as? String, "Retail", "alias brought the anonymous lead's traits")
        let events = (try s.call("GET", "/v1/leads/seg-user-1/events", key: f.read).json["events"] as? [[String: Any]]) ?? []
        XCTAssertEqual(Set(events.compactMap { $0["id"] as? String }), ["seg-m-1", "seg-m-2"], "the retry is not counted twice; alias moved the visit")
        let webinar = events.first { $0["id"] as? String == "seg-m-1" }
        XCTAssertEqual(webinar?["value"] as? Double, 2)
        XCTAssertEqual((webinar?["properties"] as? [String: Any])?["topic"] as? String, "pricing")
        XCTAssertEqual(try s.call("GET", "/v1/leads/seg-anon-7", key: f.read).status, 404, "the anonymous lead was merged away")
        // Segment's 32 KB limit for one message holds inside a batch too.
        let big: [String: Any] = ["type": "track", "userId": "seg-user-1", "event": "x", "properties": ["note": String(repeating: "a", count: 33_000)]]
        let small: [String: Any] = ["type": "track", "userId": "seg-user-1", "event": "x", "messageId": "small"]
        let refused = try s.call("POST", "/v1/batch", key: f.write, json: ["batch": [small, big]])
        XCTAssertEqual(refused.status, 413, refused.text)
        XCTAssertEqual((refused.json["error"] as? [String: Any])?["field"] as? String, "batch[1]")
    }

    func testServiceConformsToItsOpenAPIDocument() throws {
        try requirePeer("schemathesis")
        let f = try serviceFixture()
        let s = try startService(f)
        XCTAssertEqual(try s.call("PUT", "/v1/leads/0", key: f.write, json: ["attributes": sampleLeads(1)[0].attributes]).status, 200)
        // Every check but positive_data_acceptance: schemathesis' coverage phase takes "" for a
        // valid date-time in optional fields, which the service (rightly) refuses.
        let run = try runTool(Self.repoRoot.appendingPathComponent("scripts/.venv/bin/schemathesis").path, [
            "run", s.base + "/openapi.json", "-H", "Authorization: Bearer \(f.admin)", "--checks", "all",
            "--exclude-checks", "positive_data_acceptance", "--max-examples", "25", "--workers", "2",
            "--phases", "examples,coverage,fuzzing", "--seed", "7"], cwd: f.dir)  // its cache goes to the test's folder
        XCTAssertEqual(run.status, 0, String(run.stdout.suffix(6000)))
    }
}

extension CLITests {
    /// Following a registry: a promotion is picked up at once on SIGHUP and a rollback within
    /// the poll; stored leads are rescored with the new version and their tier changes recorded
    /// with cause `model`.
    func testServiceFollowsTheRegistry() throws {
        let f = try serviceFixture()
        let registry = "\(f.dir)/models"
        let first = try run(["retrain", "--registry", registry, "--data", Self.sample, "--target", "converted", "--time-column", "created_date", "--trees", "40"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try run(["retrain", "--registry", registry, "--data", Self.sample, "--target", "converted", "--time-column", "created_date",
                              "--trees", "8"])
        XCTAssertEqual(second.status, 0, second.stderr)
        if second.stdout.contains("active version: 2") {
            XCTAssertEqual(try run(["models", "rollback", "--registry", registry]).status, 0)
        }
        let s = try ServiceHarness(binary: binary, arguments: ["--model", registry, "--store", "\(f.dir)/leadscore.db"], cwd: f.dir)
        addTeardownBlock { s.stop() }
        let leads = sampleLeads(200)
        let batch = try s.call("POST", "/v1/leads/batch", key: f.write, json: ["leads": leads.map { ["id": $0.id, "attributes": $0.attributes] }])
        XCTAssertEqual(batch.status, 200, batch.text)
        func stored() throws -> [String: (tier: String, version: String)] {
            var out: [String: (String, String)] = [:], next: String? = nil
            repeat {
                let page = try s.call("GET", "/v1/leads?limit=1000" + (next.map { "&cursor=\($0)" } ?? ""), key: f.read)
                for l in page.json["leads"] as? [[String: Any]] ?? [] {
                    out[l["id"] as? String ?? ""] = (l["tier"] as? String ?? "", l["modelVersion"] as? String ?? "")
                }
                next = page.json["nextCursor"] as? String
            } while next != nil
            return out
        }
        let before = try stored()
        XCTAssertEqual(Set(before.values.map(\.version)), ["v1"])
        XCTAssertEqual(try run(["models", "promote", "2", "--registry", registry]).status, 0)
        kill(s.process.processIdentifier, SIGHUP)
        func waitFor(_ version: String, seconds: Double) throws -> [String: (tier: String, version: String)] {
            let deadline = Date().addingTimeInterval(seconds)
            var now = try stored()
            while Set(now.values.map(\.version)) != [version] && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
                now = try stored()
            }
            return now
        }
        let after = try waitFor("v2", seconds: 3)
        XCTAssertEqual(Set(after.values.map(\.version)), ["v2"], "SIGHUP switches at once and rescores every stored lead")
        let changed = leads.map(\.id).filter { before[$0]?.tier != after[$0]?.tier }
        XCTAssertFalse(changed.isEmpty, "8 trees tier some of 200 leads differently from 40")
        for id in changed.prefix(20) {
            let history = try s.call("GET", "/v1/leads/\(id)/history", key: f.read).json["history"] as? [[String: Any]] ?? []
            XCTAssertEqual(history.last?["cause"] as? String, "model", id)
            XCTAssertEqual(history.last?["modelVersion"] as? String, "v2", id)
        }
        XCTAssertEqual(try run(["models", "rollback", "--registry", registry]).status, 0)
        XCTAssertEqual(Set(try waitFor("v1", seconds: 10).values.map(\.version)), ["v1"], "the poll notices a rollback within 10 s")
    }
}
