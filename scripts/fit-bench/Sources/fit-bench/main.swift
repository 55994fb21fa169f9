// fit-bench DATA.csv TARGET [options]
//   --drop A,B,...     columns left out (as `train --drop`)
//   --holdout F        share of labelled rows, the last ones in file order, held out (default 0.2)
//   --trees N --learning-rate R --leaves L --min-leaf M --threads T   (defaults 300, 0.1, 31, 20, 2)
//   --repeats K        fits timed (default 1); each prints a line
//   --quantized on|off|auto
// Reads DATA.csv, infers the schema, fits the raw (tree) encoding on the training rows, encodes
// both parts, then times only `GradientBoosting.fit` (binning and growing; no early stopping)
// and prints per fit one JSON line: fit seconds, training log loss, holdout ROC AUC and log
// loss. The benchmark's synthetic table (scripts/benchmark.py `wide_table`, 1M rows) with the
// default 20% holdout trains on 800,000 rows, the figure compared with LightGBM's fit.
import Foundation
import LeadScoring

var args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: fit-bench DATA.csv TARGET [--drop A,B] [--holdout F] [--trees N] [--learning-rate R] [--leaves L] [--min-leaf M] [--threads T] [--repeats K] [--quantized on|off|auto]\n".utf8))
    exit(64)
}
let path = args.removeFirst(), target = args.removeFirst()
var options: [String: String] = [:]
while args.count >= 2 { options[args.removeFirst()] = args.removeFirst() }
let drop = options["--drop"].map { $0.split(separator: ",").map(String.init) } ?? []
let holdout = Double(options["--holdout"] ?? "0.2")!
let repeats = Int(options["--repeats"] ?? "1")!

var source = DataSource(path: path)
source.drop = drop
source.missingTokens = ["", "NA", "N/A", "null", "none", "Select", "-"]
let readStart = Date()
let data = try LabelledData.load(source, target: TargetSpec(column: target))
let rows = data.labels.rows, y = data.labels.y
let nTrain = Int((Double(rows.count) * (1 - holdout)).rounded())
let trainRows = Array(rows[..<nTrain]), testRows = Array(rows[nTrain...])
let yTrain = Array(y[..<nTrain]), yTest = Array(y[nTrain...])
let encoder = try FeatureEncoder.fit(table: data.table, rows: trainRows, schema: data.schema, style: .raw)
var issues = EncodingIssues()
let xTrain = try encoder.encode(table: data.table, rows: trainRows, issues: &issues)
let xTest = try encoder.encode(table: data.table, rows: testRows, issues: &issues)
FileHandle.standardError.write(Data("read and encoded \(rows.count) rows × \(xTrain.columns) features in \(String(format: "%.1f", Date().timeIntervalSince(readStart))) s; training on \(nTrain)\n".utf8))

var gb = GradientBoosting()
gb.trees = Int(options["--trees"] ?? "300")!
gb.learningRate = Double(options["--learning-rate"] ?? "0.1")!
gb.tree.leaves = Int(options["--leaves"] ?? "31")!
gb.tree.minLeaf = Int(options["--min-leaf"] ?? "20")!
gb.threads = Int(options["--threads"] ?? "2")!
gb.earlyStopping = 0
switch options["--quantized"] ?? "auto" {
case "on": gb.quantizedGradients = true
case "off": gb.quantizedGradients = false
default: gb.quantizedGradients = nil
}
func f(_ v: Double, _ d: Int = 6) -> String { String(format: "%.\(d)f", v) }
for _ in 0..<repeats {
    let start = Date()
    let model = try gb.fit(xTrain, yTrain, categoryCounts: encoder.categoryCounts)
    let seconds = Date().timeIntervalSince(start)
    let pTrain = model.rawScores(xTrain).map(sigmoid)
    var line = "{\"rows\": \(nTrain), \"features\": \(xTrain.columns), \"trees\": \(model.trees.count), \"fit_seconds\": \(f(seconds, 3)), \"train_log_loss\": \(f(Metrics.logLoss(pTrain, yTrain)))"
    if !testRows.isEmpty {
        let pTest = model.rawScores(xTest).map(sigmoid)
        line += ", \"holdout_auc\": \(f(Metrics.rocAUC(pTest, yTest))), \"holdout_log_loss\": \(f(Metrics.logLoss(pTest, yTest)))"
    }
    print(line + "}")
}
