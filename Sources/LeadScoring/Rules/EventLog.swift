import Foundation

/// An activity log exported from a marketing-automation tool: one row per event, with the lead's
/// id, the activity's name, when it happened and an optional value (pages viewed, minutes
/// watched…). Columns are found by name: the first column is the lead id (its header must also
/// be a column of the leads file), then `activity`, `timestamp` and optionally `value`.
public struct EventLog: Sendable {
    public struct Event: Sendable, Equatable {
        /// Lower-cased activity name.
        public var activity: String
        /// Seconds since 1970-01-01 UTC.
        public var time: Double
        public var value: Double?
        /// Anything else the event says (the log's other columns; a tracked event's properties).
        public var properties: [String: String]

        public init(activity: String, time: Double, value: Double? = nil, properties: [String: String] = [:]) {
            self.activity = activity
            self.time = time
            self.value = value
            self.properties = properties
        }
    }

    public var source: String
    /// The header of the lead id column (the same name as in the leads file).
    public var idColumn: String
    public var events: [String: [Event]]
    public var count: Int
    /// Distinct activity names (lower-cased) with their counts.
    public var activities: [String: Int]

    public init(source: String, idColumn: String, events: [String: [Event]]) {
        self.source = source
        self.idColumn = idColumn
        self.events = events
        count = events.values.reduce(0) { $0 + $1.count }
        var activities: [String: Int] = [:]
        for list in events.values { for e in list { activities[e.activity, default: 0] += 1 } }
        self.activities = activities
    }

    public static func read(path: String, delimiter: UInt8? = nil) throws -> EventLog {
        try read(CSVReader(path: path, delimiter: delimiter))
    }

    /// Reads the log from `reader` (then closes it).
    public static func read(_ reader: CSVReader) throws -> EventLog {
        let path = reader.path
        defer { reader.close() }
        let header = reader.header
        func find(_ names: [String]) -> Int? {
            for name in names { if let i = header.firstIndex(where: { $0.lowercased() == name }) { return i } }
            return nil
        }
        guard header.count >= 3 else {
            throw DataError.missingColumns(SourceLocation(file: path), columns: ["lead id (first column)", "activity", "timestamp"])
        }
        let idIndex = 0
        guard let activityIndex = find(["activity", "activity_type", "event", "type"]) else {
            throw DataError.missingColumns(SourceLocation(file: path), columns: ["activity"])
        }
        guard let timeIndex = find(["timestamp", "time", "date", "occurred_at"]) else {
            throw DataError.missingColumns(SourceLocation(file: path), columns: ["timestamp"])
        }
        let valueIndex = find(["value"])
        // Read every record first: whether dates are day-first is decided over the whole column
        // (one 25/04/2024 makes 03/04/2024 the 3rd of April), as schema inference does.
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        let dayFirst = records.contains { DateParser.needsDayFirst($0.fields[timeIndex]) }
        // Values are numbers as the export writes them (`1,5` in a European log): the decimal
        // mark is chosen over the whole column, as schema inference does.
        var valueFormat = NumberFormat.plain
        if let valueIndex {
            var evidence = NumberFormat.Evidence()
            var present = 0
            for record in records {
                let v = Values.trim(record.fields[valueIndex])
                if !v.isEmpty { evidence.add(v); present += 1 }
            }
            if let mark = evidence.decimalMark(present: present, share: 0.5, semicolonFile: reader.delimiter == UInt8(ascii: ";")) {
                valueFormat = NumberFormat(decimal: mark)
            }
        }
        var events: [String: [Event]] = [:]
        for record in records {
            let raw = record.fields[timeIndex]
            guard let t = DateParser.parse(raw, dayFirst: dayFirst) else {
                throw DataError.badValue(SourceLocation(file: path, line: record.line, field: header[timeIndex], value: raw), reason: "not a date or time")
            }
            var value: Double? = nil
            if let valueIndex {
                let v = Values.trim(record.fields[valueIndex])
                if !v.isEmpty {
                    guard let x = valueFormat.parse(v) else {
                        throw DataError.badValue(SourceLocation(file: path, line: record.line, field: header[valueIndex], value: v), reason: "not a number")
                    }
                    value = x
                }
            }
            let activity = Values.lowercasedTrimmed(record.fields[activityIndex])
            guard !activity.isEmpty else {
                throw DataError.badValue(SourceLocation(file: path, line: record.line, field: header[activityIndex], value: ""), reason: "an event needs an activity name")
            }
            var properties: [String: String] = [:]
            for (c, name) in header.enumerated() where ![idIndex, activityIndex, timeIndex, valueIndex].contains(c) && !name.isEmpty {
                let v = Values.trim(record.fields[c])
                if !v.isEmpty { properties[name] = v }
            }
            events[Values.trim(record.fields[idIndex]), default: []].append(Event(activity: activity, time: t, value: value, properties: properties))
        }
        return EventLog(source: path, idColumn: header[idIndex], events: events)
    }
}
