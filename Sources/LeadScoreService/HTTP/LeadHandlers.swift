import Foundation
import GRDB
import Hummingbird
import LeadScoring

/// A score as the API writes it (absent rule fields are null, not missing).
struct ScoreBody: Encodable {
    var score: LiveScore

    enum Keys: String, CodingKey {
        case probability, score, tier, modelTier, points, rulesTier, grade, reasons, modelVersion, asOf
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(score.probability, forKey: .probability)
        try c.encode(score.score, forKey: .score)
        try c.encode(score.tier, forKey: .tier)
        try c.encode(score.modelTier, forKey: .modelTier)
        try c.encode(score.points, forKey: .points)
        try c.encode(score.rulesTier, forKey: .rulesTier)
        try c.encode(score.grade, forKey: .grade)
        try c.encode(score.reasons, forKey: .reasons)
        try c.encode(score.modelVersion, forKey: .modelVersion)
        try c.encode(DateParser.isoDateTime(seconds: score.asOf), forKey: .asOf)
    }
}

struct LeadBody: Encodable {
    var id: String
    var attributes: [String: JSONValue]
    var score: ScoreBody
    var createdAt: String
    var updatedAt: String

    init(_ lead: StoredLead, _ score: LiveScore) {
        id = lead.id
        attributes = lead.attributes
        self.score = ScoreBody(score: score)
        createdAt = DateParser.isoDateTime(seconds: lead.createdAt)
        updatedAt = DateParser.isoDateTime(seconds: lead.updatedAt)
    }
}

extension ScoringServer {
    func putLead(_ request: Request, _ context: BasicRequestContext, merge: Bool) async throws -> Response {
        try await authorize(request, .write)
        let id = try ScoringServer.leadId(context)
        let body = try await self.body(request)
        try body.only(["attributes"])
        let attributes = try body.attributes("attributes", required: true) ?? [:]
        let now = Date().timeIntervalSince1970
        let result = try await store.write { [engine] db in
            try engine.setAttributes(db, id: id, attributes: attributes, merge: merge, now: now)
        }
        guard let (lead, score) = result else { throw APIError.notFound("no lead '\(id)'") }
        return Responses.json(LeadBody(lead, score))
    }

    func getLead(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .read)
        let id = try ScoringServer.leadId(context)
        let found = try await store.read { [engine] db -> (StoredLead, [EventLog.Event])? in
            guard let lead = try StoredLead.fetch(db, id: id) else { return nil }
            return (lead, engine.usesEvents ? try StoredEvent.activity(db, leadId: id, properties: engine.usesProperties) : [])
        }
        guard let (lead, events) = found else { throw APIError.notFound("no lead '\(id)'") }
        // As of now: decay and windows act without new events.
        let scorer = engine.reader
        let score = engine.settle(try scorer.score(ScoringEngine.lead(lead, events: events), at: Date().timeIntervalSince1970), previous: lead, scorer: scorer)
        metrics.scored(1)
        return Responses.json(LeadBody(lead, score))
    }

    func deleteLead(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .write)
        let id = try ScoringServer.leadId(context)
        let now = Date().timeIntervalSince1970
        let deleted = try await store.write { [webhooks] db -> Bool in
            guard let sequence = try ScoringEngine.removeLead(db, id: id) else { return false }
            try webhooks.recordDeleted(db, leadId: id, sequence: sequence, now: now)
            try db.execute(sql: "DELETE FROM events WHERE lead_id = ?", arguments: [id])
            return true
        }
        guard deleted else { throw APIError.notFound("no lead '\(id)'") }
        return Response(status: .noContent)
    }

    func batchLeads(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .write)
        let body = try await self.body(request)
        try body.only(["leads"])
        let items = try body.array("leads", max: 1000)
        var leads: [(String, [String: JSONValue])] = []
        for (i, item) in items.enumerated() {
            let entry = try JSONReader(item, path: "leads[\(i)]")
            try entry.only(["id", "attributes"])
            guard let id = try entry.leadId("id") else { continue }
            leads.append((id, try entry.attributes("attributes", required: true) ?? [:]))
        }
        let now = Date().timeIntervalSince1970
        // One transaction: all the leads or none.
        let results = try await store.write { [engine, leads] db in
            try leads.compactMap { id, attributes in try engine.setAttributes(db, id: id, attributes: attributes, merge: false, now: now) }
        }
        struct Answer: Encodable { var leads: [LeadBody] }
        return Responses.json(Answer(leads: results.map { LeadBody($0.lead, $0.score) }))
    }

    func listLeads(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .read)
        let query = request.uri.queryParameters
        let limit = try ScoringServer.limit(request)
        var conditions: [String] = [], arguments: [any DatabaseValueConvertible] = []
        if let text = query.get("tier") {
            guard let tier = Tier(rawValue: text) else { throw APIError.badRequest("'tier' is '\(text)'; give Cold, MQL or SQL", field: "tier") }
            conditions.append("tier = ?")
            arguments.append(tier.rawValue)
        }
        if let text = query.get("changedSince") {
            guard let t = Timestamps.parse(text) else {
                throw APIError.badRequest("'changedSince' is '\(text)', not an ISO 8601 date-time", field: "changedSince")
            }
            conditions.append("tier_changed_at >= ?")
            arguments.append(t)
        }
        if let cursor = query.get("cursor") {
            guard let (p, id) = ListCursor.decode(cursor) else { throw APIError.badRequest("'cursor' is not one this service gave", field: "cursor") }
            conditions.append("(probability < ? OR (probability = ? AND id > ?))")
            arguments += [p, p, id]
        }
        let sql = "SELECT * FROM leads" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY probability DESC, id LIMIT \(limit + 1)"
        let bound = StatementArguments(arguments.map { $0.databaseValue })
        let rows = try await store.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(StoredLead.init(row:)) }
        struct Summary: Encodable {
            var id: String, probability: Double, score: Int, tier: Tier, points: Double?, grade: String?
            var modelVersion: String, updatedAt: String, tierChangedAt: String
            enum Keys: String, CodingKey { case id, probability, score, tier, points, grade, modelVersion, updatedAt, tierChangedAt }
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(id, forKey: .id); try c.encode(probability, forKey: .probability); try c.encode(score, forKey: .score)
                try c.encode(tier, forKey: .tier); try c.encode(points, forKey: .points); try c.encode(grade, forKey: .grade)
                try c.encode(modelVersion, forKey: .modelVersion); try c.encode(updatedAt, forKey: .updatedAt)
                try c.encode(tierChangedAt, forKey: .tierChangedAt)
            }
        }
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { ListCursor.encode(probability: $0.probability, id: $0.id) } : nil
        return Responses.json(Page(name: "leads", items: page.map {
            Summary(id: $0.id, probability: $0.probability, score: $0.score, tier: $0.tier, points: $0.points, grade: $0.grade,
                    modelVersion: $0.modelVersion, updatedAt: DateParser.isoDateTime(seconds: $0.updatedAt), tierChangedAt: DateParser.isoDateTime(seconds: $0.tierChangedAt))
        }, nextCursor: next))
    }

    func leadEvents(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .read)
        let id = try ScoringServer.leadId(context)
        let limit = try ScoringServer.limit(request)
        var before = Int64.max
        if let cursor = request.uri.queryParameters.get("cursor") {
            guard cursor.count <= 18, let seq = Int64(cursor), seq > 0 else { throw APIError.badRequest("'cursor' is not one this service gave", field: "cursor") }
            before = seq
        }
        let found = try await store.read { [before] db -> [StoredEvent]? in
            guard try StoredLead.fetch(db, id: id) != nil else { return nil }
            return try Row.fetchAll(db, sql: "SELECT * FROM events WHERE lead_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                                    arguments: [id, before, limit + 1]).map(StoredEvent.init(row:))
        }
        guard let events = found else { throw APIError.notFound("no lead '\(id)'") }
        let page = events.prefix(limit)
        let next = events.count > limit ? page.last.map { String($0.seq) } : nil
        return Responses.json(Page(name: "events", items: page.map(EventBody.init), nextCursor: next))
    }

    func leadHistory(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .read)
        let id = try ScoringServer.leadId(context)
        let found = try await store.read { db -> [Row]? in
            guard try StoredLead.fetch(db, id: id) != nil else { return nil }
            return try Row.fetchAll(db, sql: "SELECT * FROM history WHERE lead_id = ? ORDER BY seq", arguments: [id])
        }
        guard let rows = found else { throw APIError.notFound("no lead '\(id)'") }
        struct Change: Encodable {
            var from: Tier?, to: Tier, at: String, cause: String, probability: Double, score: Int, modelVersion: String
            enum Keys: String, CodingKey { case from, to, at, cause, probability, score, modelVersion }
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(from, forKey: .from); try c.encode(to, forKey: .to); try c.encode(at, forKey: .at)
                try c.encode(cause, forKey: .cause); try c.encode(probability, forKey: .probability)
                try c.encode(score, forKey: .score); try c.encode(modelVersion, forKey: .modelVersion)
            }
        }
        struct Answer: Encodable { var history: [Change] }
        return Responses.json(Answer(history: rows.map { row in
            Change(from: (row["from_tier"] as String?).flatMap(Tier.init(rawValue:)), to: Tier(rawValue: row["to_tier"]) ?? .cold,
                   at: DateParser.isoDateTime(seconds: row["at"]), cause: row["cause"], probability: row["probability"], score: row["score"],
                   modelVersion: row["model_version"])
        }))
    }

    func scoreOnly(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .read)
        let body = try await self.body(request)
        try body.only(["attributes"])
        let attributes = try body.attributes("attributes", required: true) ?? [:]
        let lead = LiveLead(id: "(not stored)", attributes: attributes.mapValues(\.cellText), events: [])
        let score = try engine.reader.score(lead, at: Date().timeIntervalSince1970)
        metrics.scored(1)
        return Responses.json(ScoreBody(score: score))
    }
}

struct EventBody: Encodable {
    var id: String, leadId: String, type: String, timestamp: String, value: Double?, properties: [String: JSONValue], receivedAt: String
    init(_ e: StoredEvent) {
        id = e.id; leadId = e.leadId; type = e.type; timestamp = DateParser.isoDateTime(seconds: e.time); value = e.value
        properties = e.properties; receivedAt = DateParser.isoDateTime(seconds: e.receivedAt)
    }
    enum Keys: String, CodingKey { case id, leadId, type, timestamp, value, properties, receivedAt }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id); try c.encode(leadId, forKey: .leadId); try c.encode(type, forKey: .type)
        try c.encode(timestamp, forKey: .timestamp); try c.encode(value, forKey: .value)
        try c.encode(properties, forKey: .properties); try c.encode(receivedAt, forKey: .receivedAt)
    }
}

/// A page of a list: `{"<name>": [...], "nextCursor": "…" or null}`.
struct Page<Item: Encodable>: Encodable {
    var name: String
    var items: [Item]
    var nextCursor: String?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(items, forKey: Key(stringValue: name))
        try c.encode(nextCursor, forKey: Key(stringValue: "nextCursor"))  // null, not absent
    }
}

/// The position after a lead in the best-first list: its probability's bit pattern (16 hex
/// digits) and its id's UTF-8 bytes in hex, so that any text matching the pattern the OpenAPI
/// document gives is a position.
enum ListCursor {
    static func encode(probability: Double, id: String) -> String {
        let bits = String(probability.bitPattern, radix: 16)
        return String(repeating: "0", count: 16 - bits.count) + bits + id.utf8.map { String(format: "%02x", $0) }.joined()
    }

    static func decode(_ cursor: String) -> (Double, String)? {
        let chars = Array(cursor.utf8)
        guard chars.count >= 16, chars.count % 2 == 0, let bits = UInt64(String(decoding: chars[0..<16], as: UTF8.self), radix: 16) else { return nil }
        var bytes: [UInt8] = []
        var i = 16
        while i < chars.count {
            guard let b = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(b)
            i += 2
        }
        return (Double(bitPattern: bits), String(decoding: bytes, as: UTF8.self))
    }
}
