import Foundation

/// A file that cannot be opened, written or locked: about the file system, not the content.
public enum FileError: LeadScoreError, Equatable {
    /// An input that does not exist, is a folder, or cannot be read (exit 66).
    case unreadable(path: String, reason: String)
    /// An output that cannot be written: missing or read-only folder, disk full (exit 74).
    case unwritable(path: String, reason: String)
    /// A lock another process holds (the registry's writer lock): try again later (exit 75).
    case locked(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot open: \(reason)"
        case let .unwritable(path, reason): return "\(path): cannot write: \(reason)"
        case let .locked(path, reason): return "\(path): \(reason)"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .unreadable: return .noInput
        case .unwritable: return .cannotWrite
        case .locked: return .tryAgain
        }
    }
}
