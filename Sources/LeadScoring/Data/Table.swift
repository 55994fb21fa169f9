/// A CSV file held in memory column by column, typed as read (`Column`: numbers as
/// `Double`s, other text as dictionary codes), each cell's text still at hand as
/// `columns[c][r]`. Training needs every row; scoring streams with `CSVReader` instead.
public struct Table: Sendable {
    /// The file the table was read from (used in error messages).
    public var source: String
    public var header: [String]
    /// `columns[c][r]` is the text of row `r` in column `c`.
    public var columns: [Column]
    /// The physical line each row starts on, for error messages.
    public var lines: [Int]
    /// SHA-256 of the file, when read with `hashing`.
    public var sha256: String?
    /// The file's field delimiter (a `;` makes a decimal comma the likelier reading of `1,234`).
    public var delimiter: UInt8 = UInt8(ascii: ",")

    public var rowCount: Int { lines.count }

    public init(source: String, header: [String], columns: [Column], lines: [Int]) {
        precondition(columns.count == header.count)
        self.source = source
        self.header = header
        self.columns = columns
        self.lines = lines
    }

    /// A table of the given texts (`columns[c][r]`), stored as reading a file would store them.
    public init(source: String, header: [String], columns: [[String]], lines: [Int]) {
        self.init(source: source, header: header, columns: columns.map { Column(texts: $0) }, lines: lines)
    }

    /// Reads a whole CSV file, on both cores when it is large (`TableReader`). `progress` is
    /// called as rows are read.
    public static func read(path: String, delimiter: UInt8? = nil, hashing: Bool = false,
                            progress: ((Int) -> Void)? = nil) throws -> Table {
        try TableReader.read(path: path, delimiter: delimiter, hashing: hashing, progress: progress)
    }

    /// Reads every record of `reader` (then closes it), on one thread.
    public static func read(_ reader: CSVReader, progress: ((Int) -> Void)? = nil) throws -> Table {
        defer { reader.close() }
        let builders = reader.header.map { _ in ColumnBuilder() }
        var lines: [Int] = []
        try TableReader.readRecords(reader, into: builders, lines: &lines, progress: progress)
        var table = Table(source: reader.path, header: reader.header, columns: builders.map { $0.column() }, lines: lines)
        table.sha256 = reader.sha256()
        table.delimiter = reader.delimiter
        return table
    }

    /// Index of a column by exact name, else by case-insensitive name.
    public func index(of name: String) -> Int? {
        if let i = header.firstIndex(of: name) { return i }
        let lower = name.lowercased()
        return header.firstIndex { $0.lowercased() == lower }
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Table {
        var table = Table(source: source, header: header, columns: columns.map { $0.subset(indices) },
                          lines: indices.map { lines[$0] })
        table.delimiter = delimiter
        return table
    }

    /// A column-not-found error that suggests the closest names.
    public func unknownColumn(_ name: String, role: String) -> UsageError {
        UsageError("\(source): no \(role) column named '\(name)'" + suggestionText(for: name, among: header))
    }
}

/// "; did you mean 'a', 'b'?" with the names closest to `name` by edit distance.
func suggestionText(for name: String, among names: [String]) -> String {
    let lower = name.lowercased()
    let ranked = names.filter { !$0.isEmpty }
        .map { ($0, editDistance(lower, $0.lowercased())) }
        .sorted { $0.1 < $1.1 }
    let close = ranked.prefix(3).filter { $0.1 <= max(3, lower.count / 2) }.map { "'\($0.0)'" }
    return close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
