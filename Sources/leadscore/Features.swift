import ArgumentParser
import Foundation
import LeadScoring

struct Features: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute the service's event inputs for a table of leads, for training.",
        discussion: "Each input in service.yaml's 'inputs:' is computed from the event log as of each lead's date (--as-of-column) or one date (--as-of): no later event counts. The service computes the same inputs with the same code when it scores.")

    @Option(help: "CSV of leads (its lead id column named as the event log's first column).") var leads: String
    @Option(help: "CSV event log: lead id, activity, timestamp, optional value and properties.") var events: String
    @Option(help: "The service configuration whose inputs to compute.") var config: String
    @Option(help: "Output CSV: the leads' columns with the inputs filled in.") var out: String
    @Option(help: "Compute every lead's inputs as of this date or date-time (default: now).") var asOf: String?
    @Option(help: "Compute each lead's inputs as of the date in this column (for example its conversion or creation date).") var asOfColumn: String?
    @Option(help: "Field delimiter of the leads file: , ; tab or | (default: detected).") var delimiter: Delimiter?

    func validate() throws {
        if asOf != nil && asOfColumn != nil { throw ValidationError("give --as-of or --as-of-column, not both") }
    }

    func execute() throws {
        let configuration = try ServiceConfiguration.load(path: config)
        let moment: FeatureTable.AsOf
        if let asOfColumn {
            moment = .column(asOfColumn)
        } else if let asOf {
            guard let t = DateParser.parse(asOf) else { throw UsageError("--as-of '\(asOf)' is not a date such as 2026-11-30") }
            moment = .time(asOf.count <= 10 ? t + 86_400 - 0.001 : t)
        } else {
            moment = .time(Date().timeIntervalSince1970)
        }
        try checkWritable(out)
        let s = try FeatureTable.build(leads: leads, events: events, inputs: configuration.inputs, asOf: moment, out: out, delimiter: delimiter?.byte)
        Console.note("Wrote \(grouped(s.leads)) leads to \(out) with \(s.inputs.count) inputs from \(events) (\(s.inputs.joined(separator: ", "))); \(grouped(s.leadsWithEvents)) leads have events")
    }
}
