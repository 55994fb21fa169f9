import ArgumentParser
import Foundation
import LeadScoring

@main
struct LeadScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leadscore",
        abstract: "Lead scoring from CRM exports: train, score, explain, evaluate.",
        discussion: """
        Exit codes: 0 success, 64 usage error, 65 bad input data (or rules file), 1 anything else.
        Start with `leadscore quickstart`.
        """,
        version: LeadScoreVersion.current,
        subcommands: [Quickstart.self, Generate.self, SchemaCommand.self, Train.self, Predict.self,
                      Evaluate.self, Inspect.self, RulesCommand.self, Compare.self, DriftCommand.self, Retrain.self, Models.self, Report.self]
    )
}

/// A subcommand whose library errors are printed once to stderr and mapped to exit codes:
/// 65 for bad input data, 64 for a usage error, 1 otherwise.
protocol LeadScoreCommand: ParsableCommand {
    func execute() throws
}

extension LeadScoreCommand {
    mutating func run() throws {
        do {
            try execute()
        } catch let error as ExitCode {
            throw error
        } catch let error as DataError {
            Console.error(error.localizedDescription)
            throw ExitCode(65)
        } catch let error as RuleError {
            Console.error(error.localizedDescription)
            throw ExitCode(65)
        } catch let error as UsageError {
            Console.error(error.localizedDescription)
            throw ExitCode(64)
        } catch {
            Console.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
            throw ExitCode(1)
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
