import Foundation
import LinearAlgebra

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

/// Every error leadscore throws: one type per area (`DataError`, `FileError`, `ModelFileError`,
/// `RuleError`, `UsageError`, and LinearAlgebra's `LinearAlgebraError`), each with a message
/// that names where the problem is and the exit status a command ends with, so the CLI maps
/// errors to exits in one place.
public protocol LeadScoreError: LocalizedError, Sendable {
    var exitStatus: ExitStatus { get }
}

/// Where in an input a problem is: the file, and as far as known the line and column (both
/// 1-based), the field (a table's column or a structured file's key) and the value found.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var field: String?
    public var value: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, value: String? = nil) {
        self.file = file
        self.line = line.flatMap { $0 > 0 ? $0 : nil }
        self.column = column.flatMap { $0 > 0 ? $0 : nil }
        self.field = field
        self.value = value
    }

    /// `file:line:column: column 'field': value 'value'`, with what is known.
    public var description: String {
        var text = file
        if let line { text += ":\(line)"; if let column { text += ":\(column)" } }
        if let field { text += ": column '\(field)'" }
        if let value { text += ": value '\(value)'" }
        return text
    }
}

/// A request that cannot be carried out as asked (an unknown column name, a bad option value).
public struct UsageError: LeadScoreError, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
    public var exitStatus: ExitStatus { .usage }
}

extension LinearAlgebraError: LeadScoreError {
    public var exitStatus: ExitStatus { .failure }
}
