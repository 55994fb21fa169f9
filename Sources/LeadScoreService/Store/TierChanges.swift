import Foundation
import GRDB
import LeadScoring

/// A tier change as `leadscore alerts tail` prints it.
public struct TierChange: Codable, Sendable {
    public var sequence: Int64
    public var leadId: String
    public var from: Tier?
    public var to: Tier
    public var at: String
    public var cause: String
    public var probability: Double
    public var score: Int
    public var modelVersion: String
}

/// Reading the tier history in the order it was written.
public enum TierChanges {
    public static func latestSequence(in store: LeadStore) throws -> Int64 {
        try store.readNow { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM history") ?? 0 }
    }

    public static func since(_ sequence: Int64, in store: LeadStore, limit: Int = 1000) throws -> [TierChange] {
        try store.readNow { db in
            try Row.fetchAll(db, sql: "SELECT * FROM history WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, limit]).map { row in
                TierChange(sequence: row["seq"], leadId: row["lead_id"], from: (row["from_tier"] as String?).flatMap(Tier.init(rawValue:)),
                           to: Tier(rawValue: row["to_tier"]) ?? .cold, at: DateParser.isoDateTime(seconds: row["at"]), cause: row["cause"],
                           probability: row["probability"], score: row["score"], modelVersion: row["model_version"])
            }
        }
    }
}
