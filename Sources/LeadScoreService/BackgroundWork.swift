import Foundation
import GRDB
import LeadScoring

extension ScoringServer {
    /// Seconds between checks of the model registry's active version, or of the model file's
    /// content (SIGHUP checks at once).
    static let registryPoll = 5.0

    /// Starts the work that keeps stored scores live without requests: the decay sweep (each
    /// lead is rescored when its next change falls due: a window or an event rule running out,
    /// points decaying) and, for a registry, following its active version.
    func startBackgroundWork() -> [Task<Void, Never>] {
        engine.scored = { [metrics] n in metrics.scored(n) }
        let sweep = Task.detached { [self] in
            while !Task.isCancelled {
                do {
                    let n = try await sweepDue(now: Date().timeIntervalSince1970)
                    if n > 0 { continue }  // more may be due
                } catch {
                    FileHandle.standardError.write(Data("leadscore serve: decay sweep: \(error)\n".utf8))
                }
                try? await Task.sleep(nanoseconds: 500_000_000)
            }
        }
        let hangup = HangupSignal()
        let follow = Task.detached { [self] in
            do { try await rescoreStale() } catch {
                FileHandle.standardError.write(Data("leadscore serve: rescoring leads of an earlier model: \(error)\n".utf8))
            }
            while !Task.isCancelled {
                await hangup.wait(seconds: ScoringServer.registryPoll)
                await followRegistry()
            }
        }
        let deliver = Task.detached { [deliverer] in await deliverer.run() }
        return [sweep, follow, deliver]
    }

    /// Rescores the leads whose next change is due (up to 500 in one transaction); returns
    /// how many.
    func sweepDue(now: Double) async throws -> Int {
        try await store.write { [engine] db in
            let due = try String.fetchAll(db, sql: "SELECT id FROM leads WHERE next_check_at <= ? ORDER BY next_check_at LIMIT 500", arguments: [now])
            for id in due { try ScoringServer.rescoreAlone(db, engine: engine, id: id, cause: .decay, now: now) }
            return due.count
        }
    }

    /// Rescores one lead in a savepoint: a lead that cannot be scored (a damaged stored value)
    /// is logged and checked again in an hour instead of stopping the work for everyone.
    static func rescoreAlone(_ db: Database, engine: ScoringEngine, id: String, cause: ChangeCause, now: Double) throws {
        do {
            try db.inSavepoint {
                try engine.rescore(db, id: id, cause: cause, now: now)
                return .commit
            }
        } catch {
            FileHandle.standardError.write(Data("leadscore serve: lead '\(id)' could not be rescored: \(error)\n".utf8))
            try db.execute(sql: "UPDATE leads SET next_check_at = ? WHERE id = ?", arguments: [now + 3600, id])
        }
    }

    /// Rescores every stored lead scored by another model version than the current one (after
    /// a switch, and at start-up: a switch interrupted by a crash is finished), in transactions
    /// of 500 so requests go on meanwhile.
    func rescoreStale() async throws {
        var after = ""
        let version = engine.modelVersion
        while true {
            let now = Date().timeIntervalSince1970
            let last = try await store.write { [engine, after] db -> String? in
                let ids = try String.fetchAll(db, sql: "SELECT id FROM leads WHERE id > ? AND model_version != ? ORDER BY id LIMIT 500",
                                              arguments: [after, version])
                for id in ids { try ScoringServer.rescoreAlone(db, engine: engine, id: id, cause: .model, now: now) }
                return ids.last
            }
            guard let last else { break }
            after = last
        }
    }

    /// Switches to the registry's active version (or the model file's new content) when it
    /// changed and rescores every stored lead with it (in transactions of 500, so requests go
    /// on meanwhile).
    func followRegistry() async {
        do {
            let before = engine.modelVersion
            guard try engine.reloadIfChanged() else { return }
            FileHandle.standardError.write(Data("leadscore serve: model \(before) → \(engine.modelVersion); rescoring stored leads\n".utf8))
            try await rescoreStale()
        } catch {
            FileHandle.standardError.write(Data("leadscore serve: following the registry: \(error)\n".utf8))
        }
    }
}

/// SIGHUP, as an awaitable: `wait(seconds:)` returns after the timeout or at once on SIGHUP.
final class HangupSignal: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    init() {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [weak self] in self?.fire() }
        source.resume()
    }

    private func fire() {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            if let w = waiter { waiter = nil; return w }
            pending = true
            return nil
        }
        continuation?.resume()
    }

    func wait(seconds: Double) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if pending { pending = false; return true }
                waiter = continuation
                return false
            }
            if now { continuation.resume(); return }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [weak self] in
                guard let self else { return }
                let c: CheckedContinuation<Void, Never>? = self.lock.withLock {
                    guard let w = self.waiter else { return nil }
                    self.waiter = nil
                    return w
                }
                c?.resume()
            }
        }
    }
}
