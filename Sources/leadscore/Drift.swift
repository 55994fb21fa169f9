import ArgumentParser
import Foundation
import LeadScoring

struct DriftCommand: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare new leads with a model's training data: population stability per column and of the score.",
        discussion: """
        PSI (population stability index) per input column, missing values as a bin of their own, and \
        of the score distribution; categories never seen in training; changes in missing rates. \
        PSI ≥ 0.1 is a warning, ≥ 0.25 an alarm. Exit status 0 either way: read the status, or --json.
        """)

    @Option(help: "Model file (written by leadscore 0.1 with format 3 or later: it holds the training profile).")
    var model: String

    @Option(help: "CSV of new leads.")
    var data: String

    @Option(help: "Field delimiter: , ; tab or | (default: detected).")
    var delimiter: Delimiter?

    @Flag(help: "Print JSON.")
    var json = false

    func execute() throws {
        let leadModel = try LeadModel.load(from: model)
        guard let profile = leadModel.profile else {
            throw UsageError("\(model): this model file (format \(leadModel.formatVersion)) has no training profile; retrain it with this leadscore to compare data with it")
        }
        let table = try Table.read(path: data, delimiter: delimiter?.byte)
        let missingColumns = leadModel.encoder.missingColumns(in: table.header)
        if !missingColumns.isEmpty { throw DataError.missingColumns(SourceLocation(file: data), columns: missingColumns) }
        let rows = Array(0..<table.rowCount)
        var issues = EncodingIssues()
        let p = try LeadScorer(model: leadModel, reasonsPerSide: 0).probabilities(table: table, rows: rows, issues: &issues)
        let report = DriftReport(profile: profile, table: table, rows: rows, missing: leadModel.schema.missingTokens, probabilities: p)
        if json { print(try jsonString(report)); return }
        print("\(data): \(grouped(report.rows)) leads against the \(grouped(report.trainingRows)) the model was trained on (\(leadModel.training.dataFile))")
        print("Status: \(report.status.rawValue.uppercased()) — \(report.summary)\n")
        print(driftTable(report))
    }
}

func driftTable(_ r: DriftReport) -> String {
    var rows: [[String]] = []
    if let psi = r.scorePSI, let status = r.scoreStatus { rows.append(["(score)", num(psi), status.rawValue, "", "", ""]) }
    for f in r.features {
        rows.append([f.name, num(f.psi), f.status.rawValue, pct(f.missingTraining), pct(f.missingNew),
                     f.unseenLevels.isEmpty ? "" : "\(pct(f.unseenShare)): " + f.unseenLevels.prefix(3).joined(separator: ", ") + (f.unseenLevels.count > 3 ? ", …" : "")])
    }
    return renderTable(["column", "PSI", "status", "missing (training)", "missing (new)", "unseen categories"], rows)
}
