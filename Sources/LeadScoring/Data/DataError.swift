import Foundation

/// How a run ended, as the CLI's exit code (the BSD sysexits values where one fits).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// Anything not covered below (a numerical failure, a bug).
    case failure = 1
    /// EX_USAGE: a bad option or an unknown column name.
    case usage = 64
    /// EX_DATAERR: input that cannot be read as what it should be (file, line, column, value).
    case dataError = 65
    /// EX_NOINPUT: an input file that does not exist or cannot be opened.
    case noInput = 66
    /// EX_IOERR: an output that cannot be written (disk full, permission, missing folder).
    case cannotWrite = 74
    /// EX_TEMPFAIL: a resource held by another process (the registry's lock); try again later.
    case tryAgain = 75
}

/// An error that knows how the CLI should exit on it.
public protocol ExitCoded: Error {
    var exitStatus: ExitStatus { get }
}

/// Bad input: a file that cannot be read or parsed, or values that do not fit; and outputs that
/// cannot be written. Every message names the file and, where there is one, the line, column
/// and value.
public enum DataError: Error, LocalizedError, Equatable, Sendable, ExitCoded {
    /// An input file that does not exist or cannot be opened (exit 66).
    case cannotOpen(file: String, reason: String)
    /// An output that cannot be written (exit 74).
    case cannotWrite(file: String, reason: String)
    /// A file whose content is not what it should be, without a line to name (exit 65).
    case badInput(file: String, reason: String)
    case emptyFile(file: String)
    case unterminatedQuote(file: String, line: Int)
    case raggedRow(file: String, line: Int, expected: Int, found: Int)
    case missingColumns(file: String, columns: [String])
    case badValue(file: String, line: Int, column: String, value: String, reason: String)
    case target(file: String, column: String, reason: String)
    case tooFewRows(file: String, reason: String)
    case badOverride(file: String, reason: String)
    case badModel(file: String, reason: String)
    case unsupportedModelVersion(file: String, found: Int, supported: Int)

    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(file, reason):
            return "\(file): cannot open: \(reason)"
        case let .cannotWrite(file, reason):
            return "\(file): cannot write: \(reason)"
        case let .badInput(file, reason):
            return "\(file): \(reason)"
        case let .emptyFile(file):
            return "\(file): the file is empty (no header row)"
        case let .unterminatedQuote(file, line):
            return "\(file):\(line): a quoted field starting on line \(line) is never closed"
        case let .raggedRow(file, line, expected, found):
            return "\(file):\(line): row has \(found) fields but the header has \(expected)"
        case let .missingColumns(file, columns):
            return "\(file): missing column\(columns.count == 1 ? "" : "s") the model needs: "
                + columns.map { "'\($0)'" }.joined(separator: ", ")
        case let .badValue(file, line, column, value, reason):
            return "\(file):\(line): column '\(column)': value '\(value)': \(reason)"
        case let .target(file, column, reason):
            return "\(file): target column '\(column)': \(reason)"
        case let .tooFewRows(file, reason):
            return "\(file): \(reason)"
        case let .badOverride(file, reason):
            return "\(file): \(reason)"
        case let .badModel(file, reason):
            return "\(file): not a valid leadscore model file: \(reason)"
        case let .unsupportedModelVersion(file, found, supported):
            return "\(file): model format version \(found) is newer than this leadscore reads (up to \(supported)); upgrade leadscore"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .cannotOpen: return .noInput
        case .cannotWrite: return .cannotWrite
        default: return .dataError
        }
    }
}

/// A request that cannot be carried out as asked (an unknown column name, a bad option value).
/// The CLI exits with 64 (EX_USAGE) on these.
public struct UsageError: Error, LocalizedError, Equatable, Sendable, ExitCoded {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
    public var exitStatus: ExitStatus { .usage }
}

/// A resource another process holds (the registry's writer lock): try again later (exit 75).
public struct BusyError: Error, LocalizedError, Equatable, Sendable, ExitCoded {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
    public var exitStatus: ExitStatus { .tryAgain }
}
