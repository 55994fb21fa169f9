#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One model version in a registry.
public struct RegistryVersion: Codable, Equatable, Sendable {
    public var version: Int
    /// The model file, relative to the registry folder.
    public var file: String
    public var createdAt: String
    public var kind: ModelKind
    public var dataFiles: [String]
    public var rows: Int
    public var conversions: Int
    /// Measured when the version was made: on the retraining's recent holdout.
    public var holdoutAUC: Double
    public var holdoutLogLoss: Double
    /// The decision record of the retraining that made it, relative to the folder.
    public var decision: String?
}

/// A change of the active version.
public struct Activation: Codable, Equatable, Sendable {
    public var version: Int
    public var at: String
    public var reason: String
    /// True for a rollback (it undoes the activation before it rather than adding one).
    public var rollback: Bool? = nil
}

/// The registry's table of contents (`registry.json`).
public struct RegistryIndex: Codable, Equatable, Sendable {
    public var formatVersion = 1
    public var active: Int?
    /// Every change of the active version, oldest first; `rollback` steps back through it.
    public var activations: [Activation] = []
    public var versions: [RegistryVersion] = []

    public init() {}

    public func entry(_ version: Int) -> RegistryVersion? { versions.first { $0.version == version } }
}

/// A folder of model versions (`v1.json`, `v2.json`, …), the active one marked in
/// `registry.json`, and a decision record per retraining under `decisions/`.
///
/// Writes are atomic and ordered so that the index, written last, is the commit point: a run
/// that dies before it leaves the registry as it was (at most an unlisted model file, which the
/// next version overwrites). Writers hold an exclusive lock (`.lock`, `flock`), which the
/// kernel releases if the process dies, so a crash never leaves the registry locked.
public final class ModelRegistry: @unchecked Sendable {
    public let directory: String
    public static let indexName = "registry.json"

    public init(directory: String, create: Bool) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw UsageError("--registry \(directory): not a folder") }
        } else if create {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw UsageError("--registry \(directory): cannot create it: \(error.localizedDescription)")
            }
        } else {
            throw UsageError("--registry \(directory): no such folder (retrain creates it)")
        }
        self.directory = directory
    }

    var indexPath: String { directory + "/" + ModelRegistry.indexName }

    public func path(of version: Int) -> String { directory + "/v\(version).json" }

    /// The index; an empty one for a folder without models yet.
    public func index() throws -> RegistryIndex {
        guard FileManager.default.fileExists(atPath: indexPath) else { return RegistryIndex() }
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw FileError.unreadable(path: indexPath, reason: "cannot read it")
        }
        do {
            let index = try JSONCoding.decoder().decode(RegistryIndex.self, from: data)
            guard index.formatVersion <= 1 else {
                throw ModelFileError.invalid(SourceLocation(file: indexPath), reason: "registry format \(index.formatVersion) is newer than this leadscore reads (1)")
            }
            return index
        } catch let error as DataError {
            throw error
        } catch {
            throw ModelFileError.invalid(SourceLocation(file: indexPath), reason: "not a registry index: \(error)")
        }
    }

    func write(_ index: RegistryIndex) throws {
        try AtomicFile.write(try JSONCoding.encoder().encode(index), to: indexPath)
    }

    public func load(version: Int) throws -> LeadModel {
        let index = try index()
        guard let entry = index.entry(version) else {
            throw UsageError("\(directory): no version \(version); versions: " + index.versions.map { "\($0.version)" }.joined(separator: ", "))
        }
        return try LeadModel.load(from: directory + "/" + entry.file)
    }

    /// The active model, if any.
    public func active() throws -> (version: Int, model: LeadModel)? {
        guard let v = try index().active else { return nil }
        return (v, try load(version: v))
    }

    /// An exclusive writer's lock on the registry; released when the returned object goes.
    public func lock() throws -> RegistryLock { try RegistryLock(path: directory + "/.lock") }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    /// Adds `model` as the next version (with its decision record), making it active when
    /// `activate`. Returns the version number. Call with the lock held.
    @discardableResult
    public func add(_ model: LeadModel, dataFiles: [String], holdoutAUC: Double, holdoutLogLoss: Double,
                    decision: Data?, activate: Bool, reason: String) throws -> Int {
        var index = try self.index()
        let version = (index.versions.map(\.version).max() ?? 0) + 1
        try model.save(to: path(of: version))
        var decisionFile: String? = nil
        if let decision {
            let folder = directory + "/decisions"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            decisionFile = "decisions/v\(version).json"
            try AtomicFile.write(decision, to: directory + "/" + decisionFile!)
        }
        index.versions.append(RegistryVersion(version: version, file: "v\(version).json", createdAt: ModelRegistry.now(), kind: model.kind,
                                              dataFiles: dataFiles, rows: model.training.rows, conversions: model.training.conversions,
                                              holdoutAUC: holdoutAUC, holdoutLogLoss: holdoutLogLoss, decision: decisionFile))
        if activate {
            index.active = version
            index.activations.append(Activation(version: version, at: ModelRegistry.now(), reason: reason))
        }
        try write(index)
        return version
    }

    /// Makes `version` active. Call with the lock held.
    public func promote(_ version: Int, reason: String) throws {
        try activate(version, reason: reason, rollback: false)
    }

    func activate(_ version: Int, reason: String, rollback: Bool) throws {
        var index = try self.index()
        guard index.entry(version) != nil else {
            throw UsageError("\(directory): no version \(version); versions: " + index.versions.map { "\($0.version)" }.joined(separator: ", "))
        }
        guard FileManager.default.fileExists(atPath: path(of: version)) else {
            throw FileError.unreadable(path: path(of: version), reason: "the model file of version \(version) is missing")
        }
        if index.active == version { throw UsageError("version \(version) is already active") }
        index.active = version
        index.activations.append(Activation(version: version, at: ModelRegistry.now(), reason: reason, rollback: rollback ? true : nil))
        try write(index)
    }

    /// Makes the previously active version active again; returns it. Repeated rollbacks walk
    /// back through the history (3 → 2 → 1), not back and forth. Call with the lock held.
    @discardableResult
    public func rollback() throws -> Int {
        let index = try self.index()
        guard let current = index.active else { throw UsageError("\(directory): no active version to roll back from") }
        // Replay the history as a stack: an activation pushes its version, a rollback pops one.
        var stack: [Int] = []
        for a in index.activations {
            if a.rollback == true { if !stack.isEmpty { stack.removeLast() } } else { stack.append(a.version) }
        }
        while let top = stack.last, top == current { stack.removeLast() }
        guard let previous = stack.last else {
            throw UsageError("\(directory): no earlier active version to roll back to from version \(current)")
        }
        try activate(previous, reason: "rollback from version \(current)", rollback: true)
        return previous
    }
}

/// An exclusive `flock` on a lock file, holding the owner's pid for the message others see.
public final class RegistryLock {
    let fd: Int32

    init(path: String) throws {
        fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else {
            throw FileError.unwritable(path: path, reason: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = read(fd, &buffer, 63)
            let owner = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw FileError.locked(path: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                   reason: "another leadscore process (\(owner)) is changing this registry; try again when it has finished")
        }
        let text = Array("pid \(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
