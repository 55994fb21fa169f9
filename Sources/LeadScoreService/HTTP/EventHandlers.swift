import Foundation
import GRDB
import Hummingbird
import LeadScoring

/// An event on its way into the store.
struct IncomingEvent {
    var id: String
    var leadId: String
    var type: String
    var time: Double
    var value: Double?
    var properties: [String: JSONValue]
}

/// What a Segment message asks of the store, checked before anything is written.
enum SegmentChange {
    case event(IncomingEvent)
    case traits(leadId: String, traits: [String: JSONValue])
    case alias(from: String, to: String)
}

enum SegmentKind: String, CaseIterable {
    case track, identify, alias, batch, page, screen, group
    static var allCases: [SegmentKind] { [.track, .identify, .alias, .batch] }
}

extension ScoringServer {
    func postEvents(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .write)
        let body = try await self.body(request)
        try body.only(["events"])
        let items = try body.array("events", max: 1000)
        let events = try items.enumerated().map { i, item -> IncomingEvent in
            let e = try JSONReader(item, path: "events[\(i)]")
            try e.only(["id", "leadId", "type", "timestamp", "value", "properties"])
            return IncomingEvent(id: try e.string("id") ?? "", leadId: try e.leadId("leadId") ?? "", type: try e.string("type") ?? "",
                                 time: try e.time("timestamp", required: true) ?? 0, value: try e.number("value"),
                                 properties: try e.object("properties", required: false)?.fields ?? [:])
        }
        let now = Date().timeIntervalSince1970
        let (accepted, duplicates) = try await store.write { [engine] db in
            try ScoringServer.apply(db, engine: engine, changes: events.map(SegmentChange.event), now: now)
        }
        metrics.ingested(accepted)
        struct Answer: Encodable { var accepted: Int; var duplicates: Int }
        return Responses.json(Answer(accepted: accepted, duplicates: duplicates))
    }

    /// Applies events, trait merges and aliases in order inside one transaction, then rescores
    /// each lead they touched once. Returns (events stored, repeated event ids).
    static func apply(_ db: Database, engine: ScoringEngine, changes: [SegmentChange], now: Double) throws -> (Int, Int) {
        var accepted = 0, duplicates = 0
        var touched: [String: ChangeCause] = [:], order: [String] = []
        func touch(_ id: String, _ cause: ChangeCause) {
            if touched[id] == nil { order.append(id) }
            if touched[id] != .attributes { touched[id] = cause }
        }
        for change in changes {
            switch change {
            case let .event(e):
                let properties = e.properties.isEmpty ? nil : JSONValue.object(e.properties).jsonText
                try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO events (id, lead_id, type, time, value, properties, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [e.id, e.leadId, e.type, e.time, e.value, properties, now])
                if db.changesCount > 0 {
                    accepted += 1
                    // A repeated event id creates nothing (not even its lead, which an alias
                    // may have merged away since).
                    var created = false
                    if touched[e.leadId] == nil { created = try ScoringEngine.ensureLead(db, id: e.leadId, now: now) }
                    // An event moves the score only when inputs or rules read events; a new
                    // lead is scored either way.
                    if created || engine.usesEvents { touch(e.leadId, .event) }
                } else {
                    duplicates += 1
                }
            case let .traits(id, traits):
                try ScoringEngine.ensureLead(db, id: id, now: now)
                guard let stored = try StoredLead.fetch(db, id: id) else { continue }
                var merged = stored.attributes
                for (k, v) in traits where !k.isEmpty { if v == .null { merged.removeValue(forKey: k) } else { merged[k] = v } }
                let text = JSONValue.object(merged).jsonText
                try db.execute(sql: "UPDATE leads SET attributes = ?, updated_at = ? WHERE id = ?", arguments: [text, now, id])
                touch(id, .attributes)
            case let .alias(from, to):
                guard from != to else { continue }
                try ScoringEngine.ensureLead(db, id: to, now: now)
                guard let known = try StoredLead.fetch(db, id: to) else { continue }
                if let anonymous = try StoredLead.fetch(db, id: from) {
                    // The known lead's own attributes win; the anonymous one's fill the gaps.
                    let merged = anonymous.attributes.merging(known.attributes) { _, mine in mine }
                    let text = JSONValue.object(merged).jsonText
                    try db.execute(sql: "UPDATE leads SET attributes = ?, updated_at = ? WHERE id = ?", arguments: [text, now, to])
                    try db.execute(sql: "UPDATE events SET lead_id = ? WHERE lead_id = ?", arguments: [to, from])
                    _ = try ScoringEngine.removeLead(db, id: from)
                    touched.removeValue(forKey: from)
                    order.removeAll { $0 == from }
                }
                touch(to, .attributes)
            }
        }
        for id in order { if let cause = touched[id] { try engine.rescore(db, id: id, cause: cause, now: now) } }
        return (accepted, duplicates)
    }

    // MARK: Segment

    /// Segment's HTTP tracking API: track, identify, alias and batch, with the write key as the
    /// Basic-auth user name; each message's `messageId` makes it idempotent.
    func segment(_ kind: SegmentKind, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .write, allowBasic: true)
        let body = try await self.body(request, limit: kind == .batch ? ScoringServer.segmentBatchLimit : ScoringServer.segmentLimit)
        let now = Date().timeIntervalSince1970
        var changes: [SegmentChange] = []
        try ScoringServer.checkSegmentFields(body)
        if kind == .batch {
            // An empty batch is nothing to do (Segment's libraries do not send one).
            let items: [JSONValue]
            if case .array([])? = body.fields["batch"] { items = [] } else { items = try body.array("batch", max: 10_000) }
            for (i, item) in items.enumerated() {
                // Segment's limit for one message holds inside a batch too.
                if item.jsonText.utf8.count > ScoringServer.segmentLimit {
                    throw APIError(status: .contentTooLarge, code: "payload_too_large",
                                   message: "'batch[\(i)]' is larger than \(ScoringServer.segmentLimit / 1024) KB, Segment's limit for one message",
                                   field: "batch[\(i)]")
                }
                let message = try JSONReader(item, path: "batch[\(i)]")
                try ScoringServer.checkSegmentFields(message)
                guard let typeText = try message.string("type"), let type = SegmentKind(rawValue: typeText), type != .batch else {
                    throw APIError.badRequest("'batch[\(i)].type' must be track, identify, alias, page, screen or group", field: "batch[\(i)].type")
                }
                if let change = try ScoringServer.segmentChange(type, message, now: now) { changes.append(change) }
            }
        } else if let change = try ScoringServer.segmentChange(kind, body, now: now) {
            changes.append(change)
        }
        let (accepted, _) = try await store.write { [engine, changes] db in try ScoringServer.apply(db, engine: engine, changes: changes, now: now) }
        metrics.ingested(accepted)
        struct Answer: Encodable { var success = true }
        return Responses.json(Answer())
    }

    /// The types of the fields Segment's messages carry that the service does not use
    /// (context, sentAt, …): a wrong type is refused as Segment's API would, null is absent.
    static func checkSegmentFields(_ m: JSONReader) throws {
        for (key, value) in m.fields where value != .null {
            switch key {
            case "writeKey", "type", "name", "groupId":
                guard case .string = value else { throw APIError.badRequest("'\(m.name(key))' must be text, not \(value.typeName)", field: m.name(key)) }
            case "userId", "anonymousId", "previousId", "messageId", "event":
                _ = try m.string(key, required: false)  // text of 1 to 200 characters
            case "timestamp", "originalTimestamp", "sentAt":
                _ = try m.time(key, required: false)
            case "context", "integrations", "properties", "traits":
                guard case .object = value else { throw APIError.badRequest("'\(m.name(key))' must be an object, not \(value.typeName)", field: m.name(key)) }
            default:
                break  // Segment sends more; what the service does not read is ignored
            }
        }
    }

    /// Segment's nested traits (`address: {city}`) as flat attributes (`address.city`); arrays
    /// as their JSON text.
    static func flatten(_ object: [String: JSONValue], prefix: String = "") -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (key, value) in object {
            switch value {
            case let .object(inner): out.merge(flatten(inner, prefix: prefix + key + ".")) { a, _ in a }
            case .array: out[prefix + key] = .string(value.cellText)
            default: out[prefix + key] = value
            }
        }
        return out
    }

    static func segmentChange(_ kind: SegmentKind, _ m: JSONReader, now: Double) throws -> SegmentChange? {
        func identity(_ key: String) throws -> String? {
            guard m.has(key) else { return nil }
            return try m.leadId(key)
        }
        if kind == .alias {
            guard let to = try identity("userId") else { throw APIError.badRequest("'\(m.name("userId"))' is required", field: m.name("userId")) }
            guard let from = try identity("previousId") else { throw APIError.badRequest("'\(m.name("previousId"))' is required", field: m.name("previousId")) }
            return .alias(from: from, to: to)
        }
        guard let lead = try identity("userId") ?? identity("anonymousId") else {
            throw APIError.badRequest("a message needs 'userId' or 'anonymousId'", field: m.name("userId"))
        }
        switch kind {
        case .identify:
            return .traits(leadId: lead, traits: flatten(try m.object("traits", required: false)?.fields ?? [:]))
        case .track, .page, .screen:
            let type: String
            if kind == .track {
                type = try m.string("event") ?? ""
            } else {
                type = kind.rawValue
            }
            let properties = try m.object("properties", required: false)?.fields ?? [:]
            var value: Double? = nil
            switch properties["value"] {
            case let .number(d)?: value = d
            case let .string(s)?: value = Double(s).flatMap { $0.isFinite ? $0 : nil }
            default: break
            }
            let time = try m.time("timestamp", required: false) ?? m.time("originalTimestamp", required: false) ?? now
            // Without a messageId there is nothing to recognise a repeat by.
            let id = try m.string("messageId", required: false) ?? "srv-" + UUID().uuidString
            return .event(IncomingEvent(id: id, leadId: lead, type: type, time: time, value: value, properties: properties))
        case .group, .alias, .batch:
            return nil
        }
    }
}
