import Foundation

/// A lead as the scoring service holds it: its CRM attributes and its activity.
public struct LiveLead: Sendable {
    public var id: String
    /// Values by column name, as text (as a CSV export would hold them).
    public var attributes: [String: String]
    public var events: [EventLog.Event]

    public init(id: String, attributes: [String: String], events: [EventLog.Event]) {
        self.id = id
        self.attributes = attributes
        self.events = events
    }
}

/// A lead's score at one moment: the model's calibrated probability and tier, the rules'
/// points, tier and grade (decayed to that moment), the lead's tier, and the reasons.
public struct LiveScore: Codable, Equatable, Sendable {
    public var probability: Double
    public var score: Int
    /// The lead's tier (per `tier_from`).
    public var tier: Tier
    public var modelTier: Tier
    public var points: Double?
    public var rulesTier: Tier?
    public var grade: String?
    public var reasons: [Reason]
    public var modelVersion: String
    /// When the score was computed (seconds since 1970).
    public var asOf: Double
}

/// Scores live leads: inputs computed from events as configured, the rest from attributes, the
/// model through the same `LeadScorer` path as `predict`, the rules with decay to the moment of
/// scoring. Immutable: a new model version is a new `LiveScorer`.
public final class LiveScorer: Sendable {
    public let model: LeadModel
    public let modelVersion: String
    public let rules: RuleSet?
    public let configuration: ServiceConfiguration
    let scorer: LeadScorer
    let inputsByName: [String: ActivityInput]
    /// The columns a lead's one-row table holds for the rules: the model's schema, the rules'
    /// columns and the inputs.
    let ruleColumns: [String]
    /// How the rules read columns no schema describes.
    let ruleKinds: [String: ColumnKind]
    static let idColumn = "__lead_id"

    public init(model: LeadModel, modelVersion: String, rules: RuleSet?, configuration: ServiceConfiguration,
                reasonsPerSide: Int = 3) throws {
        try configuration.check(model: model, rules: rules)
        self.model = model
        self.modelVersion = modelVersion
        self.rules = rules
        self.configuration = configuration
        scorer = LeadScorer(model: model, reasonsPerSide: reasonsPerSide, threads: 1)
        inputsByName = Dictionary(configuration.inputs.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var columns = model.schema.columns.map(\.name)
        for ref in rules?.columns ?? [] where !columns.contains(where: { $0.lowercased() == ref.name.lowercased() }) {
            columns.append(ref.name)
        }
        for input in configuration.inputs where !columns.contains(where: { $0.lowercased() == input.name.lowercased() }) {
            columns.append(input.name)
        }
        ruleColumns = columns
        ruleKinds = rules?.expectedKinds ?? [:]
        // The rules must bind to the model's columns now, not at the first lead.
        if let rules { _ = try ruleScorer(rules, values: [:], lead: LiveLead(id: "check", attributes: [:], events: []), at: 0) }
    }

    /// The lead's values for `names`: an input's computed value, else its attribute (names
    /// matched ignoring case), else missing.
    func values(_ lead: LiveLead, at time: Double) -> [String: String] {
        var lowered: [String: String] = [:]
        for (k, v) in lead.attributes { lowered[k.lowercased()] = v }
        for (name, input) in inputsByName { lowered[name] = input.value(lead.events, at: time) }
        return lowered
    }

    /// The lead's score at `time` (seconds since 1970).
    public func score(_ lead: LiveLead, at time: Double) throws -> LiveScore {
        let values = values(lead, at: time)
        let record = model.encoder.columns.map { values[$0.name.lowercased()] ?? "" }
        var issues = EncodingIssues()
        guard let scored = scorer.score(records: [record], lines: [0], issues: &issues).first else {
            throw UsageError("the model scored no lead")
        }
        var rulePoints: Double? = nil, rulesTier: Tier? = nil, grade: String? = nil
        if let rules {
            let ruleScore = try ruleScorer(rules, values: values, lead: lead, at: time).score(row: 0)
            rulePoints = ruleScore.total
            rulesTier = ruleScore.tier
            grade = ruleScore.grade
        }
        let tier: Tier
        switch configuration.tierFrom {
        case .model: tier = scored.tier
        case .rules: tier = rulesTier ?? scored.tier
        case .higher: tier = max(scored.tier, rulesTier ?? scored.tier)
        }
        return LiveScore(probability: scored.probability, score: scored.score, tier: tier, modelTier: scored.tier,
                         points: rulePoints, rulesTier: rulesTier, grade: grade, reasons: scored.reasons,
                         modelVersion: modelVersion, asOf: time)
    }

    /// The rules bound to a one-row table of the lead's values, read with the model's column
    /// kinds and number formats (other columns: a number when the value reads as one).
    func ruleScorer(_ rules: RuleSet, values: [String: String], lead: LiveLead, at time: Double) throws -> RuleScorer {
        var header = [LiveScorer.idColumn], row = [lead.id]
        var columns = [ColumnSchema(name: LiveScorer.idColumn, kind: .identifier, present: 1, missing: 0, distinct: 1,
                                    examples: [], dayFirst: nil, notice: nil, overridden: false)]
        for name in ruleColumns {
            let value = values[name.lowercased()] ?? ""
            header.append(name)
            row.append(value)
            let expected = ruleKinds[name.lowercased()] ?? .categorical
            if var known = model.schema.columns.first(where: { $0.name.lowercased() == name.lowercased() }) {
                if known.kind == .excluded { known.kind = expected }
                columns.append(known)
            } else {
                columns.append(ColumnSchema(name: name, kind: expected, present: value.isEmpty ? 0 : 1,
                                            missing: value.isEmpty ? 1 : 0, distinct: 1, examples: [], dayFirst: false,
                                            notice: nil, overridden: false))
            }
        }
        let table = Table(source: "lead \(lead.id)", header: header, columns: row.map { [$0] }, lines: [1])
        let schema = Schema(columns: columns, missingTokens: model.schema.missingTokens)
        // Live, the moment is now: an event stamped later has not happened yet.
        let log = EventLog(source: "events of lead \(lead.id)", idColumn: LiveScorer.idColumn, events: [lead.id: lead.events.filter { $0.time <= time }])
        return try RuleScorer(rules: rules, table: table, schema: schema, asOf: time, events: rules.usesEvents ? log : nil)
    }
}

extension LiveScorer {
    /// The next moment after `time` when the lead's score can change with no new input: an
    /// input's window or an event rule's `within` running out; with decaying rule points, at
    /// most an hour later (points fade continuously). nil when nothing changes by itself.
    public func nextChange(_ lead: LiveLead, after time: Double) -> Double? {
        var next = configuration.inputs.compactMap { $0.nextChange(lead.events, after: time) }.min()
        func consider(_ t: Double) { if t > time { next = min(next ?? t, t) } }
        // When the rules' tier is (part of) the lead's tier, the moment decaying points cross a
        // tier threshold, to the second.
        if let rules, configuration.tierFrom != .model, rules.groups.contains(where: { $0.decay != nil }),
           let scorer = try? ruleScorer(rules, values: values(lead, at: time), lead: lead, at: time),
           let crossing = LiveScorer.ruleTierChange(scorer, after: time) {
            consider(crossing)
        }
        // An event stamped in the future starts to count when its time comes.
        if !configuration.inputs.isEmpty || rules?.usesEvents == true {
            for event in lead.events where event.time > time { consider(event.time) }
        }
        for group in rules?.groups ?? [] {
            if group.decay != nil { consider(time + 3600) }  // points fade: stored points stay fresh
            for rule in group.rules {
                guard case let .on(activity, _, within?, _, _) = rule.kind else { continue }
                let name = activity.lowercased()
                for event in lead.events where event.activity == name && event.time <= time {
                    // Just past the window's end: at the instant itself the event still counts.
                    consider(event.time + within * 86_400 + 0.001)
                }
            }
        }
        return next
    }
}

extension LiveScorer {
    /// The first moment after `time` at which the rules' tier differs from now, to within a
    /// second: doubling steps from a minute up to a year, then bisection. nil when it does not
    /// change within the year.
    static func ruleTierChange(_ scorer: RuleScorer, after time: Double) -> Double? {
        let now = scorer.score(row: 0, asOf: time).tier
        var low = time, step = 60.0, high: Double? = nil
        while step <= 366 * 86_400 {
            if scorer.score(row: 0, asOf: time + step).tier != now { high = time + step; break }
            low = time + step
            step *= 2
        }
        guard var high else { return nil }
        while high - low > 1 {
            let middle = (low + high) / 2
            if scorer.score(row: 0, asOf: middle).tier != now { high = middle } else { low = middle }
        }
        return high
    }
}
