import Foundation

/// A problem in a rules file: its syntax, its structure, or how it fits the data. The location
/// names the file and the line (and column, where known) of the offending rule. The CLI exits
/// with 65 (bad input) on these.
public struct RuleError: LeadScoreError, Equatable {
    public var location: SourceLocation
    public var message: String

    public init(file: String, line: Int, column: Int = 0, _ message: String) {
        location = SourceLocation(file: file, line: line, column: column)
        self.message = message
    }

    public var file: String { location.file }
    public var line: Int { location.line ?? 0 }
    public var column: Int { location.column ?? 0 }

    public var errorDescription: String? { "\(location): \(message)" }
    public var exitStatus: ExitStatus { .dataError }
}
