import ArgumentParser
import LeadScoring

// The library's choices parse themselves from the command line: a bad value is a usage error
// listing the valid ones, and no command turns a string into a choice by hand.

extension ModelChoice: ExpressibleByArgument {}
extension CalibrationChoice: ExpressibleByArgument {}
extension RefitChoice: ExpressibleByArgument {}
extension RecordWriter.Format: ExpressibleByArgument {}

extension Delimiter: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { [",", ";", "tab", "|"] }
}

extension ClassWeight: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "none": self = .none
        case "balanced": self = .balanced
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["none", "balanced"] }
    public var defaultValueDescription: String {
        if case .balanced = self { return "balanced" }
        return "none"
    }
}
