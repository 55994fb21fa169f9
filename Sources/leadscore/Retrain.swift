import ArgumentParser
import Foundation
import LeadScoring

struct Retrain: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retrain on new CRM history: challengers against the active model on the most recent leads; promote only a better one.",
        discussion: """
        The exports given with --data are combined and de-duplicated by lead id (the newest row of \
        each lead wins). Logistic regression and boosted trees are trained on the older 80% and, with \
        the active model (the champion), measured on the most recent 20% (by --time-column; a \
        stratified random 20% without one). The best challenger becomes the next version in the \
        registry; it is made active only when its log loss is lower by --margin and its AUC is not \
        worse beyond noise (a paired bootstrap interval on the difference). The decision, its \
        numbers and reason are printed and written to the registry's decisions/ folder.
        """)

    @Option(help: "Registry folder.")
    var registry: String = "models"

    @Option(help: "Labelled CSV export; repeat for several (combined, newest row per lead wins).")
    var data: [String]

    @OptionGroup var targetOptions: TargetOptions

    @Option(name: .customLong("time-column"), help: "Date column: the holdout is the most recent 20%, and it decides which duplicate is newest.")
    var timeColumn: String?

    @Option(name: .customLong("id-column"), help: "Lead id column for de-duplication (default: the first identifier column).")
    var idColumn: String?

    @Option(help: "Relative log-loss improvement a challenger needs to be promoted, e.g. 0.005 = 0.5%.")
    var margin: Double = 0.005

    @Option(help: "Probability calibration of the challengers: auto, none, platt or isotonic.")
    var calibration: String = "auto"

    @Option(help: "Seed of splits and the bootstrap.")
    var seed: UInt64 = 42

    @OptionGroup var trees: TreeOptions
    @OptionGroup var read: ReadOptions
    @OptionGroup var leaks: LeakOptions

    @Flag(help: "Print the decision as JSON.")
    var json = false

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give at least one --data FILE") }
        guard margin >= 0, margin < 1 else { throw ValidationError("--margin must be in [0, 1)") }
        guard CalibrationChoice(rawValue: calibration) != nil else { throw ValidationError("--calibration must be auto, none, platt or isotonic") }
    }

    func execute() throws {
        let start = Date()
        let folder = try ModelRegistry(directory: registry, create: true)
        var options = TrainingOptions(target: try targetOptions.spec)
        options.timeColumn = timeColumn
        options.seed = seed
        options.calibration = CalibrationChoice(rawValue: calibration)!
        leaks.apply(to: &options)
        options.boosting = trees.settings(l2: 1, seed: seed)
        var retrainer = Retrainer(sources: try data.map { try read.source(path: $0) }, training: options)
        retrainer.idColumn = idColumn
        retrainer.margin = margin
        let outcome = try retrainer.run(registry: folder) { Console.note($0) }
        let d = outcome.decision
        if json { print(try jsonString(d)); return }
        print("Data: \(d.dataFiles.joined(separator: ", ")): \(grouped(d.rowsRead)) rows"
              + (d.duplicatesRemoved > 0 ? ", \(grouped(d.duplicatesRemoved)) duplicates by '\(d.idColumn ?? "?")' removed (the newest row of each lead kept)" : "")
              + ", \(grouped(d.labelledRows)) labelled")
        for note in outcome.notes where !note.contains("duplicate rows") { print("Note: \(note)") }
        print("Holdout: \(d.split), \(grouped(d.holdoutRows)) leads\n")
        var rows: [[String]] = []
        for c in (d.champion.map { [$0] } ?? []) + d.candidates {
            rows.append([c.name, num(c.auc), "\(num(c.aucLow))–\(num(c.aucHigh))", num(c.logLoss, 4)])
        }
        print(renderTable(["model", "ROC AUC", "95% CI", "log loss"], rows))
        if let diff = d.aucDifference, let low = d.aucDifferenceLow, let high = d.aucDifferenceHigh {
            print("AUC difference, challenger − champion: \(num(diff, 4)) (95% bootstrap CI \(num(low, 4)) to \(num(high, 4)))")
        }
        if let drift = outcome.drift { print("Drift since the champion's training data: \(drift.status.rawValue) — \(drift.summary)") }
        print("\nDecision: \(d.reason)")
        print("Saved the \(d.challenger.name) challenger as version \(outcome.version) in \(registry)/; active version: \(outcome.active.map(String.init) ?? "none") (\(elapsed(start)))")
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The model registry: list versions, show one, promote one, roll back.",
        subcommands: [ModelsList.self, ModelsShow.self, ModelsPromote.self, ModelsRollback.self])
}

struct RegistryOption: ParsableArguments {
    @Option(help: "Registry folder.")
    var registry: String = "models"

    func open() throws -> ModelRegistry { try ModelRegistry(directory: registry, create: false) }

    /// Runs `change` on the registry with its writer's lock held.
    func withLock<T>(_ change: (ModelRegistry) throws -> T) throws -> T {
        let folder = try open()
        let lock = try folder.lock()
        defer { withExtendedLifetime(lock) {} }
        return try change(folder)
    }
}

struct ModelsList: LeadScoreCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the versions, the active one marked.")
    @OptionGroup var registry: RegistryOption
    @Flag(help: "Print JSON.") var json = false

    func execute() throws {
        let index = try registry.open().index()
        if json { print(try jsonString(index)); return }
        guard !index.versions.isEmpty else { print("\(registry.registry): no versions yet (run leadscore retrain)"); return }
        print(renderTable(["", "version", "kind", "created", "rows", "holdout AUC", "log loss", "data"], index.versions.map { v in
            [v.version == index.active ? "*" : "", "\(v.version)", v.kind.rawValue, v.createdAt, grouped(v.rows), num(v.holdoutAUC),
             num(v.holdoutLogLoss, 4), v.dataFiles.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")]
        }))
        print("* active")
    }
}

struct ModelsShow: LeadScoreCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one version: its model and the decision that made it.")
    @OptionGroup var registry: RegistryOption
    @Argument(help: "Version number.") var version: Int

    func execute() throws {
        let folder = try registry.open()
        let index = try folder.index()
        let model = try folder.load(version: version)
        guard let entry = index.entry(version) else { throw UsageError("\(registry.registry): no version \(version)") }
        print("Version \(version)\(index.active == version ? " (active)" : ""): \(model.kindDescription), \(entry.createdAt), file \(registry.registry)/\(entry.file)")
        print("Trained on \(grouped(model.training.rows)) leads (\(model.training.dataFile)); holdout at retraining: AUC \(num(entry.holdoutAUC)), log loss \(num(entry.holdoutLogLoss, 4))")
        if let file = entry.decision {
            let path = "\(registry.registry)/\(file)"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FileError.unreadable(path: path, reason: "the decision record of version \(version) is listed in the registry but cannot be read")
            }
            let decision: RetrainDecision
            do { decision = try JSONCoding.decoder().decode(RetrainDecision.self, from: data) } catch {
                throw DataError.badInput(SourceLocation(file: path), reason: "not a decision record: \(error.localizedDescription)")
            }
            print("Decision (\(decision.at)): \(decision.reason)")
            if let drift = decision.drift { print("Drift then: \(drift)") }
        }
        let activations = index.activations.filter { $0.version == version }
        for a in activations { print("Activated \(a.at): \(a.reason)") }
    }
}

struct ModelsPromote: LeadScoreCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Make a version active.")
    @OptionGroup var registry: RegistryOption
    @Argument(help: "Version number.") var version: Int

    func execute() throws {
        try registry.withLock { try $0.promote(version, reason: "promoted by hand") }
        print("Version \(version) is now active in \(registry.registry)/")
    }
}

struct ModelsRollback: LeadScoreCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Make the previously active version active again.")
    @OptionGroup var registry: RegistryOption

    func execute() throws {
        let version = try registry.withLock { try $0.rollback() }
        print("Rolled back: version \(version) is active again in \(registry.registry)/")
    }
}
