import Foundation
import GRDB
import LeadScoring

/// What a key may do: `read` scores, `write` (ingest and change leads), `admin` both and manage
/// webhooks.
public enum KeyScope: String, CaseIterable, Codable, Sendable {
    case read, write, admin

    func allows(_ needed: KeyScope) -> Bool {
        self == .admin || self == needed
    }
}

public struct APIKey: Codable, Sendable {
    public var id: String
    public var name: String?
    public var scope: KeyScope
    public var createdAt: Double
    public var revokedAt: Double?
}

/// API keys: shown once when made, stored as their SHA-256 (a stolen store gives no key).
public enum APIKeys {
    /// A new key: `lsk_` + 32 random bytes in hex. Returns the record and the key itself.
    public static func create(in store: LeadStore, scope: KeyScope, name: String?) throws -> (APIKey, String) {
        let secret = RandomBytes.hex(32)
        let key = "lsk_" + secret
        let id = "key_" + String(secret.prefix(8))
        let record = APIKey(id: id, name: name, scope: scope, createdAt: Date().timeIntervalSince1970, revokedAt: nil)
        try store.writeNow { db in
            try db.execute(sql: "INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, name, scope.rawValue, hash(key), record.createdAt])
        }
        return (record, key)
    }

    public static func list(in store: LeadStore) throws -> [APIKey] {
        try store.readNow { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at").map { row in
                APIKey(id: row["id"], name: row["name"], scope: KeyScope(rawValue: row["scope"]) ?? .read,
                       createdAt: row["created_at"], revokedAt: row["revoked_at"])
            }
        }
    }

    /// Revokes a key; false when there is no such key.
    public static func revoke(in store: LeadStore, id: String) throws -> Bool {
        try store.writeNow { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           arguments: [Date().timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    /// The scope of a live key, nil for an unknown or revoked one.
    static func scope(of key: String, in db: Database) throws -> KeyScope? {
        guard key.hasPrefix("lsk_"), key.count < 200 else { return nil }
        let scope = try String.fetchOne(db, sql: "SELECT scope FROM api_keys WHERE hash = ? AND revoked_at IS NULL", arguments: [hash(key)])
        return scope.flatMap(KeyScope.init(rawValue:))
    }

    static func hash(_ key: String) -> String {
        var sha = LeadScoring.SHA256()
        sha.update(Array(key.utf8))
        return sha.finalize()
    }
}

/// Secrets and ids from the system's cryptographic random source: API keys, webhook secrets,
/// webhook and delivery ids.
enum RandomBytes {
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func hex(_ count: Int) -> String { bytes(count).map { String(format: "%02x", $0) }.joined() }
}
