import Foundation

/// Where training or evaluation data comes from and how to read it: the file, its delimiter,
/// the missing-value tokens, schema overrides and dropped columns.
public struct DataSource: Sendable {
    public var path: String
    /// nil: detect from the header line.
    public var delimiter: UInt8?
    public var overrides = SchemaOverrides()
    public var drop: [String] = []
    /// nil: the defaults, or the override file's list.
    public var missingTokens: [String]?

    public init(path: String, delimiter: UInt8? = nil) {
        self.path = path
        self.delimiter = delimiter
    }

    public init(path: String, delimiter: Delimiter?) {
        self.init(path: path, delimiter: delimiter?.byte)
    }

    /// Reads the whole file and infers its schema. `target` is kept out of the features.
    /// With `hashing`, `table.sha256` fingerprints the file (for model metadata) in the same read.
    public func load(target: String? = nil, hashing: Bool = false, progress: ((Int) -> Void)? = nil) throws -> (Table, Schema) {
        let table = try Table.read(path: path, delimiter: delimiter, hashing: hashing, progress: progress)
        if let target, table.index(of: target) == nil { throw table.unknownColumn(target, role: "target") }
        var overrides = self.overrides
        if let missingTokens { overrides.missingTokens = missingTokens }
        let schema = try SchemaInference().infer(table, overrides: overrides, drop: drop, target: target)
        return (table, schema)
    }
}
