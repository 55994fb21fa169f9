import Foundation

/// Bad input: a file that cannot be read or parsed, or values that do not fit.
/// Every message names the file and, where there is one, the line, column and value.
/// The CLI exits with 65 (EX_DATAERR) on these.
public enum DataError: Error, LocalizedError, Equatable, Sendable {
    case cannotOpen(file: String, reason: String)
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
}

/// A request that cannot be carried out as asked (an unknown column name, a bad option value).
/// The CLI exits with 64 (EX_USAGE) on these.
public struct UsageError: Error, LocalizedError, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
}
