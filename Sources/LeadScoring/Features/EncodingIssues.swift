import Foundation

/// Counts of values that could not be read at scoring time, per column, with the first example.
public struct EncodingIssues: Sendable {
    public var counts: [String: Int] = [:]
    public var examples: [String: (line: Int, value: String)] = [:]
    public init() {}

    mutating func record(column: String, line: Int, value: String) {
        counts[column, default: 0] += 1
        if examples[column] == nil { examples[column] = (line, value) }
    }

    mutating func merge(_ other: EncodingIssues) {
        for (k, v) in other.counts { counts[k, default: 0] += v }
        for (k, v) in other.examples where examples[k] == nil { examples[k] = v }
    }

    /// One line per column: "file:line: column 'X': 3 values that could not be read (first
    /// 'abc') treated as missing".
    public func messages(file: String) -> [String] {
        counts.sorted { $0.key < $1.key }.map { name, n in
            let (line, value) = examples[name] ?? (0, "")
            return "\(file):\(line): column '\(name)': \(n) value\(n == 1 ? "" : "s") that could not be read (first '\(value)') treated as missing"
        }
    }
}
