import Foundation

/// Content of a table (a CSV export, an event log, a schema override file) that cannot be read
/// as what it should be. Every case carries where: the file and, where there is one, the line,
/// column and value. The CLI exits with 65 (EX_DATAERR) on these.
public enum DataError: LeadScoreError, Equatable {
    case emptyFile(SourceLocation)
    case unterminatedQuote(SourceLocation)
    case raggedRow(SourceLocation, expected: Int, found: Int)
    /// Columns the model or a command needs that the file lacks.
    case missingColumns(SourceLocation, columns: [String])
    case badValue(SourceLocation, reason: String)
    /// The target column (the location's field) cannot give labels.
    case target(SourceLocation, reason: String)
    case tooFewRows(SourceLocation, reason: String)
    /// A schema override file that does not say what it should.
    case badSchemaFile(SourceLocation, reason: String)
    /// Anything else about a file's content.
    case badInput(SourceLocation, reason: String)

    public var location: SourceLocation {
        switch self {
        case let .emptyFile(l), let .unterminatedQuote(l), let .raggedRow(l, _, _), let .missingColumns(l, _),
             let .badValue(l, _), let .target(l, _), let .tooFewRows(l, _), let .badSchemaFile(l, _), let .badInput(l, _):
            return l
        }
    }

    public var errorDescription: String? {
        switch self {
        case let .emptyFile(at):
            return "\(at): the file is empty (no header row)"
        case let .unterminatedQuote(at):
            return "\(at): a quoted field starting on line \(at.line ?? 0) is never closed"
        case let .raggedRow(at, expected, found):
            return "\(at): row has \(found) fields but the header has \(expected)"
        case let .missingColumns(at, columns):
            return "\(at): missing column\(columns.count == 1 ? "" : "s") the model needs: "
                + columns.map { "'\($0)'" }.joined(separator: ", ")
        case let .target(at, reason):
            var place = at
            place.field = nil
            return "\(place): target column '\(at.field ?? "?")': \(reason)"
        case let .badValue(at, reason), let .tooFewRows(at, reason), let .badSchemaFile(at, reason), let .badInput(at, reason):
            return "\(at): \(reason)"
        }
    }

    public var exitStatus: ExitStatus { .dataError }
}
