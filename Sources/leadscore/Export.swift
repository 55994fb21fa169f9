import ArgumentParser
import Foundation
import LeadScoring

struct Export: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a model as SQL for a warehouse or Spark, or as a LightGBM text model.",
        discussion: """
        --format sql writes one SELECT over a table of raw leads (the CSV's columns under their
        names: numeric inputs as doubles, everything else as text) returning the id columns,
        probability, score and tier, exactly as `leadscore predict` computes them. --ddl prints
        the matching CREATE TABLE instead.
        --format lightgbm writes LightGBM's text model (boosted trees only) and, beside it,
        NAME.categories.json: the category codes, calibration and tiers a job needs to reproduce
        the probability and tier.
        """)

    @Option(help: "Model file.")
    var model: String

    @Option(help: "sql or lightgbm.")
    var format: String

    @Option(help: "For --format sql: duckdb, sqlite, postgres, spark, snowflake or bigquery.")
    var dialect: String?

    @Option(help: "For --format sql: the table of raw leads the SELECT reads (schema.table allowed).")
    var table: String = "leads"

    @Option(help: "Output file (default: standard output for SQL; required for lightgbm).")
    var out: String?

    @Flag(help: "For --format sql: print the CREATE TABLE for the raw leads instead of the SELECT.")
    var ddl = false

    func validate() throws {
        switch format.lowercased() {
        case "sql":
            guard let dialect else { throw ValidationError("--format sql needs --dialect: " + SQLDialect.allCases.map(\.rawValue).joined(separator: ", ")) }
            guard SQLDialect(rawValue: dialect.lowercased()) != nil else {
                throw ValidationError("--dialect '\(dialect)': expected one of " + SQLDialect.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard !table.isEmpty else { throw ValidationError("--table needs a name") }
        case "lightgbm":
            guard out != nil else { throw ValidationError("--format lightgbm needs --out model.txt (the category mapping is written beside it)") }
            guard dialect == nil, !ddl else { throw ValidationError("--dialect and --ddl are for --format sql") }
        default:
            throw ValidationError("--format '\(format)': expected sql or lightgbm")
        }
    }

    func execute() throws {
        let m = try LeadModel.load(from: model)
        if format.lowercased() == "lightgbm" {
            try exportLightGBM(m, to: out!)
            return
        }
        let export = SQLExport(model: m, dialect: SQLDialect(rawValue: dialect!.lowercased())!, table: table)
        let text: String
        if ddl {
            text = export.createTable()
        } else {
            let statement = try export.statement()
            text = statement.sql
            let limit = export.dialect.sizeLimit.map { "; \(export.dialect.displayName) takes up to \(grouped($0))" } ?? ""
            for (name, format) in export.formattedColumns {
                Console.note("note: training read '\(name)' as \(format); the table must hold it as the number it stands for (a double)")
            }
            Console.note("\(m.kind.rawValue) model as \(export.dialect.displayName) SQL over \(table): \(grouped(statement.bytes)) bytes\(limit), nesting \(statement.depth) deep (at most \(export.dialect.depthLimit))")
        }
        try write(text, to: out)
    }

    func exportLightGBM(_ m: LeadModel, to path: String) throws {
        let export = try LightGBMExport(model: m)
        let url = URL(fileURLWithPath: path)
        let mapping = url.deletingPathExtension().path + ".categories.json"
        try write(export.modelText(), to: path)
        try write(export.categoriesJSON(modelFile: url.lastPathComponent), to: mapping)
        Console.note("LightGBM model (\(export.trees.trees.count) trees, \(export.features.count) features) in \(path); codes, calibration and tiers in \(mapping)")
    }

    /// Writes `text` atomically to `path`, or to standard output without one.
    func write(_ text: String, to path: String?) throws {
        guard let path else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        try AtomicFile.write(Data(text.utf8), to: path)
    }
}
