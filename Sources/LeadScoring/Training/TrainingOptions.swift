import Foundation

/// Which learner `train` fits.
/// `--calibration`: auto chooses among none, Platt and isotonic on out-of-fold predictions.
public enum CalibrationChoice: String, Sendable, CaseIterable {
    case auto, none, platt, isotonic
}

/// `--refit`: whether the model is fitted again on every labelled row after the holdout has
/// measured it. auto: only when the training part is under `TrainingOptions.refitRowLimit`
/// rows; above, the last 20% of rows cannot change the model much, and the model kept is
/// exactly the one the holdout measured.
public enum RefitChoice: String, Sendable, CaseIterable {
    case auto, always, never
}

public enum ModelChoice: String, Sendable, CaseIterable {
    /// L2 logistic regression (IRLS).
    case logistic
    /// Histogram gradient-boosted trees.
    case gbdt
    /// Both, cross-validated on the training part; the lower out-of-fold log loss wins.
    case auto

    /// How people call it: "logistic regression", "boosted trees".
    public var description: String {
        switch self {
        case .logistic: return "logistic regression"
        case .gbdt: return "boosted trees"
        case .auto: return "the better of logistic regression and boosted trees"
        }
    }
}

/// Settings of a training run (`leadscore train`).
public struct TrainingOptions: Sendable {
    public var target: TargetSpec
    /// The library's default is the cheap, deterministic logistic fit; the `train` and
    /// `quickstart` commands ask for `.auto`.
    public var model = ModelChoice.logistic
    public var boosting = GradientBoosting()
    /// Share of the training part held back for early stopping of the trees.
    public var validationFraction = 0.1
    /// Folds for `--model auto`.
    public var folds = 3
    /// A date column: hold out the most recent 20% instead of a random 20%.
    public var timeColumn: String?
    public var logistic = LogisticRegression()
    public var minCategoryCount = FeatureEncoder.defaultMinCategoryCount
    public var tierPolicy = TierPolicy()
    /// Fixed thresholds instead of ones chosen on the holdout.
    public var explicitTiers: TierThresholds?
    /// 20%: enough holdout leads to measure AUC to about ±0.01 on a few thousand leads while
    /// keeping 80% for fitting.
    public var holdoutFraction = 0.2
    public var seed: UInt64 = 42
    public var leakageGuard = LeakageGuard()
    /// Keep every column flagged as a probable leak (`--keep-leaks`); by default they are left out.
    public var keepLeaks = false
    /// Flagged columns to keep all the same (`--allow-leak COL`).
    public var allowedLeaks: [String] = []
    /// How probabilities are calibrated (auto: chosen on out-of-fold predictions).
    public var calibration = CalibrationChoice.auto
    public var refit = RefitChoice.auto
    /// From this many training rows, `refit: auto` keeps the holdout model.
    public static let refitRowLimit = 200_000
    /// `--tune`: seconds for the settings search (nil: no search), or a fixed number of trials.
    public var tuneBudget: Double? = nil
    public var tuneTrials: Int? = nil

    public init(target: TargetSpec) { self.target = target }
}

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable {
    public var model: LeadModel
    /// The holdout split of the labelled rows (indices into `LabelledData.labels.rows`).
    public var split: Split
    /// All single-column holdout AUCs (the leaks are those ≥ the guard's threshold).
    public var singleColumnAUCs: [LeakFinding]
    /// Wall seconds per phase: `leakCheck`, `autoSelection`, `holdoutFit`, `finalFit` (encode and
    /// fit on every labelled row: the number to compare with another library's fit; absent
    /// when the holdout model is kept), `importance` (mean absolute contributions on the holdout),
    /// `profile` (the data profile for `drift`).
    public var timings: [String: Double]
}
