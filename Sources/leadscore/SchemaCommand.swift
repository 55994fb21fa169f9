import ArgumentParser
import Foundation
import LeadScoring

struct SchemaCommand: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Show the type inferred for each column of a CSV file and what training does with it.")

    @Argument(help: "CSV file.")
    var file: String

    @Option(help: "Target column, if any (kept out of the features).")
    var target: String?

    @OptionGroup var read: ReadOptions

    @Flag(help: "Print JSON.")
    var json = false

    func execute() throws {
        let (table, schema) = try read.source(path: file).load(target: target)
        if json {
            print(try jsonString(schema))
            return
        }
        print("\(file): \(grouped(table.rowCount)) rows, \(table.header.count) columns")
        let rows = schema.columns.map { c -> [String] in
            let total = c.present + c.missing
            let use = c.kind.isFeature ? "feature" : c.kind == .identifier ? "key" : "-"
            return [c.name.isEmpty ? "(no name)" : c.name, c.kindDescription, use,
                    total > 0 ? pct(Double(c.missing) / Double(total)) : "-", grouped(c.distinct),
                    c.examples.prefix(3).joined(separator: " | ").prefix(40).description]
        }
        print(renderTable(["column", "kind", "use", "missing", "distinct", "examples"], rows))
        let features = schema.featureColumns.count
        print("\n\(features) feature column\(features == 1 ? "" : "s"). Missing-value tokens: \(schema.missingTokens.tokens.map { "'\($0)'" }.joined(separator: ", "))")
        let notices = schema.notices
        if !notices.isEmpty {
            print("Notices:")
            for n in notices { print("  - \(n)") }
        }
    }
}
