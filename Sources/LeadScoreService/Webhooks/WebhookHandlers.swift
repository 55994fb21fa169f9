import Foundation
import GRDB
import Hummingbird
import LeadScoring

/// `/v1/webhooks`: endpoints (admin keys only), their deliveries, retries and replays.
extension ScoringServer {
    struct EndpointBody: Encodable {
        var id: String, url: String, events: [String], description: String?, filter: [String: [String]]?
        var minChange: Int, enabled: Bool, disabledReason: String?, createdAt: String
        var secret: String?
        init(_ e: WebhookEndpoint, secret: String? = nil) {
            id = e.id; url = e.url; events = e.events.map(\.rawValue); description = e.description
            filter = e.filterTo.map { ["to": $0.map(\.rawValue)] }; minChange = e.minChange; enabled = e.enabled
            disabledReason = e.disabledReason; createdAt = DateParser.isoDateTime(seconds: e.createdAt); self.secret = secret
        }
        enum Keys: String, CodingKey { case id, url, events, description, filter, minChange, enabled, disabledReason, createdAt, secret }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(id, forKey: .id); try c.encode(url, forKey: .url); try c.encode(events, forKey: .events)
            try c.encode(description, forKey: .description); try c.encode(filter, forKey: .filter)
            try c.encode(minChange, forKey: .minChange); try c.encode(enabled, forKey: .enabled)
            try c.encode(disabledReason, forKey: .disabledReason); try c.encode(createdAt, forKey: .createdAt)
            if let secret { try c.encode(secret, forKey: .secret) }
        }
    }

    /// The endpoint fields of a create or update body.
    struct EndpointFields {
        var url: String?, events: [WebhookEventType]?, description: String??, filterTo: [Tier]??, minChange: Int?, enabled: Bool?
    }

    func endpointFields(_ body: JSONReader, creating: Bool) async throws -> EndpointFields {
        try body.only(creating ? ["url", "events", "description", "filter", "minChange"] : ["url", "events", "description", "filter", "minChange", "enabled"])
        var f = EndpointFields()
        if let url = try body.string("url", required: creating, maxLength: 2000) {
            do { _ = try await AddressGuard.resolve(url, allowPrivate: configuration.webhooks.allowPrivate) } catch {
                throw APIError.badRequest("'url': \(error)", field: "url")
            }
            f.url = url
        }
        if body.has("events") || creating {
            let items = try body.array("events", max: WebhookEventType.allCases.count * 2)
            f.events = try items.enumerated().map { i, v in
                guard case let .string(s) = v, let t = WebhookEventType(rawValue: s) else {
                    throw APIError.badRequest("'events[\(i)]' must be one of " + WebhookEventType.allCases.map(\.rawValue).joined(separator: ", "), field: "events[\(i)]")
                }
                return t
            }
        }
        if body.fields.keys.contains("description") { f.description = .some(try body.string("description", required: false, maxLength: 500)) }
        if body.fields.keys.contains("filter") {
            if let filter = try body.object("filter", required: false) {
                try filter.only(["to"])
                let tiers = try filter.array("to", max: 3)
                f.filterTo = .some(try tiers.enumerated().map { i, v in
                    guard case let .string(s) = v, let t = Tier(rawValue: s) else {
                        throw APIError.badRequest("'filter.to[\(i)]' must be Cold, MQL or SQL", field: "filter.to[\(i)]")
                    }
                    return t
                })
            } else {
                f.filterTo = .some(nil)
            }
        }
        if let n = try body.number("minChange") {
            guard n == n.rounded(), (1...100).contains(n) else { throw APIError.badRequest("'minChange' must be a whole number from 1 to 100", field: "minChange") }
            f.minChange = Int(n)
        }
        if let v = body.fields["enabled"], v != .null {
            guard case let .bool(b) = v else { throw APIError.badRequest("'enabled' must be true or false", field: "enabled") }
            f.enabled = b
        }
        return f
    }

    static func webhookId(_ context: BasicRequestContext, _ name: String = "id") throws -> String {
        guard let id = context.parameters.get(name), !id.isEmpty, id.count <= 100 else {
            throw APIError.badRequest("'\(name)' is not an id this service gave", field: name)
        }
        return id
    }

    func createWebhook(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let f = try await endpointFields(try await body(request), creating: true)
        let id = Webhooks.newId("wh_"), secret = WebhookSigner.newSecret(), now = Date().timeIntervalSince1970
        let endpoint = try await store.write { [webhooks] db -> WebhookEndpoint? in
            try db.execute(sql: """
                INSERT INTO webhooks (id, url, events, description, filter_to, min_change, enabled, secret, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
                """, arguments: [id, f.url, (f.events ?? []).map(\.rawValue).joined(separator: ","), f.description ?? nil,
                                 (f.filterTo ?? nil)?.map(\.rawValue).joined(separator: ","), f.minChange ?? 10, secret, now])
            try webhooks.reload(db)
            return webhooks.endpoint(id)
        }
        guard let endpoint else { throw APIError.notFound("no webhook '\(id)'") }
        return Responses.json(EndpointBody(endpoint, secret: secret), status: .created)
    }

    func listWebhooks(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let all = try await store.read { db in try Row.fetchAll(db, sql: "SELECT * FROM webhooks ORDER BY created_at").map(WebhookEndpoint.init(row:)) }
        struct Answer: Encodable { var webhooks: [EndpointBody] }
        return Responses.json(Answer(webhooks: all.map { EndpointBody($0) }))
    }

    func getWebhook(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let id = try ScoringServer.webhookId(context)
        guard let e = try await store.read({ db in try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE id = ?", arguments: [id]).map(WebhookEndpoint.init(row:)) }) else {
            throw APIError.notFound("no webhook '\(id)'")
        }
        return Responses.json(EndpointBody(e))
    }

    func updateWebhook(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let id = try ScoringServer.webhookId(context)
        let f = try await endpointFields(try await body(request), creating: false)
        let updated = try await store.write { [webhooks] db -> WebhookEndpoint? in
            guard try Row.fetchOne(db, sql: "SELECT id FROM webhooks WHERE id = ?", arguments: [id]) != nil else { return nil }
            if let url = f.url { try db.execute(sql: "UPDATE webhooks SET url = ? WHERE id = ?", arguments: [url, id]) }
            if let events = f.events { try db.execute(sql: "UPDATE webhooks SET events = ? WHERE id = ?", arguments: [events.map(\.rawValue).joined(separator: ","), id]) }
            if let d = f.description { try db.execute(sql: "UPDATE webhooks SET description = ? WHERE id = ?", arguments: [d, id]) }
            if let t = f.filterTo { try db.execute(sql: "UPDATE webhooks SET filter_to = ? WHERE id = ?", arguments: [t?.map(\.rawValue).joined(separator: ","), id]) }
            if let m = f.minChange { try db.execute(sql: "UPDATE webhooks SET min_change = ? WHERE id = ?", arguments: [m, id]) }
            if let e = f.enabled {
                try db.execute(sql: "UPDATE webhooks SET enabled = ?, disabled_reason = CASE WHEN ? THEN NULL ELSE 'disabled by an admin' END WHERE id = ?",
                               arguments: [e, e, id])
            }
            try webhooks.reload(db)
            return webhooks.endpoint(id)
        }
        guard let updated else { throw APIError.notFound("no webhook '\(id)'") }
        return Responses.json(EndpointBody(updated))
    }

    func deleteWebhook(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let id = try ScoringServer.webhookId(context)
        let found = try await store.write { [webhooks] db -> Bool in
            try db.execute(sql: "DELETE FROM webhooks WHERE id = ?", arguments: [id])
            let found = db.changesCount > 0
            try db.execute(sql: "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM deliveries WHERE webhook_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM score_baselines WHERE webhook_id = ?", arguments: [id])
            try webhooks.reload(db)
            return found
        }
        guard found else { throw APIError.notFound("no webhook '\(id)'") }
        return Response(status: .noContent)
    }

    /// A new secret; the old one keeps signing beside it for 24 hours.
    func rotateSecret(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let id = try ScoringServer.webhookId(context)
        let secret = WebhookSigner.newSecret(), now = Date().timeIntervalSince1970
        let found = try await store.write { [webhooks] db -> Bool in
            try db.execute(sql: "UPDATE webhooks SET previous_secret = secret, previous_until = ?, secret = ? WHERE id = ?",
                           arguments: [now + 86_400, secret, id])
            let found = db.changesCount > 0
            try webhooks.reload(db)
            return found
        }
        guard found else { throw APIError.notFound("no webhook '\(id)'") }
        struct Answer: Encodable { var id: String; var secret: String; var previousSecretValidUntil: String }
        return Responses.json(Answer(id: id, secret: secret, previousSecretValidUntil: DateParser.isoDateTime(seconds: now + 86_400)))
    }

    func listDeliveries(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let id = try ScoringServer.webhookId(context)
        let limit = try ScoringServer.limit(request)
        let status = request.uri.queryParameters.get("status")
        if let status, !["pending", "delivered", "failed"].contains(status) {
            throw APIError.badRequest("'status' is '\(status)'; give pending, delivered or failed", field: "status")
        }
        var before = Int64.max
        if let cursor = request.uri.queryParameters.get("cursor") {
            guard cursor.count <= 18, let seq = Int64(cursor), seq > 0 else { throw APIError.badRequest("'cursor' is not one this service gave", field: "cursor") }
            before = seq
        }
        let found = try await store.read { [before] db -> ([Row], [String: [Row]])? in
            guard try Row.fetchOne(db, sql: "SELECT id FROM webhooks WHERE id = ?", arguments: [id]) != nil else { return nil }
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE webhook_id = ? AND seq < ?" + (status == nil ? "" : " AND status = ?")
                                            + " ORDER BY seq DESC LIMIT ?",
                                        arguments: StatementArguments([id, before] + (status.map { [$0] } ?? []) + [limit + 1] as [any DatabaseValueConvertible]))
            var attempts: [String: [Row]] = [:]
            for row in rows.prefix(limit) {
                let did: String = row["id"]
                attempts[did] = try Row.fetchAll(db, sql: "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY at", arguments: [did])
            }
            return (rows, attempts)
        }
        guard let (rows, attempts) = found else { throw APIError.notFound("no webhook '\(id)'") }
        struct Attempt: Encodable {
            var at: String, status: Int?, error: String?, seconds: Double
            enum Keys: String, CodingKey { case at, status, error, seconds }
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(at, forKey: .at); try c.encode(status, forKey: .status)
                try c.encode(error, forKey: .error); try c.encode(seconds, forKey: .seconds)
            }
        }
        struct Delivery: Encodable {
            var id: String, type: String, leadId: String?, status: String, attempts: [Attempt], createdAt: String, deliveredAt: String?
            var nextAttemptAt: String?, payload: JSONValue
            enum Keys: String, CodingKey { case id, type, leadId, status, attempts, createdAt, deliveredAt, nextAttemptAt, payload }
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(id, forKey: .id); try c.encode(type, forKey: .type); try c.encode(leadId, forKey: .leadId)
                try c.encode(status, forKey: .status); try c.encode(attempts, forKey: .attempts); try c.encode(createdAt, forKey: .createdAt)
                try c.encode(deliveredAt, forKey: .deliveredAt); try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
                try c.encode(payload, forKey: .payload)
            }
        }
        let page = rows.prefix(limit)
        let list = page.map { row -> Delivery in
            let did: String = row["id"], payload: String = row["payload"], state: String = row["status"]
            let delivered: Double? = row["delivered_at"], next: Double? = row["next_attempt_at"]
            return Delivery(id: did, type: row["type"], leadId: row["lead_id"], status: state,
                            attempts: (attempts[did] ?? []).map { Attempt(at: DateParser.isoDateTime(seconds: $0["at"]), status: $0["status"], error: $0["error"], seconds: $0["seconds"] ?? 0) },
                            createdAt: DateParser.isoDateTime(seconds: row["created_at"]), deliveredAt: delivered.map(DateParser.isoDateTime(seconds:)),
                            nextAttemptAt: state == "pending" ? next.map(DateParser.isoDateTime(seconds:)) : nil,
                            payload: (try? JSONValue.parse(payload)) ?? .string(payload))
        }
        let nextCursor: String? = rows.count > limit ? page.last.map { String(($0["seq"] as Int64)) } : nil
        return Responses.json(Page(name: "deliveries", items: list, nextCursor: nextCursor))
    }

    /// Sends a delivery again now (whatever its state), with its own webhook-id; 409 while the
    /// endpoint is disabled (nothing would go out until it is enabled).
    func retryDelivery(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let id = try ScoringServer.webhookId(context), delivery = try ScoringServer.webhookId(context, "deliveryId")
        let now = Date().timeIntervalSince1970
        let found = try await store.write { db -> Bool in
            try ScoringServer.requireEnabled(db, webhook: id)
            try db.execute(sql: "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, attempts = 0 WHERE id = ? AND webhook_id = ?",
                           arguments: [now, delivery, id])
            return db.changesCount > 0
        }
        guard found else { throw APIError.notFound("no delivery '\(delivery)' of webhook '\(id)'") }
        struct Answer: Encodable { var id: String; var status = "pending" }
        return Responses.json(Answer(id: delivery), status: .accepted)
    }

    /// Queues again, as new deliveries, every original delivery (not an earlier replay) of the
    /// endpoint created since `since`; 409 while the endpoint is disabled.
    func replay(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, .admin)
        let id = try ScoringServer.webhookId(context)
        guard let text = request.uri.queryParameters.get("since"), let since = Timestamps.parse(text) else {
            throw APIError.badRequest("'since' must be an ISO 8601 date-time", field: "since")
        }
        let now = Date().timeIntervalSince1970
        let count = try await store.write { db -> Int in
            try ScoringServer.requireEnabled(db, webhook: id)
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, type, lead_id, payload FROM deliveries WHERE webhook_id = ? AND created_at >= ? AND replay_of IS NULL ORDER BY seq
                """, arguments: [id, since])
            for row in rows {
                let type: String = row["type"], payload: String = row["payload"]
                try Webhooks.enqueue(db, endpoint: id, type: WebhookEventType(rawValue: type) ?? .tierChanged, leadId: row["lead_id"],
                                     payload: Data(payload.utf8), now: now, replayOf: row["id"])
            }
            return rows.count
        }
        struct Answer: Encodable { var replayed: Int }
        return Responses.json(Answer(replayed: count), status: .accepted)
    }

    /// Throws 404 for no such endpoint and 409 for a disabled one.
    static func requireEnabled(_ db: Database, webhook id: String) throws {
        guard let enabled = try Bool.fetchOne(db, sql: "SELECT enabled FROM webhooks WHERE id = ?", arguments: [id]) else {
            throw APIError.notFound("no webhook '\(id)'")
        }
        guard enabled else {
            throw APIError(status: .conflict, code: "webhook_disabled",
                           message: "webhook '\(id)' is disabled: enable it first (PATCH {\"enabled\": true})", field: nil)
        }
    }
}
