import Foundation

/// Labelled leads, ready to train on or to judge a model with: the table, its schema, the target
/// definition resolved against the values, and a label per decided row. The one loader of
/// `train`, `evaluate`, `compare`, `report`, `retrain`, `rules suggest` and `quickstart`.
public struct LabelledData: Sendable {
    public var table: Table
    public var schema: Schema
    /// The target with its positive and negative values filled in.
    public var target: TargetSpec
    public var labels: Labels

    /// Resolves `target` over `table` (the two sides of a yes/no or 0/1 column when not given)
    /// and labels every row.
    public init(table: Table, schema: Schema, target: TargetSpec) throws {
        guard let c = table.index(of: target.column) else { throw table.unknownColumn(target.column, role: "target") }
        self.table = table
        self.schema = schema
        self.target = try target.resolved(column: table.columns[c], missing: schema.missingTokens, file: table.source)
        labels = try Labels(table: table, spec: self.target, missing: schema.missingTokens)
    }

    /// Reads `source` and labels it. With a `model`, the file is read as the model's training
    /// file was (its missing-value tokens), must hold every model input, and `target` defaults
    /// to the model's. `purpose` (e.g. "a comparison") asks for both outcomes to be present.
    public static func load(_ source: DataSource, target: TargetSpec?, model: LeadModel? = nil, purpose: String? = nil,
                            hashing: Bool = false, progress: ((Int) -> Void)? = nil) throws -> LabelledData {
        var source = source
        if let model, source.missingTokens == nil { source.missingTokens = model.schema.missingTokens.tokens }
        guard let spec = target ?? model?.target else { throw UsageError("--target is required") }
        let (table, schema) = try source.load(target: spec.column, hashing: hashing, progress: progress)
        if let model {
            let absent = model.encoder.missingColumns(in: table.header)
            if !absent.isEmpty { throw DataError.missingColumns(SourceLocation(file: source.path), columns: absent) }
        }
        let data = try LabelledData(table: table, schema: schema, target: spec)
        if let purpose, !(data.labels.y.contains(1) && data.labels.y.contains(0)) {
            throw DataError.target(SourceLocation(file: source.path, field: spec.column), reason: "\(purpose) needs both converted and unconverted leads")
        }
        return data
    }

    /// The labelled rows' values of one column.
    public func values(of column: Int) -> [String] { labels.rows.map { table.columns[column][$0] } }
}

extension TargetSpec {
    /// This definition with what the user gave instead: another column, and/or other values
    /// meaning converted (and not converted).
    public func overriding(column: String?, positive: [String], negative: [String]) -> TargetSpec {
        var spec = self
        if let column { spec.column = column }
        if !positive.isEmpty { spec.positive = positive; spec.negative = negative }
        return spec
    }
}
