import Foundation

/// AI scores against rule points on the same labelled leads: `leadscore compare`.
public struct ComparisonReport: Codable, Equatable, Sendable {
    /// One method's numbers.
    public struct Method: Codable, Equatable, Sendable {
        public var name: String
        public var auc: Double
        public var prAuc: Double
        public var liftAt10: Double
        public var liftAt20: Double
        public var tiers: [TierSummary]
        /// Conversions expected among the method's top `capacity` leads (ties shared evenly).
        public var capacityConversions: Double
        /// Leads the method hands to sales (its SQL tier) that did not convert: capacity spent
        /// for nothing.
        public var wastedSQL: Int
        /// Conversions the method leaves in Cold.
        public var missedInCold: Int
    }

    /// One cell of the agreement matrix.
    public struct Cell: Codable, Equatable, Sendable {
        public var rules: String
        public var ai: String
        public var count: Int
        public var conversions: Int
        public var conversionRate: Double
    }

    /// A lead on which the two disagree most.
    public struct Disagreement: Codable, Equatable, Sendable {
        public var id: String
        public var line: Int
        public var probability: Double
        public var aiTier: String
        public var points: Double
        public var ruleTier: String
        /// Percentile ranks (0–100, higher = better lead) under each method.
        public var aiPercentile: Double
        public var rulePercentile: Double
        public var converted: Bool
    }

    public var rows: Int
    public var conversions: Int
    public var capacity: Int
    public var ai: Method
    public var rules: Method
    public var randomConversions: Double
    public var agreement: [Cell]
    public var disagreements: [Disagreement]
    public var verdict: String

    /// - Parameters:
    ///   - probabilities: the model's conversion probabilities; `aiTiers` their tiers.
    ///   - points: the rules' totals; `ruleTiers` their tiers.
    ///   - ids, lines: to name leads in the disagreement list.
    ///   - capacity: how many leads sales can work.
    public init(probabilities: [Double], aiTiers: [Tier], points: [Double], ruleTiers: [Tier], labels y: [Double],
                ids: [String], lines: [Int], capacity: Int, disagreementCount: Int = 10) {
        let n = y.count
        rows = n
        conversions = Int(y.reduce(0, +))
        self.capacity = min(capacity, n)
        let k = self.capacity
        func method(_ name: String, _ scores: [Double], _ tiers: [Tier]) -> Method {
            let t10 = Metrics.topFraction(scores, y, fraction: 0.1), t20 = Metrics.topFraction(scores, y, fraction: 0.2)
            var wasted = 0, missed = 0
            for i in 0..<n {
                if tiers[i] == .sql && y[i] == 0 { wasted += 1 }
                if tiers[i] == .cold && y[i] == 1 { missed += 1 }
            }
            return Method(name: name, auc: Metrics.rocAUC(scores, y), prAuc: Metrics.averagePrecision(scores, y),
                          liftAt10: t10.lift, liftAt20: t20.lift, tiers: TierSummary.summarize(tiers: tiers, labels: y),
                          capacityConversions: Metrics.expectedHits(scores, y, top: k), wastedSQL: wasted, missedInCold: missed)
        }
        ai = method("model", probabilities, aiTiers)
        rules = method("rules", points, ruleTiers)
        randomConversions = n > 0 ? Double(k) * Double(conversions) / Double(n) : 0
        var cells: [Cell] = []
        for rt in Tier.allCases.reversed() {
            for at in Tier.allCases.reversed() {
                var count = 0, hits = 0.0
                for i in 0..<n where ruleTiers[i] == rt && aiTiers[i] == at { count += 1; hits += y[i] }
                cells.append(Cell(rules: rt.rawValue, ai: at.rawValue, count: count, conversions: Int(hits),
                                  conversionRate: count > 0 ? hits / Double(count) : 0))
            }
        }
        agreement = cells
        let aiRank = percentileRanks(probabilities), ruleRank = percentileRanks(points)
        let order = (0..<n).sorted { abs(aiRank[$0] - ruleRank[$0]) > abs(aiRank[$1] - ruleRank[$1]) }
        disagreements = order.prefix(disagreementCount).map { i in
            Disagreement(id: ids[i], line: lines[i], probability: probabilities[i], aiTier: aiTiers[i].rawValue,
                         points: points[i], ruleTier: ruleTiers[i].rawValue, aiPercentile: aiRank[i],
                         rulePercentile: ruleRank[i], converted: y[i] == 1)
        }
        verdict = "With \(NumberFormatting.grouped(k)) calls, the model finds \(NumberFormatting.grouped(Int(ai.capacityConversions.rounded()))) conversions, "
            + "the rules \(NumberFormatting.grouped(Int(rules.capacityConversions.rounded()))), random \(NumberFormatting.grouped(Int(randomConversions.rounded())))."
    }
}

/// Mid-rank percentiles (0–100): the share of leads scored below, plus half of those tied.
func percentileRanks(_ scores: [Double]) -> [Double] {
    let n = scores.count
    guard n > 0 else { return [] }
    let order = (0..<n).sorted { scores[$0] < scores[$1] }
    var ranks = [Double](repeating: 0, count: n)
    var i = 0
    while i < n {
        var j = i
        while j < n && scores[order[j]] == scores[order[i]] { j += 1 }
        let mid = (Double(i) + Double(j - i) / 2) / Double(n) * 100
        for t in i..<j { ranks[order[t]] = mid }
        i = j
    }
    return ranks
}


extension ComparisonReport {
    /// Scores the labelled leads with the model and with the rules, and compares them.
    public static func compute(model: LeadModel, rules: RuleSet, data: LabelledData,
                               events: EventLog?, asOf: Double, capacity: Int?) throws -> ComparisonReport {
        var issues = EncodingIssues()
        let p = try LeadScorer(model: model, reasonsPerSide: 0).probabilities(table: data.table, rows: data.labels.rows, issues: &issues)
        let ruleScores = try scoreRules(rules, model: model, data: data, events: events, asOf: asOf)
        return ComparisonReport(model: model, probabilities: p, ruleScores: ruleScores, data: data, capacity: capacity)
    }

    /// The rules' scores of the labelled leads; an error when the rules read the outcome itself.
    public static func scoreRules(_ rules: RuleSet, model: LeadModel, data: LabelledData,
                                  events: EventLog?, asOf: Double) throws -> [RuleScore] {
        for ref in rules.columns where ref.name.lowercased() == model.target.column.lowercased() {
            throw RuleError(file: rules.source, line: ref.line, column: ref.column,
                            "the rules read '\(ref.name)', the outcome being predicted; a comparison on it would be meaningless")
        }
        let scorer = try RuleScorer(rules: rules, table: data.table, schema: data.schema, asOf: asOf, events: events)
        return data.labels.rows.map { scorer.score(row: $0) }
    }

    /// The comparison of scores already computed. `capacity` defaults to the number of leads the
    /// rules put in SQL (the calls sales already makes on the rules' word), or 10% of the leads
    /// when the rules put none there.
    public init(model: LeadModel, probabilities p: [Double], ruleScores: [RuleScore], data: LabelledData, capacity: Int?) {
        let table = data.table, schema = data.schema, labels = data.labels
        let ruleTiers = ruleScores.map(\.tier)
        let idColumn = schema.identifierColumns.first.flatMap { table.index(of: $0.name) }
        let ids = labels.rows.map { r in idColumn.map { table.columns[$0][r] } ?? "line \(table.lines[r])" }
        let sqlCount = ruleTiers.filter { $0 == .sql }.count
        let k = capacity ?? (sqlCount > 0 ? sqlCount : max(1, labels.rows.count / 10))
        self.init(probabilities: p, aiTiers: p.map(model.tiers.tier), points: ruleScores.map(\.total),
                  ruleTiers: ruleTiers, labels: labels.y, ids: ids, lines: labels.rows.map { table.lines[$0] }, capacity: k)
    }
}
