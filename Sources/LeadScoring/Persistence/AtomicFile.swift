#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes a file through a temporary file in the same directory, renamed into place on
/// `commit()`: a failed or interrupted run never leaves a half-written or clobbered file.
/// A destination that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a pipe) is
/// written directly: renaming over it would replace the device with a file.
public final class AtomicFile {
    public let path: String
    public let temporaryPath: String
    /// Whether `path` is written directly (it is a device or a pipe).
    public let direct: Bool
    private var handle: UnsafeMutablePointer<FILE>?
    private var buffer: [UInt8] = []
    private var finished = false

    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw FileError.unwritable(path: path, reason: "directory '\(directory)' does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw FileError.unwritable(path: path, reason: "it is a directory")
        }
        var info = stat()
        direct = stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG
        temporaryPath = direct ? path : directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard let h = fopen(temporaryPath, "wb") else {
            if direct { throw FileError.unwritable(path: path, reason: String(cString: strerror(errno))) }
            throw FileError.unwritable(path: path, reason: "cannot create a temporary file in '\(directory)': \(String(cString: strerror(errno)))")
        }
        handle = h
        buffer.reserveCapacity(1 << 16)
    }

    deinit { abort() }

    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        guard let handle, !buffer.isEmpty else { return }
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard written == buffer.count else {
            throw FileError.unwritable(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the temporary file over `path`.
    public func commit() throws {
        try flush()
        guard let h = handle else { return }
        fflush(h)
        if !direct { fsync(fileno(h)) }
        fclose(h)
        handle = nil
        if direct { finished = true; return }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw FileError.unwritable(path: path, reason: "cannot move the finished file into place: \(reason)")
        }
        finished = true
    }

    /// Drops the temporary file; the destination is untouched.
    public func abort() {
        if let h = handle { fclose(h); handle = nil }
        if !finished { if !direct { unlink(temporaryPath) }; finished = true }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let file = try AtomicFile(path: path)
        try file.write(bytes: [UInt8](data))
        try file.commit()
    }
}
