import ArgumentParser
import Foundation
import LeadScoring

/// How to read a CSV file: shared by every command that reads one.
struct ReadOptions: ParsableArguments {
    @Option(help: "Field delimiter: , ; tab or | (default: detected from the header).")
    var delimiter: Delimiter?

    @Option(help: "Schema override file (YAML or JSON) fixing column kinds or excluding columns.")
    var schema: String?

    @Option(help: ArgumentHelp("Columns to leave out, comma-separated.", valueName: "COL,..."))
    var drop: String?

    @Option(help: ArgumentHelp("Tokens that mean missing, comma-separated (default: empty, NA, N/A, null, none, Select, -, and Excel's #N/A, #VALUE!, #DIV/0!, #REF!, #NULL!, #NAME?, #NUM!).", valueName: "TOKEN,..."))
    var missing: String?

    func source(path: String) throws -> DataSource {
        var source = DataSource(path: path, delimiter: delimiter)
        if let schema { source.overrides = try SchemaOverrides.load(path: schema) }
        source.drop = splitList(drop)
        if let missing { source.missingTokens = missing.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return source
    }
}

/// Which column is the outcome and which of its values mean converted.
struct TargetOptions: ParsableArguments {
    @Option(help: "Target column (converted / not converted).")
    var target: String?

    @Option(help: ArgumentHelp("Target values that mean converted, e.g. Won (default: 1/true/yes).", valueName: "V,..."))
    var positive: String?

    @Option(help: ArgumentHelp("Target values that mean not converted (default: every other value); rows with neither are left out.", valueName: "V,..."))
    var negative: String?

    /// The target as given; `--target` is required.
    var spec: TargetSpec {
        get throws {
            guard let target else { throw UsageError("--target COL is required: the column saying whether each lead converted") }
            return TargetSpec(column: target, positive: splitList(positive), negative: splitList(negative))
        }
    }

    /// A model's target definition with what these options change.
    func overriding(_ spec: TargetSpec) -> TargetSpec {
        spec.overriding(column: target, positive: splitList(positive), negative: splitList(negative))
    }
}

/// How probabilities map onto Cold / MQL / SQL.
struct TierOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Explicit probability thresholds, e.g. mql=0.35,sql=0.7.", valueName: "mql=P,sql=P"))
    var tiers: String?

    @Option(name: .customLong("sql-top"), help: ArgumentHelp("SQL = this top share of leads, e.g. 10% (capacity-based).", valueName: "SHARE"))
    var sqlTop: String?

    @Option(name: .customLong("mql-top"), help: ArgumentHelp("MQL and above = this top share of leads, e.g. 30%.", valueName: "SHARE"))
    var mqlTop: String?

    @Option(name: .customLong("sql-precision"), help: "SQL: the largest top band converting at least this often on the holdout.")
    var sqlPrecision: Double = 0.7

    @Option(name: .customLong("mql-precision"), help: "MQL: the band below SQL converting at least this often.")
    var mqlPrecision: Double = 0.4

    func validate() throws {
        guard (0...1).contains(sqlPrecision), (0...1).contains(mqlPrecision) else {
            throw ValidationError("--sql-precision and --mql-precision must be between 0 and 1")
        }
        if tiers != nil && (sqlTop != nil || mqlTop != nil) {
            throw ValidationError("give either --tiers or --sql-top/--mql-top, not both")
        }
    }

    var explicit: TierThresholds? { get throws { try tiers.map(TierThresholds.parse) } }

    var policy: TierPolicy {
        get throws {
            TierPolicy(sqlPrecision: sqlPrecision, mqlPrecision: mqlPrecision,
                       sqlTop: try sqlTop.map { try TierThresholds.parseShare($0, option: "--sql-top") },
                       mqlTop: try mqlTop.map { try TierThresholds.parseShare($0, option: "--mql-top") })
        }
    }

}

/// What to do with columns the leakage guard flags (`train`, `retrain`).
struct LeakOptions: ParsableArguments {
    @Flag(name: .customLong("keep-leaks"), help: "Keep columns flagged as probable leaks (by default they are left out of the model).")
    var keepLeaks = false

    @Option(name: .customLong("allow-leak"), help: ArgumentHelp("Keep this flagged column all the same (repeatable, or comma-separated).", valueName: "COL"))
    var allowLeak: [String] = []

    func apply(to options: inout TrainingOptions) {
        options.keepLeaks = keepLeaks
        options.allowedLeaks = allowLeak.flatMap { splitList($0) }
    }
}

func splitList(_ text: String?) -> [String] {
    guard let text else { return [] }
    return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// Settings of the boosted trees (`--model gbdt` or `auto`). Defaults and their reasons are in
/// `GradientBoosting` and `TreeSettings`.
struct TreeOptions: ParsableArguments {
    @Option(help: "Trees: at most this many (early stopping usually stops sooner).")
    var trees: Int = GradientBoosting().trees

    @Option(help: "Leaves per tree (leaf-wise growth).")
    var leaves: Int = TreeSettings().leaves

    @Option(name: .customLong("max-depth"), help: "Maximum tree depth, 0 = unlimited.")
    var maxDepth: Int = TreeSettings().maxDepth

    @Option(name: .customLong("learning-rate"), help: "Shrinkage of each tree.")
    var learningRate: Double = GradientBoosting().learningRate

    @Option(name: .customLong("min-leaf"), help: "Fewest training rows in a leaf.")
    var minLeaf: Int = TreeSettings().minLeaf

    @Option(name: .customLong("row-sample"), help: "Share of rows drawn for each tree (0–1].")
    var rowSample: Double = 1

    @Option(name: .customLong("column-sample"), help: "Share of features offered to each tree (0–1].")
    var columnSample: Double = 1

    @Option(name: .customLong("early-stopping"), help: "Stop after N rounds without validation improvement; 0 = off.")
    var earlyStopping: Int = GradientBoosting().earlyStopping

    @Option(help: "Threads for histograms and prediction.")
    var threads: Int = 2

    func validate() throws {
        guard trees >= 1 else { throw ValidationError("--trees must be ≥ 1") }
        guard leaves >= 2 else { throw ValidationError("--leaves must be ≥ 2") }
        guard maxDepth >= 0 else { throw ValidationError("--max-depth must be ≥ 0") }
        guard learningRate > 0, learningRate <= 1 else { throw ValidationError("--learning-rate must be in (0, 1]") }
        guard minLeaf >= 1 else { throw ValidationError("--min-leaf must be ≥ 1") }
        guard rowSample > 0, rowSample <= 1, columnSample > 0, columnSample <= 1 else {
            throw ValidationError("--row-sample and --column-sample must be in (0, 1]")
        }
        guard earlyStopping >= 0 else { throw ValidationError("--early-stopping must be ≥ 0") }
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1") }
    }

    func settings(l2: Double, seed: UInt64) -> GradientBoosting {
        var g = GradientBoosting()
        g.trees = trees
        g.learningRate = learningRate
        g.tree.leaves = leaves
        g.tree.maxDepth = maxDepth
        g.tree.minLeaf = minLeaf
        g.tree.l2 = l2
        g.rowSample = rowSample
        g.columnSample = columnSample
        g.earlyStopping = earlyStopping
        g.seed = seed
        g.threads = threads
        return g
    }
}

/// A model and the labelled leads it is judged on (`evaluate`, `compare`, `report`): read as
/// the model's training file was, with the model's target definition unless the options give
/// another.
struct LabelledModelData: ParsableArguments {
    @Option(help: "Model file.")
    var model: String

    @Option(help: "Labelled CSV of past leads.")
    var data: String

    @OptionGroup var targetOptions: TargetOptions

    @Option(help: "Field delimiter: , ; tab or | (default: detected).")
    var delimiter: Delimiter?

    /// The model and its labelled leads; `purpose` (e.g. "a comparison") asks for both outcomes.
    func load(purpose: String?) throws -> (LeadModel, LabelledData) {
        let leadModel = try LeadModel.load(from: model)
        let data = try LabelledData.load(DataSource(path: self.data, delimiter: delimiter), target: targetOptions.overriding(leadModel.target),
                                         model: leadModel, purpose: purpose)
        return (leadModel, data)
    }
}

/// What rules need besides the rules file: the activity log and the as-of date.
struct RuleContextOptions: ParsableArguments {
    @Option(help: "Activity log CSV (lead id, activity, timestamp, optional value) for the rules' 'on:' rules.")
    var events: String?

    @Option(name: .customLong("as-of"), help: "Date rule decay and event windows count to (YYYY-MM-DD; default: today).")
    var asOf: String?

    var eventLog: EventLog? { get throws { try events.map { try EventLog.read(path: $0) } } }
    var day: Double { get throws { try RuleScorer.asOfDate(asOf) } }
}
