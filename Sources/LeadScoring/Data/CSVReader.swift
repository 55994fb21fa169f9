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

/// A streaming RFC 4180 reader over bytes.
///
/// - Quoted fields may contain the delimiter, doubled quotes and newlines.
/// - CRLF and LF line ends; a UTF-8 byte-order mark is skipped.
/// - The delimiter is `,`, `;` or tab: given, or detected from the header line.
/// - A row whose field count differs from the header's is an error naming its line; entirely
///   blank lines are skipped. When the header ends with an empty name (a trailing comma, as
///   some CRMs export) a row one field short is accepted.
///
/// Memory is bounded by the read buffer (1 MiB) and the longest record, so files larger than
/// memory can be streamed.
public final class CSVReader {
    public let path: String
    public private(set) var delimiter: UInt8 = UInt8(ascii: ",")
    public private(set) var header: [String] = []

    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8]
    private var bufferCount = 0
    private var position = 0
    private var atEOF = false
    private var line = 1
    private var fieldBytes: [UInt8] = []
    private var closed = false
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
            throw DataError.cannotOpen(file: path, reason: "it is a directory")
        }
        guard let f = fopen(path, "rb") else {
            throw DataError.cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        file = f
        buffer = [UInt8](repeating: 0, count: CSVReader.bufferSize)
        fill()
        // UTF-8 byte-order mark.
        if bufferCount >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
        self.delimiter = delimiter ?? CSVReader.detectDelimiter(buffer, from: position, count: bufferCount)
        guard let first = try readRawRecord() else {
            fclose(file); closed = true
            throw DataError.emptyFile(file: path)
        }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    deinit { if !closed { fclose(file) } }

    /// Counts `,` `;` and tab outside quotes on the first line and picks the most frequent
    /// (a comma when none occurs).
    static func detectDelimiter(_ bytes: [UInt8], from start: Int, count: Int) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var inQuotes = false
        var i = start
        while i < count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { inQuotes.toggle() }
            else if !inQuotes && (b == 0x0A || b == 0x0D) { break }
            else if !inQuotes, counts[b] != nil { counts[b]! += 1 }
            i += 1
        }
        let comma = UInt8(ascii: ",")
        let best = counts.max { a, b in a.value == b.value ? a.key != comma && b.key == comma : a.value < b.value }!
        return best.value > 0 ? best.key : comma
    }

    private func fill() {
        if atEOF { bufferCount = 0; position = 0; return }
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, CSVReader.bufferSize, file) }
        bufferCount = n
        position = 0
        if n < CSVReader.bufferSize { atEOF = true }
        if hasher != nil, n > 0 { buffer.withUnsafeBytes { hasher!.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
    }

    /// Hex SHA-256 of the whole file: nil unless opened with `hashing` and read to the end.
    public func sha256() -> String? {
        guard var h = hasher, atEOF, position >= bufferCount else { return nil }
        return h.finalize()
    }

    @inline(__always)
    private func nextByte() -> UInt8? {
        if position >= bufferCount {
            if atEOF { return nil }
            fill()
            if bufferCount == 0 { return nil }
        }
        let b = buffer[position]
        position += 1
        return b
    }

    @inline(__always)
    private func peekByte() -> UInt8? {
        if position >= bufferCount {
            if atEOF { return nil }
            fill()
            if bufferCount == 0 { return nil }
        }
        return buffer[position]
    }

    private func takeField() -> String {
        let s = String(decoding: fieldBytes, as: UTF8.self)
        fieldBytes.removeAll(keepingCapacity: true)
        return s
    }

    /// Reads one record without checking its width. Returns nil at end of file.
    private func readRawRecord() throws -> CSVRecord? {
        let quote = UInt8(ascii: "\""), cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        var fields: [String] = []
        fields.reserveCapacity(header.count)
        while true {
            // Skip entirely blank lines between records.
            guard let first = peekByte() else { return nil }
            if first == lf { _ = nextByte(); line += 1; continue }
            if first == cr { _ = nextByte(); if peekByte() == lf { _ = nextByte() }; line += 1; continue }
            break
        }
        let startLine = line
        var inQuotes = false
        var fieldWasQuoted = false
        while true {
            guard let b = nextByte() else {
                if inQuotes { throw DataError.unterminatedQuote(file: path, line: startLine) }
                fields.append(takeField())
                return CSVRecord(fields: fields, line: startLine)
            }
            if inQuotes {
                if b == quote {
                    if peekByte() == quote { _ = nextByte(); fieldBytes.append(quote) }
                    else { inQuotes = false }
                } else {
                    if b == lf { line += 1 }
                    fieldBytes.append(b)
                }
                continue
            }
            switch b {
            case delimiter:
                fields.append(takeField()); fieldWasQuoted = false
            case quote where fieldBytes.isEmpty && !fieldWasQuoted:
                inQuotes = true; fieldWasQuoted = true
            case lf:
                fields.append(takeField())
                line += 1
                return CSVRecord(fields: fields, line: startLine)
            case cr:
                if peekByte() == lf { _ = nextByte() }
                fields.append(takeField())
                line += 1
                return CSVRecord(fields: fields, line: startLine)
            default:
                // A stray quote inside an unquoted field is kept as a literal character.
                fieldBytes.append(b)
            }
        }
    }

    /// The next data record, checked against the header's width.
    public func next() throws -> CSVRecord? {
        guard var record = try readRawRecord() else { return nil }
        if record.fields.count != header.count {
            if record.fields.count == header.count - 1, header.last == "" {
                record.fields.append("")
            } else {
                throw DataError.raggedRow(file: path, line: record.line, expected: header.count, found: record.fields.count)
            }
        }
        return record
    }

    public func close() {
        if !closed { fclose(file); closed = true }
    }
}
