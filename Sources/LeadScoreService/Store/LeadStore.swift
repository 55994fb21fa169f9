import Foundation
import GRDB
import LeadScoring

/// The service's embedded store: SQLite in WAL mode through GRDB. Leads with their attributes
/// and last stored score, events (unique by id: a repeated id is not counted twice), every tier
/// change, and API keys (hashed). A request is answered only after its transaction commits,
/// so whatever was acknowledged survives a crash of the process.
public final class LeadStore: @unchecked Sendable {
    public let path: String
    let pool: DatabasePool

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL: a commit is in the log before the call returns, so
            // a killed process loses nothing acknowledged (a power cut may lose the last ones).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try LeadStore.migrator.migrate(pool)
        } catch {
            throw FileError.unwritable(path: path, reason: "cannot open the store: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE leads (
                    id TEXT PRIMARY KEY NOT NULL,
                    attributes TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    probability REAL NOT NULL,
                    score INTEGER NOT NULL,
                    tier TEXT NOT NULL,
                    points REAL,
                    grade TEXT,
                    model_version TEXT NOT NULL,
                    tier_changed_at REAL NOT NULL,
                    next_check_at REAL,
                    sequence INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX leads_rank ON leads(probability DESC, id);
                CREATE INDEX leads_next_check ON leads(next_check_at) WHERE next_check_at IS NOT NULL;
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    lead_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    time REAL NOT NULL,
                    value REAL,
                    properties TEXT,
                    received_at REAL NOT NULL
                );
                CREATE INDEX events_lead ON events(lead_id, seq);
                CREATE TABLE history (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    lead_id TEXT NOT NULL,
                    from_tier TEXT,
                    to_tier TEXT NOT NULL,
                    at REAL NOT NULL,
                    cause TEXT NOT NULL,
                    probability REAL NOT NULL,
                    score INTEGER NOT NULL,
                    model_version TEXT NOT NULL
                );
                CREATE INDEX history_lead ON history(lead_id, seq);
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT,
                    scope TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    revoked_at REAL
                );
                """)
        }
        m.registerMigration("v2-webhooks") { db in
            try db.execute(sql: """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY NOT NULL,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    description TEXT,
                    filter_to TEXT,
                    min_change INTEGER NOT NULL DEFAULT 10,
                    enabled INTEGER NOT NULL DEFAULT 1,
                    secret TEXT NOT NULL,
                    previous_secret TEXT,
                    previous_until REAL,
                    created_at REAL NOT NULL,
                    disabled_reason TEXT
                );
                CREATE TABLE deliveries (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    webhook_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    lead_id TEXT,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL,
                    created_at REAL NOT NULL,
                    delivered_at REAL,
                    last_status INTEGER,
                    last_error TEXT
                );
                CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
                CREATE INDEX deliveries_webhook ON deliveries(webhook_id, seq);
                CREATE TABLE delivery_attempts (
                    delivery_id TEXT NOT NULL,
                    at REAL NOT NULL,
                    status INTEGER,
                    error TEXT,
                    seconds REAL
                );
                CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);
                CREATE TABLE webhook_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    webhook_id TEXT,
                    type TEXT NOT NULL,
                    at REAL NOT NULL,
                    detail TEXT
                );
                """)
        }
        m.registerMigration("v3-score-baselines") { db in
            // Per lead and endpoint, the score the endpoint last heard of (lead.score_changed
            // fires when the score has moved minChange from it, however many steps it took).
            try db.execute(sql: """
                CREATE TABLE score_baselines (
                    lead_id TEXT NOT NULL,
                    webhook_id TEXT NOT NULL,
                    score INTEGER NOT NULL,
                    PRIMARY KEY (lead_id, webhook_id)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v4-retired-sequences-replays") { db in
            // A deleted lead's next sequence (a lead created again under its id goes on from it),
            // and which delivery a replay repeats (a replay sends originals only).
            try db.execute(sql: """
                CREATE TABLE retired_sequences (
                    lead_id TEXT PRIMARY KEY,
                    sequence INTEGER NOT NULL
                ) WITHOUT ROWID;
                ALTER TABLE deliveries ADD COLUMN replay_of TEXT;
                """)
        }
        return m
    }

    public func read<T>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    public func write<T>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    public func writeNow<T>(_ body: (Database) throws -> T) throws -> T { try pool.write(body) }
    public func readNow<T>(_ body: (Database) throws -> T) throws -> T { try pool.read(body) }

    /// Bytes on disk: the database and its write-ahead log.
    public var sizeOnDisk: Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { total, p in
            total + ((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }
}

/// Why a lead's tier changed.
public enum ChangeCause: String, Codable, Sendable {
    case attributes, event, decay, model
}

/// A lead as stored.
struct StoredLead {
    var id: String
    var attributes: [String: JSONValue]
    var createdAt: Double
    var updatedAt: Double
    var tier: Tier
    var probability: Double
    var score: Int
    var points: Double?
    var grade: String?
    var modelVersion: String
    var tierChangedAt: Double
    var sequence: Int
    /// Whether the lead has been scored (a lead just created has no model version yet).
    var scored: Bool { !modelVersion.isEmpty }

    init(row: Row) {
        id = row["id"]
        let text: String = row["attributes"]
        attributes = JSONValue.objectFields(text) ?? [:]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        tier = Tier(rawValue: row["tier"] ?? "") ?? .cold
        probability = row["probability"]
        score = row["score"]
        points = row["points"]
        grade = row["grade"]
        modelVersion = row["model_version"]
        tierChangedAt = row["tier_changed_at"]
        sequence = row["sequence"]
    }

    static func fetch(_ db: Database, id: String) throws -> StoredLead? {
        try Row.fetchOne(db, sql: "SELECT * FROM leads WHERE id = ?", arguments: [id]).map(StoredLead.init(row:))
    }
}

/// An event as stored.
struct StoredEvent {
    var seq: Int64
    var id: String
    var leadId: String
    var type: String
    var time: Double
    var value: Double?
    var properties: [String: JSONValue]
    var receivedAt: Double

    init(row: Row) {
        seq = row["seq"]
        id = row["id"]
        leadId = row["lead_id"]
        type = row["type"]
        time = row["time"]
        value = row["value"]
        let text: String? = row["properties"]
        properties = text.flatMap(JSONValue.objectFields) ?? [:]
        receivedAt = row["received_at"]
    }

    /// The lead's events as the scorer reads them (activity names lower-cased, as event logs are).
    /// With `properties` false, the events' properties are not read (nothing filters on them).
    static func activity(_ db: Database, leadId: String, properties withProperties: Bool = true) throws -> [EventLog.Event] {
        let sql = withProperties ? "SELECT type, time, value, properties FROM events WHERE lead_id = ?"
                                 : "SELECT type, time, value FROM events WHERE lead_id = ?"
        return try Row.fetchAll(db, sql: sql, arguments: [leadId]).map { row in
            let text: String? = withProperties ? row["properties"] : nil
            var properties: [String: String] = [:]
            if let text, let object = JSONValue.objectFields(text) {
                for (k, v) in object { properties[k] = v.cellText }
            }
            let type: String = row["type"]
            return EventLog.Event(activity: type.lowercased(), time: row["time"], value: row["value"], properties: properties)
        }
    }
}
