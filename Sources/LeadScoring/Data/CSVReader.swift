#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One parsed CSV record and the physical line it starts on (1-based; the header is line 1).
public struct CSVRecord: Sendable {
    public var fields: [String]
    public var line: Int
}

/// One record as bytes: the unescaped fields back to back in `bytes`, field k ending at
/// `ends[k]`. Reused from record to record, so reading allocates nothing per row; hot paths
/// parse numbers straight from the bytes and make strings only where they need them.
public struct RawRecord {
    public var bytes: [UInt8] = []
    public var ends: [Int] = []
    public var line = 0

    public init() {}

    public var count: Int { ends.count }

    @inline(__always)
    public func range(_ k: Int) -> Range<Int> { (k == 0 ? 0 : ends[k - 1])..<ends[k] }

    @inline(__always)
    public func withField<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let r = range(k)
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    public func string(_ k: Int) -> String { withField(k) { String(decoding: $0, as: UTF8.self) } }

    public var strings: [String] { (0..<count).map(string) }
}

/// A streaming RFC 4180 reader over bytes.
///
/// - Quoted fields may contain the delimiter, doubled quotes and newlines.
/// - CRLF, LF and CR line ends; a UTF-8 byte-order mark is skipped.
/// - The delimiter is `,`, `;` or tab: given, or detected from the header line.
/// - A row whose field count differs from the header's is an error naming its line; entirely
///   blank lines are skipped. When the header ends with an empty name (a trailing comma, as
///   some CRMs export) a row one field short is accepted.
///
/// Memory is bounded by the read buffer (1 MiB) and the longest record, so files larger than
/// memory can be streamed. Unquoted fields (nearly all of a CRM export) are found by a scan
/// and copied in one piece; only quoted fields go byte by byte.
public final class CSVReader {
    public let path: String
    public private(set) var delimiter: UInt8 = UInt8(ascii: ",")
    public private(set) var header: [String] = []

    private let file: UnsafeMutablePointer<FILE>
    private let buffer: UnsafeMutablePointer<UInt8>
    /// The bytes of an in-memory source (`init(bytes:name:)`), kept alive while `file` reads them.
    private var memory: UnsafeMutableRawPointer?
    private var bufferCount = 0
    private var position = 0
    /// File bytes before the buffer's first byte.
    private var consumedBeforeBuffer = 0
    private var atEOF = false
    private var line = 1
    /// The previous record ended with CR: a LF right after it belongs to that line end.
    private var skipLF = false
    private var closed = false
    private var scratch = RawRecord()
    /// SHA-256 of the raw bytes, fed as they are read (so fingerprinting costs no second read).
    private var hasher: SHA256?

    public static let bufferSize = 1 << 20

    /// Opens `path` and reads its header. `delimiter` nil means detect. With `hashing`, the
    /// file's SHA-256 is available from `sha256()` once every record has been read.
    public init(path: String, delimiter: UInt8? = nil, hashing: Bool = false) throws {
        self.path = path
        if hashing { hasher = SHA256() }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw FileError.unreadable(path: path, reason: "it is a directory")
        }
        guard let f = fopen(path, "rb") else {
            throw FileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        file = f
        buffer = .allocate(capacity: CSVReader.bufferSize)
        try start(delimiter: delimiter)
    }

    /// Reads CSV text held in memory (a request body, a fuzzer's input); `name` stands for the
    /// file in messages.
    public init(bytes: [UInt8], name: String, delimiter: UInt8? = nil) throws {
        self.path = name
        guard !bytes.isEmpty else { throw DataError.emptyFile(SourceLocation(file: name)) }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        guard let f = fmemopen(memory, bytes.count, "rb") else {
            memory.deallocate()
            throw FileError.unreadable(path: name, reason: String(cString: strerror(errno)))
        }
        self.memory = memory
        file = f
        buffer = .allocate(capacity: CSVReader.bufferSize)
        try start(delimiter: delimiter)
    }

    /// Skips the line ends (and blank lines) before the next record; returns the file offset
    /// where that record starts, or nil at the end of the file.
    func nextRecordOffset() -> Int? {
        while true {
            if position >= bufferCount && !fill() { return nil }
            let b = buffer[position]
            if skipLF { skipLF = false; if b == 0x0A { position += 1; continue } }
            if b == 0x0A { position += 1; line += 1; continue }
            if b == 0x0D { position += 1; line += 1; skipLF = true; continue }
            return consumedBeforeBuffer + position
        }
    }

    /// The line the next record starts on (after `nextRecordOffset`).
    var currentLine: Int { line }

    /// Skips a byte-order mark, settles the delimiter and reads the header.
    private func start(delimiter: UInt8?) throws {
        _ = fill()
        // UTF-8 byte-order mark.
        if bufferCount >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
        self.delimiter = delimiter ?? CSVReader.detectDelimiter(UnsafeBufferPointer(start: buffer, count: bufferCount), from: position)
        var first = RawRecord()
        guard try readRecord(into: &first) else {
            fclose(file); closed = true
            throw DataError.emptyFile(SourceLocation(file: path))
        }
        header = first.strings.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    deinit {
        if !closed { fclose(file) }
        buffer.deallocate()
        memory?.deallocate()
    }

    /// Counts `,` `;` and tab outside quotes on the first line and picks the most frequent, a
    /// tie going to the earlier of comma, semicolon, tab (a comma when none occurs).
    static func detectDelimiter(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt8 {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
        var counts = [0, 0, 0]
        var inQuotes = false
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { inQuotes.toggle() }
            else if !inQuotes && (b == 0x0A || b == 0x0D) { break }
            else if !inQuotes, let k = candidates.firstIndex(of: b) { counts[k] += 1 }
            i += 1
        }
        // The first of the most frequent (a dictionary's order, used before, was a different
        // one in each run: the fuzzer found a header with one semicolon and one tab).
        var best = 0
        for k in 1..<candidates.count where counts[k] > counts[best] { best = k }
        return candidates[best]
    }

    /// Refills the buffer; false at the end of the file.
    private func fill() -> Bool {
        consumedBeforeBuffer += bufferCount
        position = 0
        bufferCount = 0
        if atEOF { return false }
        let n = fread(buffer, 1, CSVReader.bufferSize, file)
        bufferCount = n
        if n < CSVReader.bufferSize { atEOF = true }
        if hasher != nil, n > 0 { hasher!.update(UnsafeRawBufferPointer(start: buffer, count: n)) }
        return n > 0
    }

    /// Hex SHA-256 of the whole file: nil unless opened with `hashing` and read to the end.
    public func sha256() -> String? {
        guard var h = hasher, atEOF, position >= bufferCount else { return nil }
        return h.finalize()
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Reads one record without checking its width; false at end of file.
    /// With `appending`, the record's fields are added after those already in `record` (a
    /// batch of records in one buffer) instead of replacing them.
    fileprivate func readRecord(into record: inout RawRecord, appending: Bool = false) throws -> Bool {
        let quote = UInt8(ascii: "\""), cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        let delimiter = self.delimiter
        if !appending {
            record.bytes.removeAll(keepingCapacity: true)
            record.ends.removeAll(keepingCapacity: true)
        }
        // Line ends left over from the previous record, and blank lines between records.
        while true {
            if position >= bufferCount && !fill() { return false }
            let b = buffer[position]
            if skipLF { skipLF = false; if b == lf { position += 1; continue } }
            if b == lf { position += 1; line += 1; continue }
            if b == cr { position += 1; line += 1; skipLF = true; continue }
            break
        }
        record.line = line
        var state = State.fieldStart
        var fieldWasQuoted = false
        var fieldStart = record.bytes.count  // offset of the current field in record.bytes
        while true {
            if position >= bufferCount && !fill() {
                // End of file ends the record.
                if state == .quoted { throw DataError.unterminatedQuote(SourceLocation(file: path, line: record.line)) }
                record.ends.append(record.bytes.count)
                return true
            }
            var i = position
            let n = bufferCount
            let p = buffer
            while i < n {
                let b = p[i]
                switch state {
                case .fieldStart, .unquoted:
                    if b == quote && state == .fieldStart && !fieldWasQuoted {
                        state = .quoted; fieldWasQuoted = true; i += 1; continue
                    }
                    // Scan the unquoted run and copy it in one piece (a stray quote inside an
                    // unquoted field is kept as a literal character).
                    var j = i
                    while j < n {
                        let c = p[j]
                        if c == delimiter || c == lf || c == cr { break }
                        j += 1
                    }
                    if j > i {
                        record.bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: j - i))
                        state = .unquoted
                    }
                    i = j
                    guard i < n else { continue }
                    let c = p[i]
                    i += 1
                    record.ends.append(record.bytes.count)
                    fieldStart = record.bytes.count
                    fieldWasQuoted = false
                    state = .fieldStart
                    if c == delimiter { continue }
                    line += 1
                    if c == cr { skipLF = true }
                    position = i
                    return true
                case .quoted:
                    if b == quote { state = .quoteInQuoted }
                    else {
                        if b == lf { line += 1 }
                        record.bytes.append(b)
                    }
                    i += 1
                case .quoteInQuoted:
                    if b == quote { record.bytes.append(quote); state = .quoted; i += 1 }
                    else {
                        // The closing quote: what follows is read as unquoted text.
                        state = record.bytes.count == fieldStart ? .fieldStart : .unquoted
                    }
                }
            }
            position = i
        }
    }

    /// The next data record as bytes, checked against the header's width; false at the end.
    public func next(into record: inout RawRecord) throws -> Bool {
        guard try readRecord(into: &record) else { return false }
        if record.count != header.count {
            if record.count == header.count - 1, header.last == "" {
                record.ends.append(record.bytes.count)
            } else {
                throw DataError.raggedRow(SourceLocation(file: path, line: record.line), expected: header.count, found: record.count)
            }
        }
        return true
    }

    /// The next data record as strings, checked against the header's width.
    public func next() throws -> CSVRecord? {
        guard try next(into: &scratch) else { return nil }
        return CSVRecord(fields: scratch.strings, line: scratch.line)
    }

    public func close() {
        if !closed { fclose(file); closed = true }
    }
}

/// Many records held as bytes, one after another, for bulk work on several threads: the
/// reader parses straight into it on one thread, then rows are encoded in parallel from the
/// bytes.
public struct RecordBatch {
    /// Every record's fields back to back: field k of row r ends at `fields.ends[r * width + k]`.
    fileprivate(set) var fields = RawRecord()
    public fileprivate(set) var lines: [Int] = []
    public let width: Int

    public init(width: Int) { self.width = width }

    public var count: Int { lines.count }
    public var bytes: [UInt8] { fields.bytes }

    public mutating func removeAll() {
        fields.bytes.removeAll(keepingCapacity: true)
        fields.ends.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    public func range(row r: Int, field k: Int) -> Range<Int> { fields.range(r * width + k) }

    public func string(row r: Int, field k: Int) -> String { fields.string(r * width + k) }

    /// Adds a record given as text, `values.count == width` (records handed over in memory,
    /// scored exactly as those read from a file).
    public mutating func append(_ values: [String], line: Int) {
        precondition(values.count == width, "a record of \(values.count) fields in a batch of width \(width)")
        for v in values {
            fields.bytes.append(contentsOf: v.utf8)
            fields.ends.append(fields.bytes.count)
        }
        lines.append(line)
    }
}

extension CSVReader {
    /// Parses the next data record onto the end of `batch`, checked against the header's
    /// width; false at the end.
    public func next(appendingTo batch: inout RecordBatch) throws -> Bool {
        let before = batch.fields.count
        guard try readRecord(into: &batch.fields, appending: true) else { return false }
        let found = batch.fields.count - before
        if found != header.count {
            if found == header.count - 1, header.last == "" {
                batch.fields.ends.append(batch.fields.bytes.count)
            } else {
                throw DataError.raggedRow(SourceLocation(file: path, line: batch.fields.line), expected: header.count, found: found)
            }
        }
        batch.lines.append(batch.fields.line)
        return true
    }
}
