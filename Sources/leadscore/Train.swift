import ArgumentParser
import Foundation
import LeadScoring

struct Train: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a lead-scoring model on labelled CRM history and write the model file.",
        discussion: """
        Holds out 20% (stratified, or the most recent 20% with --time-column), reports holdout
        metrics, sets the tier thresholds on the holdout, refits on all rows and writes the model
        file atomically.
        """)

    @Option(help: "Labelled CRM export (CSV).")
    var data: String

    @OptionGroup var targetOptions: TargetOptions

    @Option(help: "Model: auto (cross-validate logistic regression and boosted trees on the training part, keep the lower log loss), logistic or gbdt.")
    var model: ModelChoice = .auto

    @OptionGroup var trees: TreeOptions

    @Option(name: .customLong("time-column"), help: "Date column: hold out the most recent 20% instead of a random 20%.")
    var timeColumn: String?

    @Option(help: "L2 penalty λ: on the logistic coefficients (λ = 1/C of scikit-learn) and on tree leaf values.")
    var l2: Double = 1.0

    @Option(name: .customLong("class-weight"), help: "none or balanced.")
    var classWeight: ClassWeight = .none

    @Option(name: .customLong("min-category-count"), help: "Levels seen fewer times are pooled into (other).")
    var minCategoryCount: Int = FeatureEncoder.defaultMinCategoryCount

    @Option(help: "Seed of the holdout split.")
    var seed: UInt64 = 42

    @OptionGroup var read: ReadOptions
    @OptionGroup var tierOptions: TierOptions

    @Option(help: "Probability calibration: auto (none, Platt or isotonic, whichever the out-of-fold predictions favour), none, platt or isotonic.")
    var calibration: CalibrationChoice = .auto

    @Flag(help: "Search the main settings (trees: learning rate, leaves, min leaf, L2; logistic: L2) by cross-validation on the training part.")
    var tune = false

    @Option(help: "Time budget of --tune, e.g. 60s or 5m.")
    var budget: String = "60s"

    @Option(name: .customLong("tune-trials"), help: "With --tune: try exactly this many settings instead of a time budget (the same result on any machine).")
    var tuneTrials: Int?

    @OptionGroup var leaks: LeakOptions

    @Option(help: "Fit again on every labelled row after the holdout measured the model: auto (only below \(TrainingOptions.refitRowLimit) training rows; above, the holdout-measured model is kept), always or never.")
    var refit: RefitChoice = .auto

    @Option(help: "Model file to write.")
    var out: String

    @Flag(help: "Print the training summary as JSON.")
    var json = false

    func validate() throws {
        guard l2 >= 0, l2.isFinite else { throw ValidationError("--l2 must be ≥ 0") }
        guard minCategoryCount >= 1 else { throw ValidationError("--min-category-count must be ≥ 1") }
        guard Durations.seconds(budget) != nil else { throw ValidationError("--budget: '\(budget)' is not a duration such as 60s or 5m") }
        if let tuneTrials, tuneTrials < 1 { throw ValidationError("--tune-trials must be at least 1") }
    }

    func options() throws -> TrainingOptions {
        var options = TrainingOptions(target: try targetOptions.spec)
        options.timeColumn = timeColumn
        options.logistic = LogisticRegression(l2: l2, classWeight: classWeight)
        options.minCategoryCount = minCategoryCount
        options.tierPolicy = try tierOptions.policy
        options.explicitTiers = try tierOptions.explicit
        options.seed = seed
        options.model = model
        options.boosting = trees.settings(l2: l2, seed: seed)
        options.calibration = calibration
        options.refit = refit
        leaks.apply(to: &options)
        if tune || tuneTrials != nil {
            options.tuneTrials = tuneTrials
            options.tuneBudget = tuneTrials == nil ? Durations.seconds(budget) : nil
        }
        return options
    }

    func execute() throws {
        // Fail before the work if the output cannot be written.
        try checkWritable(out)
        let start = Date()
        let source = try read.source(path: data)
        let (table, schema) = try source.load(target: targetOptions.target, hashing: true) { n in
            Console.note("read \(grouped(n)) rows (\(elapsed(start)))")
        }
        let readSeconds = Date().timeIntervalSince(start)
        Console.note("read and inferred \(grouped(table.rowCount)) rows (\(elapsed(start)))")
        let result = try Trainer.train(table: table, schema: schema, options: try options(), dataSHA256: table.sha256 ?? "") {
            Console.note("\($0) (\(elapsed(start)))")
        }
        try result.model.save(to: out)
        if json {
            print(try jsonString(TrainSummary(model: out, training: result.model.training, tiers: result.model.tiers,
                                              timings: result.timings.merging(["read": readSeconds, "total": Date().timeIntervalSince(start)]) { a, _ in a })))
        } else {
            printTrainingSummary(result, table: table)
            print("\nWrote \(out) (\(elapsed(start)))")
        }
    }
}

struct TrainSummary: Encodable {
    var model: String
    var training: TrainingMetadata
    var tiers: TierThresholds
    /// Seconds per phase of this run (train only).
    var timings: [String: Double]? = nil
}

/// Refuses early when the output's folder is missing or not writable, so a long run does not
/// end in an error (exit 74).
func checkWritable(_ path: String) throws {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
        throw FileError.unwritable(path: path, reason: "the folder '\(directory)' does not exist")
    }
    guard access(directory, W_OK) == 0 else {
        throw FileError.unwritable(path: path, reason: "the folder '\(directory)' is not writable: \(String(cString: strerror(errno)))")
    }
}
