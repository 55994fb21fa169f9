// predict-bench MODEL.json DATA.csv [REPEATS]
// Reads and encodes DATA.csv with the model's encoder, then times LeadScorer on the encoded
// leads (binning, trees, probability, score, tier; no reasons) REPEATS times (default 5) and
// prints the best as JSON: {"rows": N, "seconds": S, "rows_per_s": R}.
import Foundation
import LeadScoring

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: predict-bench MODEL.json DATA.csv [REPEATS]\n".utf8))
    exit(64)
}
let model = try LeadModel.load(from: arguments[1])
let table = try Table.read(path: arguments[2])
let repeats = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 5) : 5
var issues = EncodingIssues()
let scorer = LeadScorer(model: model, reasonsPerSide: 0)
let x = try scorer.encode(table: table, rows: Array(0..<table.rowCount), issues: &issues)
var best = Double.infinity
for _ in 0..<repeats {
    let start = Date()
    let scored = scorer.score(encoded: x) { _ in [] }
    best = min(best, Date().timeIntervalSince(start))
    precondition(scored.count == table.rowCount)
}
print("{\"rows\": \(table.rowCount), \"seconds\": \(best), \"rows_per_s\": \(Double(table.rowCount) / best)}")
