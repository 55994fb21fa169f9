import ArgumentParser
import Foundation
import LeadScoring

@main
struct LeadScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leadscore",
        abstract: "Lead scoring from CRM exports: train, score, explain, evaluate.",
        discussion: """
        Exit codes: 0 success, 64 usage error, 65 bad input data (or rules file), 66 an input file
        that does not exist or cannot be read, 74 an output that cannot be written, 75 the
        registry is locked by another process (try again later), 1 anything else.
        Start with `leadscore quickstart`.
        """,
        version: LeadScoreVersion.current,
        subcommands: [Quickstart.self, Generate.self, SchemaCommand.self, Train.self, Predict.self,
                      Evaluate.self, Inspect.self, RulesCommand.self, Compare.self, DriftCommand.self, Retrain.self, Models.self, Report.self,
                      Serve.self, Keys.self, Features.self, Alerts.self, Export.self]
    )
}

/// A subcommand whose library errors are printed once to stderr and mapped to exit codes: each
/// library error knows its status (`LeadScoreError`); anything else exits 1.
protocol LeadScoreCommand: ParsableCommand {
    func execute() throws
}

extension LeadScoreCommand {
    mutating func run() throws {
        do {
            try execute()
        } catch let error as ExitCode {
            throw error
        } catch {
            Console.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw ExitCode((error as? LeadScoreError)?.exitStatus.rawValue ?? ExitStatus.failure.rawValue)
        }
    }
}

enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("leadscore: error: \(message)\n".utf8))
    }
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}
