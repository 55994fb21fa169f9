import ArgumentParser
import Foundation
import LeadScoring

struct Predict: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score new leads: probability, score 0–100, tier and reasons per lead.",
        discussion: "Streams the input in batches, so files larger than memory can be scored. Lead id columns are kept first.")

    @Option(help: "Model file.")
    var model: String

    @Option(help: "CSV of leads to score (the target column may be absent).")
    var data: String

    @Option(help: "Output file (CSV, or JSON lines with --json).")
    var out: String

    @Option(help: "Reasons per direction (up and down); 0 turns them off for bulk scoring.")
    var reasons: Int = 3

    @Option(help: ArgumentHelp("Input columns to copy to the output besides the id columns: COL,... or 'all'.", valueName: "COL,..."))
    var keep: String?

    @Option(help: "Field delimiter of the input: , ; tab or | (default: detected).")
    var delimiter: Delimiter?

    @OptionGroup var tierOptions: TierOptions

    @Flag(help: "Write JSON lines instead of CSV (probabilities at full precision).")
    var json = false

    @Flag(help: "Also write each lead's margin (the log-odds before calibration; LightGBM's raw score), at full precision.")
    var margin = false

    @Option(help: ArgumentHelp("Decimals of the probability in the CSV: 1 to 17, or 'full' (the shortest text that reads back as the same number). JSON is always full.", valueName: "N|full"))
    var precision: String = "6"

    /// Decimals to write, nil for full precision.
    var probabilityDigits: Int? {
        get throws {
            if json || precision.lowercased() == "full" { return nil }
            guard let n = Int(precision), (1...17).contains(n) else {
                throw UsageError("--precision '\(precision)': give a number of decimals from 1 to 17, or 'full'")
            }
            return n
        }
    }

    func validate() throws {
        guard reasons >= 0 else { throw ValidationError("--reasons must be ≥ 0") }
        _ = try probabilityDigits
        if tierOptions.sqlTop != nil || tierOptions.mqlTop != nil {
            throw ValidationError("--sql-top/--mql-top need labelled holdout leads; at predict time use --tiers mql=P,sql=P")
        }
    }

    func execute() throws {
        let start = Date()
        let scorer = LeadScorer(model: try LeadModel.load(from: model), tiers: try tierOptions.explicit, reasonsPerSide: reasons)
        let reader = try CSVReader(path: data, delimiter: delimiter?.byte)
        defer { reader.close() }
        let output = try AtomicFile(path: out)
        let kept: KeptColumns = keep?.lowercased() == "all" ? .all : .ids(plus: splitList(keep))
        let s = try scorer.score(file: reader, to: output, format: json ? .jsonLines : .csv, keep: kept,
                                   probabilityDigits: try probabilityDigits, withMargin: margin) { count in
            if count % 200_000 < LeadScorer.batchSize { Console.note("scored \(grouped(count)) leads (\(elapsed(start)))") }
        }
        try output.commit()
        for message in s.issues.messages(file: data) { Console.note("warning: \(message)") }
        let tiers = Tier.allCases.reversed().map { "\($0.rawValue) \(grouped(s.tiers[$0] ?? 0))" }.joined(separator: ", ")
        Console.note("Scored \(grouped(s.leads)) leads from \(data) into \(out): \(tiers) (\(elapsed(start)))")
        func seconds(_ t: Double) -> String { NumberFormatting.fixed(t, 3) + " s" }
        Console.note("  read \(seconds(s.read)), encode \(seconds(s.encode)), score \(seconds(s.score)) "
                     + "(\(grouped(Int(s.score > 0 ? Double(s.leads) / s.score : 0))) leads/s), write \(seconds(s.write))")
    }
}
