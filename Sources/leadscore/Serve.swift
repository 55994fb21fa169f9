import ArgumentParser
import Foundation
import LeadScoreService
import LeadScoring

struct Serve: LeadScoreCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scoring service: leads and events in over HTTP, live scores out.",
        discussion: "Reads service.yaml (--config); the flags override it. With only --model, the store is leadscore.db in the current folder. --check validates the configuration against the model and exits.")

    @Option(help: "The service configuration (service.yaml).") var config: String?
    @Option(help: "The store (an SQLite file).") var store: String?
    @Option(help: "A model file, or a registry folder whose active version the service follows.") var model: String?
    @Option(help: "A rules file (rule points, the rules' tier and grade).") var rules: String?
    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "Port to listen on (0: any free port, printed when listening).") var port: Int?
    @Flag(help: "Validate the configuration against the model and the rules, then exit.") var check = false

    func settings() throws -> ServiceConfiguration {
        var c = try config.map { try ServiceConfiguration.load(path: $0) } ?? ServiceConfiguration()
        if let store { c.store = store }
        if let model { c.model = model }
        if let rules { c.rules = rules }
        if let host { c.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw UsageError("--port \(port): give a port from 0 to 65535") }
            c.port = port
        }
        return c
    }

    func execute() throws {
        let settings = try settings()
        if check {
            let engine = try ScoringEngine(configuration: settings)
            print("\(settings.file ?? "configuration"): OK: model \(engine.modelVersion), \(settings.inputs.count) inputs from events"
                  + (settings.rules.map { ", rules \($0)" } ?? "") + ", tier from \(settings.tierFrom.rawValue)")
            return
        }
        let server = try ScoringServer(configuration: settings)
        let done = DispatchSemaphore(value: 0)
        let failure = ErrorBox()
        let host = settings.host
        Task.detached {
            do {
                try await server.run { port in
                    // Written straight to the descriptor: scripts wait for this line.
                    FileHandle.standardOutput.write(Data("leadscore serve: listening on http://\(host):\(port) (model \(server.modelVersion), store \(settings.store))\n".utf8))
                }
            } catch {
                failure.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw error }
    }
}

final class ErrorBox: @unchecked Sendable { var error: Error? }

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the service's API keys.",
        subcommands: [KeysCreate.self, KeysList.self, KeysRevoke.self])
}

struct StoreOption: ParsableArguments {
    @Option(help: "The service's store.") var store: String = "leadscore.db"
    func open() throws -> LeadStore { try LeadStore(path: store) }
}

extension KeyScope: ExpressibleByArgument {}

struct KeysCreate: LeadScoreCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Make a key; it is printed once (only its hash is stored).")
    @OptionGroup var store: StoreOption
    @Option(help: "read (scores), write (ingest and change leads) or admin (both, and webhooks).") var scope: KeyScope
    @Option(help: "A name to recognise the key by.") var name: String?

    func execute() throws {
        let (record, key) = try APIKeys.create(in: try store.open(), scope: scope, name: name)
        print(key)
        Console.note("key \(record.id) (\(record.scope.rawValue)) created; it is shown only now: keep it somewhere safe")
    }
}

struct KeysList: LeadScoreCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys (never the keys themselves).")
    @OptionGroup var store: StoreOption
    @Flag(help: "Print JSON.") var json = false

    func execute() throws {
        let keys = try APIKeys.list(in: try store.open())
        if json {
            print(String(decoding: try JSONCoding.encoder().encode(keys), as: UTF8.self))
            return
        }
        print("id            scope  created               status   name")
        for k in keys {
            let created = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: k.createdAt))
            print("\(k.id.padding(toLength: 14, withPad: " ", startingAt: 0))\(k.scope.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))\(created.padding(toLength: 22, withPad: " ", startingAt: 0))\((k.revokedAt == nil ? "active" : "revoked").padding(toLength: 9, withPad: " ", startingAt: 0))\(k.name ?? "")")
        }
    }
}

struct KeysRevoke: LeadScoreCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key at once.")
    @OptionGroup var store: StoreOption
    @Argument(help: "The key's id (key_…), as keys list shows it.") var id: String

    func execute() throws {
        guard try APIKeys.revoke(in: try store.open(), id: id) else { throw UsageError("no active key '\(id)' in \(store.store)") }
        print("revoked \(id)")
    }
}
