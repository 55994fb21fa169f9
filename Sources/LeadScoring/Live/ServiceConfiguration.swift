import Foundation
import Yams

/// The scoring service's configuration (`service.yaml`), read with line numbers so every error
/// names where it is:
///
/// ```yaml
/// store: leadscore.db
/// model: models/            # a model file, or a registry folder: follow its active version
/// rules: rules.yaml         # optional
/// tier_from: model          # model | rules | higher
/// host: 127.0.0.1
/// port: 8080
/// inputs:
///   website_visits:     {count: website_visit, within: 90d}
///   webinar_attended:   {exists: webinar_attended}
///   last_activity_date: {latest: any}
/// hysteresis: 0.02
/// webhooks: {retry: [5s, 5m, 30m], timeout: 15s, allow_private: false}
/// ```
///
/// Paths are relative to the configuration file's folder.
public struct ServiceConfiguration: Sendable {
    public enum TierSource: String, Sendable, CaseIterable {
        case model, rules, higher
    }

    public var file: String?
    public var store = "leadscore.db"
    public var model: String?
    public var rules: String?
    public var tierFrom = TierSource.model
    public var host = "127.0.0.1"
    public var port = 8080
    public var inputs: [ActivityInput] = []
    /// A lead must cross a tier threshold by this much probability (or, for rule tiers, by this
    /// share of the threshold's points) before its tier changes again: no flapping on a threshold.
    public var hysteresis = 0.0
    public var webhooks = WebhookSettings()

    public struct WebhookSettings: Equatable, Sendable {
        /// Seconds before each retry of a failed delivery.
        public var retry: [Double] = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400]
        public var timeout = 15.0
        /// Allow endpoints on loopback, private and link-local addresses (for tests and intranets).
        public var allowPrivate = false
        public init() {}
    }

    public init() {}

    /// Reads a configuration file; relative paths in it are taken from its folder.
    public static func load(path: String) throws -> ServiceConfiguration {
        try parse(readTextFile(path, what: "service configuration"), file: path)
    }

    public static func parse(_ yaml: String, file: String) throws -> ServiceConfiguration {
        var c = ServiceConfiguration()
        c.file = file
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
        func path(_ p: String) -> String { p.hasPrefix("/") ? p : folder + "/" + p }
        func fail(_ node: Node?, _ message: String) -> DataError {
            .badInput(SourceLocation(file: file, line: node?.mark?.line, column: node?.mark?.column), reason: message)
        }
        let root: Node
        do {
            guard let node = try YAMLGuard.compose(yaml) else { return c }
            root = node
        } catch let error as YAMLGuard.Failure {
            throw DataError.badInput(SourceLocation(file: file, line: error.line, column: error.column), reason: error.message)
        }
        guard let map = root.mapping else { throw fail(root, "expected a mapping with 'model:', 'store:' and the rest") }
        let keys = ["store", "model", "rules", "tier_from", "host", "port", "inputs", "hysteresis", "webhooks"]
        for key in map.keys where !keys.contains(key.string ?? "") {
            throw fail(key, "unknown key '\(key.string ?? "?")'" + suggestionText(for: key.string ?? "", among: keys) + "; expected " + keys.joined(separator: ", "))
        }
        func text(_ key: String) throws -> String? {
            guard let node = map[key] else { return nil }
            guard let s = node.scalar?.string, !s.isEmpty else { throw fail(node, "'\(key)' must be text") }
            return s
        }
        if let s = try text("store") { c.store = path(s) }
        if let s = try text("model") { c.model = path(s) }
        if let s = try text("rules") { c.rules = path(s) }
        if let s = try text("host") { c.host = s }
        if let node = map["tier_from"] {
            guard let s = node.scalar?.string, let source = TierSource(rawValue: s) else {
                throw fail(node, "'tier_from' must be model, rules or higher")
            }
            c.tierFrom = source
        }
        if let node = map["port"] {
            guard let p = node.int, (0...65535).contains(p) else { throw fail(node, "'port' must be a port number (0 to 65535)") }
            c.port = p
        }
        if let node = map["hysteresis"] {
            guard let h = node.float, h >= 0, h < 0.5 else { throw fail(node, "'hysteresis' must be a number from 0 to 0.5") }
            c.hysteresis = h
        }
        if let node = map["inputs"] { c.inputs = try inputs(node, fail: fail) }
        if let node = map["webhooks"] { c.webhooks = try webhooks(node, fail: fail) }
        return c
    }

    static func duration(_ node: Node, _ fail: (Node?, String) -> DataError) throws -> Double {
        guard let s = node.scalar?.string, let seconds = Durations.seconds(s) else {
            throw fail(node, "'\(node.scalar?.string ?? "?")' is not a duration such as 90d, 12h, 30m or 45s")
        }
        return seconds
    }

    static func inputs(_ node: Node, fail: (Node?, String) -> DataError) throws -> [ActivityInput] {
        guard let map = node.mapping else { throw fail(node, "'inputs' must map input names to {count|exists|sum|latest: ACTIVITY}") }
        var inputs: [ActivityInput] = []
        for (key, value) in map {
            guard let name = key.string, !name.isEmpty else { throw fail(key, "an input name must be text") }
            guard let spec = value.mapping else { throw fail(value, "input '\(name)' must be {count|exists|sum|latest: ACTIVITY, within: DURATION}") }
            var aggregate: ActivityInput.Aggregate? = nil, activity: String? = nil
            var within: Double? = nil, conditions: [String: String] = [:]
            for (k, v) in spec {
                let field = k.string ?? ""
                if let a = ActivityInput.Aggregate(rawValue: field) {
                    guard aggregate == nil else { throw fail(k, "input '\(name)' has two aggregates; give one of count, exists, sum, latest") }
                    guard let type = v.scalar?.string, !type.isEmpty else { throw fail(v, "input '\(name)': '\(field)' needs an activity type") }
                    aggregate = a
                    activity = a == .latest && type.lowercased() == "any" ? nil : type
                } else if field == "within" {
                    within = try duration(v, fail)
                } else if field == "where" {
                    guard let w = v.mapping else { throw fail(v, "input '\(name)': 'where' must map event properties to values") }
                    for (pk, pv) in w {
                        guard let p = pk.string, let value = pv.scalar?.string else { throw fail(pk, "input '\(name)': 'where' needs property: value") }
                        conditions[p] = value
                    }
                } else {
                    throw fail(k, "input '\(name)': unknown key '\(field)'; expected count, exists, sum or latest, and within, where")
                }
            }
            guard let aggregate else { throw fail(value, "input '\(name)' needs one of count, exists, sum or latest") }
            inputs.append(ActivityInput(name: name, aggregate: aggregate, activity: activity, within: within,
                                        conditions: conditions, line: key.mark?.line ?? 0))
        }
        return inputs
    }

    static func webhooks(_ node: Node, fail: (Node?, String) -> DataError) throws -> WebhookSettings {
        guard let map = node.mapping else { throw fail(node, "'webhooks' must be {retry: [5s, …], timeout: 15s, allow_private: false}") }
        var w = WebhookSettings()
        for (k, v) in map {
            switch k.string ?? "" {
            case "retry":
                guard let list = v.sequence, !list.isEmpty else { throw fail(v, "'retry' must be a list of durations") }
                w.retry = try list.map { try duration($0, fail) }
            case "timeout":
                w.timeout = try duration(v, fail)
            case "allow_private":
                guard let b = v.bool else { throw fail(v, "'allow_private' must be true or false") }
                w.allowPrivate = b
            default:
                throw fail(k, "unknown key '\(k.string ?? "?")' in 'webhooks'; expected retry, timeout, allow_private")
            }
        }
        return w
    }

    /// Checks the inputs against the model (and the rules): each must be a model input or a
    /// column the rules read, of a kind the aggregate produces (count and sum: numeric; exists:
    /// yes/no; latest: a date). Unknown activity names are fine (they may not have happened yet).
    public func check(model: LeadModel, rules: RuleSet?) throws {
        let ruleColumns = Set((rules?.columns ?? []).map { $0.name.lowercased() })
        let featureNames = Set(model.encoder.columns.map { $0.name.lowercased() })
        for input in inputs {
            let place = SourceLocation(file: file ?? "service.yaml", line: input.line)
            let column = model.schema.columns.first { $0.name.lowercased() == input.name.lowercased() }
            let isFeature = featureNames.contains(input.name.lowercased())
            guard isFeature || ruleColumns.contains(input.name.lowercased()) else {
                throw DataError.badInput(place, reason: "input '\(input.name)' is not an input of the model"
                    + (rules == nil ? "" : " nor a column the rules read")
                    + suggestionText(for: input.name, among: model.encoder.columns.map(\.name)))
            }
            guard let column, isFeature || column.kind == .date else { continue }
            let expected: [ColumnKind]
            switch input.aggregate {
            case .count, .sum: expected = [.numeric]
            case .exists: expected = [.boolean]
            case .latest: expected = [.date]
            }
            guard expected.contains(column.kind) else {
                throw DataError.badInput(place, reason: "input '\(input.name)' is \(input.aggregate.rawValue) (\(expected.map(\.rawValue).joined(separator: " or "))), but the model reads '\(column.name)' as \(column.kindDescription)")
            }
        }
    }
}
