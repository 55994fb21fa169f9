import Foundation

/// A model input (or a column the rules read) computed from a lead's activity instead of its
/// attributes: how many times something happened, whether it did, the sum of its values, or when
/// it last did — within a window of time and over events whose properties match. The scoring
/// service and `leadscore features` compute inputs with this same code, so a model trained on
/// `features`' table scores live leads exactly as it was trained.
public struct ActivityInput: Equatable, Sendable {
    public enum Aggregate: String, Equatable, Sendable, CaseIterable {
        /// How many matching events (a number).
        case count
        /// Whether any matching event happened ("Yes" / "No").
        case exists
        /// The sum of the matching events' values (a number; an event without a value counts 0).
        case sum
        /// The time of the latest matching event (an ISO 8601 date-time; missing when none).
        case latest
    }

    public var name: String
    public var aggregate: Aggregate
    /// The activity type counted (lower-cased), or nil for any activity (`latest: any`).
    public var activity: String?
    /// Only events no older than this many seconds count (nil: all).
    public var within: Double?
    /// Only events whose properties have these values count (compared ignoring case).
    public var conditions: [String: String]
    /// The line of the input in the configuration file.
    public var line: Int

    public init(name: String, aggregate: Aggregate, activity: String?, within: Double? = nil,
                conditions: [String: String] = [:], line: Int = 0) {
        self.name = name
        self.aggregate = aggregate
        self.activity = activity.map { $0.lowercased() }
        self.within = within
        self.conditions = Dictionary(conditions.map { ($0.key, $0.value.lowercased()) }, uniquingKeysWith: { a, _ in a })
        self.line = line
    }

    /// Whether `event` counts for this input as of `time`.
    @inline(__always)
    func counts(_ event: EventLog.Event, at time: Double) -> Bool {
        if let activity, event.activity != activity { return false }
        if event.time > time { return false }
        if let within, event.time <= time - within { return false }
        for (key, wanted) in conditions where event.properties[key]?.lowercased() != wanted { return false }
        return true
    }

    /// The input's value as of `time`, written as a CSV value would be.
    public func value(_ events: [EventLog.Event], at time: Double) -> String {
        switch aggregate {
        case .count:
            return String(events.lazy.filter { counts($0, at: time) }.count)
        case .exists:
            return events.contains { counts($0, at: time) } ? "Yes" : "No"
        case .sum:
            let total = events.lazy.filter { counts($0, at: time) }.reduce(0.0) { $0 + ($1.value ?? 0) }
            return total == total.rounded() && abs(total) < 1e15 ? String(Int(total)) : total.description
        case .latest:
            guard let t = events.lazy.filter({ counts($0, at: time) }).map(\.time).max() else { return "" }
            return DateParser.isoDateTime(seconds: t)
        }
    }

    /// The next moment after `time` at which this input changes with no new event: when the
    /// oldest event inside the window leaves it. nil when nothing can expire.
    public func nextChange(_ events: [EventLog.Event], after time: Double) -> Double? {
        guard let within else { return nil }
        return events.lazy.filter { counts($0, at: time) }.map { $0.time + within }.filter { $0 > time }.min()
    }
}
