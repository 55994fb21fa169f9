import ArgumentParser
import Foundation
import LeadScoring

struct Generate: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a realistic synthetic CRM export (deterministic per seed).")

    @Option(help: "Number of leads.")
    var leads: Int = 5000

    @Option(help: "Random seed: the same seed gives the same file.")
    var seed: UInt64 = 42

    @Option(help: "Output CSV file.")
    var out: String

    @Option(help: "Also write an activity log (lead_id, activity, timestamp, value) consistent with the leads.")
    var events: String?

    func validate() throws {
        guard leads >= 1 else { throw ValidationError("--leads must be at least 1") }
    }

    func execute() throws {
        let start = Date()
        try CRMGenerator(seed: seed).write(leads: leads, to: out, events: events) { n in
            Console.note("generated \(grouped(n)) leads (\(elapsed(start)))")
        }
        print("Wrote \(grouped(leads)) leads to \(out)\(events.map { " and their activity log to \($0)" } ?? "") (seed \(seed), \(elapsed(start)))")
    }
}
