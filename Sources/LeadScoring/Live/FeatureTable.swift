import Foundation

/// `leadscore features`: the service's inputs computed from an event log for a table of leads,
/// as of each lead's date, so a model is trained on exactly what the service will compute when
/// it scores (both call `ActivityInput.value`).
public enum FeatureTable {
    /// The moment each lead's inputs are computed at.
    public enum AsOf: Sendable {
        /// One moment for every lead (seconds since 1970).
        case time(Double)
        /// Each lead's own date, from this column. A date without a time of day includes its
        /// whole day.
        case column(String)
    }

    public struct Summary: Sendable {
        public var leads = 0
        public var leadsWithEvents = 0
        public var inputs: [String] = []
    }

    /// Reads `leads` and `events`, writes `out`: the leads' columns with each input's column
    /// replaced (or added) by its value computed from the lead's events.
    public static func build(leads: String, events: String, inputs: [ActivityInput], asOf: AsOf, out: String,
                             delimiter: UInt8? = nil) throws -> Summary {
        guard !inputs.isEmpty else { throw UsageError("the configuration lists no inputs to compute from events") }
        let log = try EventLog.read(path: events)
        let reader = try CSVReader(path: leads, delimiter: delimiter)
        defer { reader.close() }
        let header = reader.header
        func find(_ name: String) -> Int? { header.firstIndex { $0.lowercased() == name.lowercased() } }
        guard let idIndex = find(log.idColumn) else {
            throw DataError.missingColumns(SourceLocation(file: leads), columns: ["\(log.idColumn) (the lead id column of \(events))"])
        }
        var asOfIndex: Int? = nil
        var fixed: Double? = nil
        switch asOf {
        case let .time(t): fixed = t
        case let .column(name):
            guard let i = find(name) else { throw DataError.missingColumns(SourceLocation(file: leads), columns: [name]) }
            asOfIndex = i
        }
        // Input columns already in the table are replaced in place; the others are added.
        var columns = header
        var slots: [Int] = []
        for input in inputs {
            if let i = find(input.name) { slots.append(i) } else { slots.append(columns.count); columns.append(input.name) }
        }
        let writer = RecordWriter(format: .csv, columns: columns)
        let output = try AtomicFile(path: out)
        var buffer = writer.header()
        var summary = Summary()
        summary.inputs = inputs.map(\.name)
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        // Whether dates are day-first is decided over the whole column, as everywhere.
        let dayFirst = asOfIndex.map { i in records.contains { DateParser.needsDayFirst($0.fields[i]) } } ?? false
        for record in records {
            var time = fixed ?? 0
            if let asOfIndex {
                let text = Values.trim(record.fields[asOfIndex])
                guard let t = DateParser.parse(text, dayFirst: dayFirst) else {
                    throw DataError.badValue(SourceLocation(file: leads, line: record.line, column: asOfIndex + 1, field: header[asOfIndex], value: text),
                                             reason: "not a date: each lead needs its as-of date (or give --as-of DATE for all)")
                }
                // A date alone means the end of that day: its events have happened by then.
                time = text.count <= 10 ? t + 86_400 - 0.001 : t
            }
            let lead = log.events[Values.trim(record.fields[idIndex])] ?? []
            if !lead.isEmpty { summary.leadsWithEvents += 1 }
            var values = record.fields + [String](repeating: "", count: columns.count - header.count)
            for (input, slot) in zip(inputs, slots) { values[slot] = input.value(lead, at: time) }
            writer.append(to: &buffer) { r in for v in values { r.text(v) } }
            summary.leads += 1
            if buffer.count > 1 << 20 {
                try output.write(bytes: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try output.write(bytes: buffer)
        try output.commit()
        return summary
    }
}
