import Foundation
import GRDB
import LeadScoring

/// The kinds of events an endpoint can subscribe to.
enum WebhookEventType: String, CaseIterable, Codable {
    case tierChanged = "lead.tier_changed"
    case scoreChanged = "lead.score_changed"
    case created = "lead.created"
    case deleted = "lead.deleted"
}

/// A webhook endpoint as stored (its secrets never leave the store but in the answer that
/// makes or rotates them).
struct WebhookEndpoint {
    var id: String
    var url: String
    var events: [WebhookEventType]
    var description: String?
    /// Only tier changes to these tiers (nil: all).
    var filterTo: [Tier]?
    var minChange: Int
    var enabled: Bool
    var secret: String
    var previousSecret: String?
    var previousUntil: Double?
    var createdAt: Double
    var disabledReason: String?

    init(row: Row) {
        id = row["id"]
        url = row["url"]
        let events: String = row["events"]
        self.events = events.split(separator: ",").compactMap { WebhookEventType(rawValue: String($0)) }
        description = row["description"]
        let filter: String? = row["filter_to"]
        filterTo = filter.map { $0.split(separator: ",").compactMap { Tier(rawValue: String($0)) } }
        minChange = row["min_change"]
        enabled = row["enabled"]
        secret = row["secret"]
        previousSecret = row["previous_secret"]
        previousUntil = row["previous_until"]
        createdAt = row["created_at"]
        disabledReason = row["disabled_reason"]
    }

    /// The secrets that sign now: the current one, and the previous one for 24 h after a rotation.
    func signingSecrets(now: Double) -> [String] {
        if let previousSecret, let previousUntil, previousUntil > now { return [secret, previousSecret] }
        return [secret]
    }

    func wants(_ type: WebhookEventType, to tier: Tier?) -> Bool {
        guard enabled, events.contains(type) else { return false }
        if type == .tierChanged, let filterTo, let tier { return filterTo.contains(tier) }
        return true
    }
}

/// The webhook endpoints (cached; the service is their only writer) and the outbox: a change
/// puts one delivery per interested endpoint into the `deliveries` table inside the transaction
/// that made the change, so a delivery exists exactly when its change was committed.
final class Webhooks: @unchecked Sendable {
    private let lock = NSLock()
    private var endpoints: [WebhookEndpoint] = []

    func reload(_ db: Database) throws {
        let all = try Row.fetchAll(db, sql: "SELECT * FROM webhooks ORDER BY created_at").map(WebhookEndpoint.init(row:))
        lock.withLock { endpoints = all }
    }

    var active: [WebhookEndpoint] { lock.withLock { endpoints.filter(\.enabled) } }

    func endpoint(_ id: String) -> WebhookEndpoint? { lock.withLock { endpoints.first { $0.id == id } } }

    static func newId(_ prefix: String) -> String { prefix + RandomBytes.hex(12) }

    /// Whether any endpoint wants tier changes to `tier` (then the change is explained).
    func wantsTierChange(to tier: Tier) -> Bool { active.contains { $0.wants(.tierChanged, to: tier) } }

    /// Queues the deliveries `change` causes.
    func record(_ db: Database, _ change: LeadChange, now: Double) throws {
        let endpoints = active
        guard !endpoints.isEmpty else { return }
        for endpoint in endpoints {
            var types: [WebhookEventType] = []
            if change.created && endpoint.wants(.created, to: nil) { types.append(.created) }
            if change.tierChanged && endpoint.wants(.tierChanged, to: change.to) { types.append(.tierChanged) }
            if endpoint.wants(.scoreChanged, to: nil), try Webhooks.scoreMoved(db, change, endpoint: endpoint) { types.append(.scoreChanged) }
            for type in types {
                try Webhooks.enqueue(db, endpoint: endpoint.id, type: type, leadId: change.leadId,
                                     payload: Webhooks.payload(type, change, now: now), now: now)
            }
        }
    }

    /// Whether the lead's score moved at least the endpoint's `minChange` from the score the
    /// endpoint last heard of (its baseline, set when the lead was created or last reported).
    static func scoreMoved(_ db: Database, _ change: LeadChange, endpoint: WebhookEndpoint) throws -> Bool {
        let baseline = try Int.fetchOne(db, sql: "SELECT score FROM score_baselines WHERE lead_id = ? AND webhook_id = ?",
                                        arguments: [change.leadId, endpoint.id])
        let from = baseline ?? change.previousScore ?? change.score.score
        let moved = !change.created && abs(change.score.score - from) >= endpoint.minChange
        if moved || baseline == nil {
            try db.execute(sql: "INSERT OR REPLACE INTO score_baselines (lead_id, webhook_id, score) VALUES (?, ?, ?)",
                           arguments: [change.leadId, endpoint.id, moved || change.created ? change.score.score : from])
        }
        return moved
    }

    /// Queues `lead.deleted` for a lead removed with `sequence` (one past its last change).
    func recordDeleted(_ db: Database, leadId: String, sequence: Int, now: Double) throws {
        for endpoint in active where endpoint.wants(.deleted, to: nil) {
            let body: [String: Any] = ["type": WebhookEventType.deleted.rawValue, "timestamp": DateParser.isoDateTime(seconds: now),
                                       "data": ["leadId": leadId, "sequence": sequence]]
            try Webhooks.enqueue(db, endpoint: endpoint.id, type: .deleted, leadId: leadId,
                                 payload: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), now: now)
        }
    }

    /// Queues one delivery; a replay names the delivery it repeats.
    static func enqueue(_ db: Database, endpoint: String, type: WebhookEventType, leadId: String?, payload: Data, now: Double,
                        replayOf: String? = nil) throws {
        try db.cachedStatement(sql: """
            INSERT INTO deliveries (id, webhook_id, type, lead_id, payload, status, attempts, next_attempt_at, created_at, replay_of)
            VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
            """).execute(arguments: [newId("msg_"), endpoint, type.rawValue, leadId, String(decoding: payload, as: UTF8.self), now, now, replayOf])
    }

    /// `{"type", "timestamp", "data": {...}}`, the data as the issue names it.
    static func payload(_ type: WebhookEventType, _ c: LeadChange, now: Double) throws -> Data {
        struct Body: Encodable {
            var type: String
            var timestamp: String
            var data: DataPart
        }
        struct DataPart: Encodable {
            var leadId: String, from: Tier?, to: Tier, previousScore: Int?, probability: Double, score: Int
            var points: Double?, grade: String?, reasons: [Reason], cause: String, modelVersion: String, sequence: Int
            enum Keys: String, CodingKey {
                case leadId, from, to, previousScore, probability, score, points, grade, reasons, cause, modelVersion, sequence
            }
            func encode(to encoder: Encoder) throws {
                var k = encoder.container(keyedBy: Keys.self)
                try k.encode(leadId, forKey: .leadId); try k.encode(from, forKey: .from); try k.encode(to, forKey: .to)
                try k.encode(previousScore, forKey: .previousScore); try k.encode(probability, forKey: .probability)
                try k.encode(score, forKey: .score); try k.encode(points, forKey: .points); try k.encode(grade, forKey: .grade)
                try k.encode(reasons, forKey: .reasons); try k.encode(cause, forKey: .cause)
                try k.encode(modelVersion, forKey: .modelVersion); try k.encode(sequence, forKey: .sequence)
            }
        }
        let data = DataPart(leadId: c.leadId, from: c.from, to: c.to, previousScore: c.previousScore, probability: c.score.probability,
                            score: c.score.score, points: c.score.points, grade: c.score.grade, reasons: c.score.reasons,
                            cause: c.cause.rawValue, modelVersion: c.score.modelVersion, sequence: c.sequence)
        return try Responses.encoder.encode(Body(type: type.rawValue, timestamp: DateParser.isoDateTime(seconds: now), data: data))
    }
}
