import Foundation
import GRDB
import LeadScoring

/// The model the service scores with, and everything that changes a stored lead's score: a
/// lead is rescored inside the transaction that changes it (so its stored tier is never behind
/// its data), and every change of its tier is written to its history with the cause.
public final class ScoringEngine: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    let source: ModelSource
    let rules: RuleSet?
    private let lock = NSLock()
    private var current: (read: LiveScorer, write: LiveScorer)
    /// Whether a lead's events change its score (inputs from events, event rules); when not,
    /// an event alone does not rescore the lead.
    let usesEvents: Bool
    /// Whether an input filters on event properties (only then are they read back).
    let usesProperties: Bool
    /// Told of every change of a stored lead, inside the transaction that made it (the
    /// webhooks' outbox).
    var changed: ((Database, LeadChange, Double) throws -> Void)?
    /// Whether a change to this tier is wanted explained (reasons computed for the outbox).
    var explainsTierChange: ((Tier) -> Bool)?
    /// Told how many scores were computed (the metrics).
    var scored: ((Int) -> Void)?

    public init(configuration: ServiceConfiguration) throws {
        guard let model = configuration.model else {
            throw UsageError("no model: give --model FILE_OR_REGISTRY or 'model:' in the configuration")
        }
        self.configuration = configuration
        source = try ModelSource(path: model)
        rules = try configuration.rules.map { try RuleSet.load(path: $0) }
        usesEvents = !configuration.inputs.isEmpty || rules?.usesEvents == true
        usesProperties = configuration.inputs.contains { !$0.conditions.isEmpty }
        let (loaded, version) = try source.load()
        current = try ScoringEngine.scorers(loaded, version: version, rules: rules, configuration: configuration)
    }

    static func scorers(_ model: LeadModel, version: String, rules: RuleSet?, configuration: ServiceConfiguration) throws -> (read: LiveScorer, write: LiveScorer) {
        // Reads explain the score (reasons); writes store only the score and tier.
        (try LiveScorer(model: model, modelVersion: version, rules: rules, configuration: configuration),
         try LiveScorer(model: model, modelVersion: version, rules: rules, configuration: configuration, reasonsPerSide: 0))
    }

    /// The scorer that explains (for answers).
    public var reader: LiveScorer { lock.withLock { current.read } }
    /// Both scorers of one model version, taken together.
    var scorers: (read: LiveScorer, write: LiveScorer) { lock.withLock { current } }
    public var modelVersion: String { reader.modelVersion }

    /// Loads the model source's current version if it changed; true when it did.
    public func reloadIfChanged() throws -> Bool {
        guard let active = try source.activeVersion(), active != modelVersion else { return false }
        let (model, version) = try source.load()
        let next = try ScoringEngine.scorers(model, version: version, rules: rules, configuration: configuration)
        lock.withLock { current = next }
        return true
    }

    static func lead(_ stored: StoredLead, events: [EventLog.Event]) -> LiveLead {
        LiveLead(id: stored.id, attributes: stored.attributes.mapValues(\.cellText), events: events)
    }

    /// Rescores lead `id` as of `now` and stores the result; a tier change is written to the
    /// history with `cause`. With `explain`, the score carries its reasons (for an answer).
    /// Returns nil when there is no such lead.
    @discardableResult
    func rescore(_ db: Database, id: String, cause: ChangeCause, now: Double, explain: Bool = false) throws -> (lead: StoredLead, score: LiveScore)? {
        guard var stored = try StoredLead.fetch(db, id: id) else { return nil }
        let events = usesEvents ? try StoredEvent.activity(db, leadId: id, properties: usesProperties) : []
        let pair = scorers  // one model version for the whole rescore, even if a reload lands meanwhile
        let scorer = explain ? pair.read : pair.write
        let lead = ScoringEngine.lead(stored, events: events)
        var score = settle(try scorer.score(lead, at: now), previous: stored, scorer: scorer)
        let next = scorer.nextChange(lead, after: now)
        let created = !stored.scored
        let previous = (tier: stored.tier, score: stored.score)
        let changed = score.tier != stored.tier || created
        if changed {
            try db.execute(sql: """
                INSERT INTO history (lead_id, from_tier, to_tier, at, cause, probability, score, model_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, created ? nil : stored.tier.rawValue, score.tier.rawValue, now, cause.rawValue,
                                 score.probability, score.score, score.modelVersion])
            stored.tierChangedAt = now
            stored.sequence += 1
        } else if score.score != previous.score {
            // The lead's sequence counts every change a receiver may hear of, in order.
            stored.sequence += 1
        }
        try db.execute(sql: """
            UPDATE leads SET probability = ?, score = ?, tier = ?, points = ?, grade = ?, model_version = ?,
                tier_changed_at = ?, next_check_at = ?, sequence = ? WHERE id = ?
            """, arguments: [score.probability, score.score, score.tier.rawValue, score.points, score.grade, score.modelVersion,
                             stored.tierChangedAt, next, stored.sequence, id])
        stored.probability = score.probability
        stored.score = score.score
        stored.tier = score.tier
        stored.points = score.points
        stored.grade = score.grade
        stored.modelVersion = score.modelVersion
        scored?(1)
        if let notify = self.changed, changed || score.score != previous.score {
            if changed, !explain, explainsTierChange?(score.tier) == true {
                var explained = try pair.read.score(lead, at: now)
                explained.tier = score.tier
                score = explained
            }
            try notify(db, LeadChange(leadId: id, from: created ? nil : previous.tier, to: score.tier,
                                      previousScore: created ? nil : previous.score, score: score, cause: cause,
                                      sequence: stored.sequence, created: created,
                                      // A lead that is warm from its first score is news too.
                                      tierChanged: changed && (!created || score.tier != .cold)), now)
        }
        return (stored, score)
    }

    /// The lead's tier after hysteresis against its stored tier (`Hysteresis.settled`); a lead
    /// never scored has nothing to settle against.
    func settle(_ score: LiveScore, previous: StoredLead, scorer: LiveScorer) -> LiveScore {
        guard previous.scored else { return score }
        return Hysteresis.settled(score, previous: previous.tier, thresholds: scorer.model.tiers, margin: configuration.hysteresis,
                                  tierFrom: configuration.tierFrom)
    }

    /// Creates lead `id` if it is not stored yet (with no attributes and no score: the caller
    /// rescores it). True when it was created. A lead deleted before goes on from its last
    /// sequence, so receivers still order what they hear of it.
    @discardableResult
    static func ensureLead(_ db: Database, id: String, now: Double) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO leads (id, attributes, created_at, updated_at, probability, score, tier, model_version, tier_changed_at, sequence)
            VALUES (?, '{}', ?, ?, 0, 0, 'Cold', '', ?, COALESCE((SELECT sequence FROM retired_sequences WHERE lead_id = ?), 0))
            """).execute(arguments: [id, now, now, now, id])
        return db.changesCount > 0
    }

    /// Deletes lead `id` with its history (its events are the caller's to move or delete) and
    /// keeps its sequence, one past its last change; returns that sequence (nil: no such lead).
    static func removeLead(_ db: Database, id: String) throws -> Int? {
        guard let sequence = try Int.fetchOne(db, sql: "SELECT sequence FROM leads WHERE id = ?", arguments: [id]) else { return nil }
        try db.execute(sql: "INSERT OR REPLACE INTO retired_sequences (lead_id, sequence) VALUES (?, ?)", arguments: [id, sequence + 1])
        try db.execute(sql: "DELETE FROM leads WHERE id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM history WHERE lead_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM score_baselines WHERE lead_id = ?", arguments: [id])
        return sequence + 1
    }

    /// Replaces or merges a lead's attributes (a null value removes one) and rescores it.
    func setAttributes(_ db: Database, id: String, attributes: [String: JSONValue], merge: Bool, now: Double) throws -> (lead: StoredLead, score: LiveScore)? {
        if !merge { try ScoringEngine.ensureLead(db, id: id, now: now) }
        guard let stored = try StoredLead.fetch(db, id: id) else { return nil }
        var next = merge ? stored.attributes : [:]
        for (k, v) in attributes {
            if v == .null { next.removeValue(forKey: k) } else { next[k] = v }
        }
        let text = JSONValue.object(next).jsonText
        try db.execute(sql: "UPDATE leads SET attributes = ?, updated_at = ? WHERE id = ?", arguments: [text, now, id])
        return try rescore(db, id: id, cause: .attributes, now: now, explain: true)
    }
}

/// A change of a stored lead that endpoints may hear about.
struct LeadChange {
    var leadId: String
    var from: Tier?
    var to: Tier
    var previousScore: Int?
    var score: LiveScore
    var cause: ChangeCause
    var sequence: Int
    var created: Bool
    var tierChanged: Bool
}

/// Where the model comes from: a model file, or a registry folder whose active version the
/// service follows.
struct ModelSource {
    let path: String
    let registry: ModelRegistry?
    var isRegistry: Bool { registry != nil }

    init(path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw FileError.unreadable(path: path, reason: "no such model file or registry folder")
        }
        self.path = path
        registry = isDir.boolValue ? try ModelRegistry(directory: path, create: false) : nil
    }

    /// The version to score with now: the registry's active one, or the model file's name and
    /// hash (so a file replaced in place is picked up too).
    func activeVersion() throws -> String? {
        guard let registry else { return try fileVersion() }
        return try registry.index().active.map { "v\($0)" }
    }

    func fileVersion() throws -> String {
        URL(fileURLWithPath: path).lastPathComponent + "@" + (try SHA256.hexDigest(ofFile: path)).prefix(12)
    }

    /// The model and its version: `vN` in a registry, else the file's name and the first 12
    /// hex digits of its SHA-256.
    func load() throws -> (LeadModel, String) {
        if let registry {
            guard let (version, model) = try registry.active() else {
                throw UsageError("\(path): the registry has no active model yet (leadscore retrain adds one)")
            }
            return (model, "v\(version)")
        }
        let version = try fileVersion()
        return (try LeadModel.load(from: path), version)
    }
}
