import ArgumentParser
import Foundation
import LeadScoreService
import LeadScoring

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch the service's tier changes.",
        subcommands: [AlertsTail.self])
}

struct AlertsTail: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print tier changes as they happen (from the store, beside a running service).")
    @OptionGroup var store: StoreOption
    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "Also print the last N changes first.") var last: Int = 0
    @Option(help: "Stop after this many seconds (default: run until interrupted).") var seconds: Double?

    func execute() throws {
        let opened = try store.open()
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        var after = try TierChanges.latestSequence(in: opened) - Int64(max(0, last))
        while deadline.map({ Date() < $0 }) ?? true {
            let changes = try TierChanges.since(after, in: opened)
            for c in changes {
                // Straight to the descriptor, a line at a time: a pipe sees each change at once.
                func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    emit(String(decoding: try encoder.encode(c), as: UTF8.self))
                } else {
                    emit("\(c.at)  \(c.leadId)  \(c.from?.rawValue ?? "new") → \(c.to.rawValue)  (\(c.cause), p=\(NumberFormatting.fixed(c.probability, 3)), score \(c.score), model \(c.modelVersion))")
                }
                after = c.sequence
            }
            if changes.isEmpty { Thread.sleep(forTimeInterval: 0.25) }
        }
    }
}
