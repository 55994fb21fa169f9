import Foundation

/// A model file or registry index that is not what leadscore wrote: damaged, hand-edited, or
/// from a newer leadscore (exit 65).
public enum ModelFileError: LeadScoreError, Equatable {
    /// The first problem found, where it is (the JSON path as the field).
    case invalid(SourceLocation, reason: String)
    case newerVersion(file: String, found: Int, supported: Int)

    public var errorDescription: String? {
        switch self {
        case let .invalid(at, reason):
            return "\(at): not a valid leadscore model file: \(reason)"
        case let .newerVersion(file, found, supported):
            return "\(file): model format version \(found) is newer than this leadscore reads (up to \(supported)); upgrade leadscore"
        }
    }

    public var exitStatus: ExitStatus { .dataError }
}
