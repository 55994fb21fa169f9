#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reads a whole CSV file into typed columns (`Column`).
///
/// The records are parsed by `BulkCSVParser` straight from the file's bytes into the columns'
/// builders (no string, no record copy per row), with the same rules as `CSVReader` (which
/// streams records for scoring and reads in-memory text; `ColumnTests` holds the two to the
/// same result). A large file is read on two threads: the data rows are cut in two at a line
/// end with an even number of quotes before it, and each half is parsed into its own builders,
/// which are then joined. The cut is checked: the first thread parses on until its next record
/// starts at or past the cut, and the second half's result is used only if its first record
/// starts exactly there (a cut inside a quoted field, or after an unmatched quote, costs time,
/// never rows). A file's SHA-256, when asked for, is computed by a third task meanwhile.
enum TableReader {
    /// Files from this size are read by two threads.
    static let parallelBytes = 4 << 20

    static func read(path: String, delimiter: UInt8?, hashing: Bool, progress: ((Int) -> Void)?,
                     parallelFrom: Int = parallelBytes) throws -> Table {
        var status = stat()
        guard stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG else {
            // A pipe or a device: the streaming reader, on one thread.
            return try Table.read(CSVReader(path: path, delimiter: delimiter, hashing: hashing), progress: progress)
        }
        let size = Int(status.st_size)
        let headerReader = try CSVReader(path: path, delimiter: delimiter)
        defer { headerReader.close() }
        let header = headerReader.header
        let format = BulkCSVParser.Format(delimiter: headerReader.delimiter, width: header.count, allowShort: header.last == "")
        guard let dataStart = headerReader.nextRecordOffset() else {
            var table = Table(source: path, header: header, columns: header.map { _ in Column(texts: []) }, lines: [])
            table.delimiter = format.delimiter
            table.sha256 = hashing ? try SHA256.hexDigest(ofFile: path) : nil
            return table
        }
        let firstLine = headerReader.currentLine
        // Read by two threads, the second finds the cut (a pass over the first half's quotes)
        // while the first starts parsing; the first waits for it only if it gets to the middle
        // before it is known.
        let parallel = size >= parallelFrom
        // The second thread's share is a little smaller: it first scans the first half's
        // quotes (a tenth of its share of the parsing, measured).
        let cut = PendingCut(middle: dataStart + Int(Double(size - dataStart) * 0.47))

        final class Part: @unchecked Sendable {
            var builders: [ColumnBuilder] = []
            var lines: [Int] = []
            var error: Error?
            var result = BulkCSVParser.Result()
            var hash: String?
        }
        let parts = (0..<3).map { _ in Part() }
        for p in parts.prefix(2) { p.builders = (0..<header.count).map { _ in ColumnBuilder() } }
        // Columns sized from the file. Read by two threads, each number column gets one
        // region: the first part fills it from the start, the second from its share on, and
        // the join moves the second part's numbers down after the first's (pages are touched
        // once, no copy into a new block); a part that outgrows its window moves to memory of
        // its own, and the join then appends as it would anyway. Regions no column took
        // over are released once the columns are made.
        var regions: [UnsafeMutablePointer<Double>?] = Array(repeating: nil, count: header.count)
        var adopted = [Bool](repeating: false, count: header.count)
        var window = (first: 0, total: 0)
        defer { for (k, region) in regions.enumerated() where !adopted[k] { region?.deallocate() } }
        if let rows = try estimatedRows(path: path, from: dataStart, size: size, width: header.count) {
            if parallel {
                let share = Double(size - cut.middle) / Double(size - dataStart)
                let second = Int(Double(rows) * share * 1.1) + 1024
                window = (Int(Double(rows) * (1 - share) * 1.1) + 1024, 0)
                window.total = window.first + second
                parts[0].lines.reserveCapacity(rows)
                parts[1].lines.reserveCapacity(second)
                for k in 0..<header.count {
                    let region = UnsafeMutablePointer<Double>.allocate(capacity: window.total)
                    regions[k] = region
                    parts[0].builders[k].window(region, capacity: window.first, rows: rows)
                    parts[1].builders[k].window(region + window.first, capacity: second, rows: second)
                }
            } else {
                parts[0].lines.reserveCapacity(rows)
                for builder in parts[0].builders { builder.reserve(rows: rows) }
            }
        }
        let tasks = (parallel ? 2 : 1) + (hashing ? 1 : 0)
        parallelThreads(parts: tasks) { t in
            let task = !parallel && t == 1 ? 2 : t
            let part = parts[task]
            do {
                switch task {
                case 0:
                    part.result = try BulkCSVParser.parse(path: path, from: dataStart, line: firstLine, until: nil, pending: parallel ? cut : nil,
                                                          format: format, into: part.builders, lines: &part.lines)
                case 1:
                    var found: Int?
                    defer { cut.publish(found) }
                    found = try cutPoint(path: path, from: dataStart, middle: cut.middle, size: size)
                    if let found {
                        cut.publish(found)
                        part.result = try BulkCSVParser.parse(path: path, from: found, line: 0, until: nil, format: format,
                                                              into: part.builders, lines: &part.lines)
                    }
                default:
                    part.hash = try SHA256.hexDigest(ofFile: path)
                }
            } catch {
                part.error = error
            }
        }
        let (a, b) = (parts[0], parts[1])
        if let error = a.error { throw error }
        if let error = parts[2].error { throw error }
        if let stop = a.result.stop {
            if b.error == nil && b.result.firstRecord == stop {
                let base = a.result.line - b.result.firstLine
                a.lines.reserveCapacity(a.lines.count + b.lines.count)
                for l in b.lines { a.lines.append(l + base) }
                adopted.withUnsafeMutableBufferPointer { adopted in
                    let took = UncheckedSendable(adopted.baseAddress!), regions = regions, window = window
                    parallelThreads(parts: 2) { t in
                        for k in stride(from: t, to: header.count, by: 2) {
                            took.value[k] = a.builders[k].absorb(b.builders[k], region: regions[k], capacity: window.total)
                        }
                    }
                }
            } else {
                // The cut was not a record boundary (or the second half has an error, whose
                // line only the first thread can number): the first thread's parse goes on.
                b.builders = []
                b.lines = []
                _ = try BulkCSVParser.parse(path: path, from: stop, line: a.result.line, until: nil, format: format,
                                            into: a.builders, lines: &a.lines)
            }
        }
        b.builders = []
        b.lines = []
        progress?(a.lines.count)
        // Finishing a column copies its cells into arrays: the columns are split between two threads.
        var columns = [Column?](repeating: nil, count: header.count)
        columns.withUnsafeMutableBufferPointer { out in
            let finished = UncheckedSendable(out.baseAddress!), builders = a.builders
            let parts = parallel ? 2 : 1
            parallelThreads(parts: parts) { t in
                for k in stride(from: t, to: header.count, by: parts) { finished.value[k] = builders[k].column() }
            }
        }
        var table = Table(source: path, header: header, columns: columns.map { $0! }, lines: a.lines)
        table.sha256 = parts[2].hash
        table.delimiter = format.delimiter
        return table
    }

    /// Data rows expected in the file, a little over (5%): from the line ends in its first
    /// 256 KiB of rows, and never more than rows of `width` fields can fill the file (each
    /// needs a separator or line end per field), so a file that starts with blank lines does
    /// not reserve memory for more rows than it can hold. nil for a file too small to be worth
    /// it (under 1 MiB) or without a line end there.
    static func estimatedRows(path: String, from start: Int, size: Int, width: Int) throws -> Int? {
        guard size - start >= 1 << 20 else { return nil }
        guard let f = fopen(path, "rb") else { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { fclose(f) }
        let sample = 256 << 10
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: sample)
        defer { buffer.deallocate() }
        guard fseeko(f, off_t(start), SEEK_SET) == 0 else { return nil }
        let n = fread(buffer, 1, sample, f)
        var lines = 0
        for i in 0..<n where buffer[i] == 0x0A { lines += 1 }
        guard lines > 0 else { return nil }
        let estimate = Int(Double(size - start) / Double(n) * Double(lines) * 1.05) + 1024
        return min(estimate, (size - start) / max(1, width) + 1024)
    }

    /// The cut between the two threads' parts, published by the second while the first parses.
    final class PendingCut: @unchecked Sendable {
        /// Where the cut is looked for, about the middle of the data rows: it is at or after it.
        let middle: Int
        private let condition = NSCondition()
        private var known = false
        private var cut: Int?

        init(middle: Int) { self.middle = middle }

        /// Publishes the cut (nil: none, the first thread reads everything); a second call
        /// changes nothing.
        func publish(_ cut: Int?) {
            condition.lock()
            if !known { known = true; self.cut = cut; condition.broadcast() }
            condition.unlock()
        }

        /// Whether the cut is known, and it, once the first thread's bytes reach `offset`:
        /// from the middle on it waits for it (records that start before the middle are
        /// before any cut).
        func limit(reaching offset: Int) -> (known: Bool, cut: Int?) {
            condition.lock()
            defer { condition.unlock() }
            while !known && offset >= middle { condition.wait() }
            return (known, cut)
        }
    }

    /// A line end near the middle of the data rows with an even number of quotes before it
    /// (so, in a well-formed file, outside quoted fields): the offset just after it. nil when
    /// none is found (one line, or a file of carriage-return line ends).
    static func cutPoint(path: String, from start: Int, middle: Int, size: Int) throws -> Int? {
        guard let f = fopen(path, "rb") else { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { fclose(f) }
        let chunk = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var quotes = 0
        var offset = start
        guard fseeko(f, off_t(start), SEEK_SET) == 0 else { return nil }
        // Quotes before the middle.
        while offset < middle {
            let n = fread(buffer, 1, min(chunk, middle - offset), f)
            if n == 0 { return nil }
            var p = UnsafeRawPointer(buffer)
            let end = p + n
            while let q = memchr(p, 0x22, end - p) { quotes += 1; p = UnsafeRawPointer(q) + 1 }
            offset += n
        }
        // The first line end after the middle with an even count of quotes before it.
        while true {
            let n = fread(buffer, 1, chunk, f)
            if n == 0 { return nil }
            for i in 0..<n {
                let c = buffer[i]
                if c == 0x22 { quotes += 1 }
                else if c == 0x0A && quotes % 2 == 0 { return offset + i + 1 < size ? offset + i + 1 : nil }
            }
            offset += n
        }
    }

    /// Parses `reader`'s records into `builders` (one per column) and their lines into
    /// `lines` (the in-memory and streaming path: `Table.read(_: CSVReader)`).
    static func readRecords(_ reader: CSVReader, into builders: [ColumnBuilder], lines: inout [Int],
                            progress: ((Int) -> Void)?) throws {
        var record = RawRecord()
        let width = builders.count
        while try reader.next(into: &record) {
            record.bytes.withUnsafeBufferPointer { bytes in
                record.ends.withUnsafeBufferPointer { ends in
                    var lo = 0
                    for k in 0..<width {
                        let hi = ends[k]
                        builders[k].append(bytes.baseAddress.map { $0 + lo }, hi - lo)
                        lo = hi
                    }
                }
            }
            lines.append(record.line)
            if let progress, lines.count % 100_000 == 0 { progress(lines.count) }
        }
    }
}

/// The table reader's parser: RFC 4180 records from a file's bytes, read in 4 MiB blocks,
/// each field handed to its column's builder as a pointer and a length (quoted fields
/// unescaped into a scratch block first). The rules are `CSVReader`'s: quoted fields may hold
/// the delimiter, doubled quotes and line breaks; text after a closing quote and quotes inside
/// an unquoted field are kept as they are; CRLF, LF and CR end lines; blank lines are skipped;
/// a row whose field count differs from the header's is an error naming its line, except one
/// field short when the header ends with an empty name.
struct BulkCSVParser {
    struct Format {
        var delimiter: UInt8
        var width: Int
        var allowShort: Bool
    }

    struct Result {
        /// Where the parse stopped: the offset of the first record at or past `until`; nil at
        /// the end of the file.
        var stop: Int?
        /// The line there (of `stop`, or after the last record).
        var line = 0
        /// The offset and line of the first record parsed.
        var firstRecord: Int?
        var firstLine = 0
    }

    static let blockSize = 4 << 20

    /// Parses the records of `path` from byte `start` (a record boundary), numbering lines
    /// from `line`, up to the first record that starts at or past `until` (nil: to the end).
    /// With `pending`, the limit is the cut it publishes (asked after each refill).
    static func parse(path: String, from start: Int, line startLine: Int, until limit: Int?, pending: TableReader.PendingCut? = nil,
                      format: Format, into builders: [ColumnBuilder], lines: inout [Int]) throws -> Result {
        var limit = limit, pending = pending
        guard let f = fopen(path, "rb") else { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { fclose(f) }
        guard fseeko(f, off_t(start), SEEK_SET) == 0 else { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let width = format.width, delimiter = format.delimiter
        let states = UnsafeMutablePointer<UnsafeMutablePointer<ColumnBuilder.State>>.allocate(capacity: max(1, width))
        defer { states.deallocate() }
        for k in 0..<width { states[k] = builders[k].state }
        // Bytes that end an unquoted field.
        let stops = UnsafeMutablePointer<Bool>.allocate(capacity: 256)
        defer { stops.deallocate() }
        stops.initialize(repeating: false, count: 256)
        stops[Int(delimiter)] = true; stops[0x0A] = true; stops[0x0D] = true
        // The cells of the last `rows` records, held column by column (slot k × blockRows + row)
        // and handed to the builders a column at a time: each column's arrays then grow in
        // runs, instead of every cell of a row landing in a different one. A cell is its
        // start and length, and its number when the scan read it as a canonical one (NaN
        // otherwise) with its shape. The block is handed over when full and before the
        // bytes it points into move (a refill), which is also when quoted fields' scratch
        // copies are reused.
        let blockRows = max(16, min(256, 8192 / max(1, width)))
        let slots = width * blockRows
        let cellStart = UnsafeMutablePointer<UnsafePointer<UInt8>?>.allocate(capacity: slots)
        let cellLength = UnsafeMutablePointer<Int32>.allocate(capacity: slots)
        let cellNumber = UnsafeMutablePointer<Double>.allocate(capacity: slots)
        let cellShape = UnsafeMutablePointer<UInt8>.allocate(capacity: slots)
        defer { cellStart.deallocate(); cellLength.deallocate(); cellNumber.deallocate(); cellShape.deallocate() }
        var rows = 0, used = 0
        let powers = UnsafeMutablePointer<Double>.allocate(capacity: 23)
        defer { powers.deallocate() }
        for k in 0...22 { powers[k] = Column.powersOfTen[k] }
        // Numbers are read during the scan unless the delimiter could be part of one.
        let scansNumbers = delimiter &- 0x30 >= 10 && delimiter != 0x2E && delimiter != 0x2D

        var capacity = blockSize
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        var scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate(); scratch.deallocate() }
        var have = 0, position = 0, base = start
        var atEOF = false
        var line = startLine
        var skipLF = false
        var result = Result()

        /// Hands the block's records to the builders.
        func flush() {
            for k in 0..<width {
                let at = k * blockRows
                states[k].pointee.append(numbers: cellNumber + at, shapes: cellShape + at, starts: cellStart + at, lengths: cellLength + at, rows: rows)
            }
            rows = 0
            used = 0
        }

        /// Keeps the bytes from `position` on, moved to the front, and reads more after them
        /// (a record longer than the block doubles it).
        func refill() throws {
            flush()
            if position > 0 {
                memmove(buffer, buffer + position, have - position)
                base += position; have -= position; position = 0
            }
            if have == capacity {
                capacity *= 2
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                bigger.update(from: buffer, count: have)
                buffer.deallocate(); buffer = bigger
                scratch.deallocate(); scratch = .allocate(capacity: capacity)
            }
            let n = fread(buffer + have, 1, capacity - have, f)
            if n == 0 {
                if ferror(f) != 0 { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
                atEOF = true
            }
            have += n
            if let cut = pending?.limit(reaching: base + have), cut.known { limit = cut.cut; pending = nil }
        }

        recordLoop: while true {
            // Line ends and blank lines before the record.
            while true {
                if position == have {
                    if atEOF { flush(); break recordLoop }
                    try refill()
                    continue
                }
                let b = buffer[position]
                if skipLF { skipLF = false; if b == 0x0A { position += 1; continue } }
                if b == 0x0A { position += 1; line += 1; continue }
                if b == 0x0D { position += 1; line += 1; skipLF = true; continue }
                break
            }
            let recordOffset = base + position
            if let limit, recordOffset >= limit { flush(); result.stop = recordOffset; break }
            if result.firstRecord == nil { result.firstRecord = recordOffset; result.firstLine = line }

            // One record: fields until a line end or the end of the file. `incomplete`: the
            // block ends inside it (refill and parse it again).
            var i = position, fields = 0, newlines = 0
            var incomplete = false
            let p = UnsafePointer(buffer), n = have
            fieldLoop: while true {
                var start: UnsafePointer<UInt8>, length: Int
                var number = Double.nan, shape = 0
                if i < n && p[i] == 0x22 {
                    let from = used
                    var j = i + 1
                    while true {
                        guard let q = memchr(p + j, 0x22, n - j) else {
                            if atEOF { throw DataError.unterminatedQuote(SourceLocation(file: path, line: line)) }
                            incomplete = true; break fieldLoop
                        }
                        let qi = UnsafePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - p
                        for k in j..<qi { let c = p[k]; if c == 0x0A { newlines += 1 }; scratch[used] = c; used += 1 }
                        if qi + 1 == n && !atEOF { incomplete = true; break fieldLoop }
                        if qi + 1 < n && p[qi + 1] == 0x22 { scratch[used] = 0x22; used += 1; j = qi + 2; continue }
                        j = qi + 1
                        break
                    }
                    // Text after the closing quote is kept as it is.
                    var r = j
                    while r < n && !stops[Int(p[r])] { scratch[used] = p[r]; used += 1; r += 1 }
                    if r == n && !atEOF { incomplete = true; break }
                    start = UnsafePointer(scratch + from); length = used - from
                    i = r
                } else {
                    // A canonical number (`Column.canonicalNumber`) is read while its field is
                    // scanned; anything else is scanned on to its end as text.
                    var r = i
                    let negative = scansNumbers && r < n && p[r] == 0x2D
                    if negative { r += 1 }
                    var mantissa: UInt64 = 0, significant = 0, decimals = 0, integerDigits = 0
                    var canonical = false
                    if scansNumbers, r < n, case let first = p[r] &- 0x30, first < 10 {
                        if first == 0 {
                            r += 1
                            canonical = !(r < n && p[r] &- 0x30 < 10)
                        } else {
                            let from = r
                            while r < n, case let d = p[r] &- 0x30, d < 10 { mantissa = mantissa &* 10 &+ UInt64(d); r += 1 }
                            integerDigits = r - from; significant = integerDigits
                            canonical = true
                        }
                        if canonical && r < n && p[r] == 0x2E {
                            r += 1
                            let from = r
                            while r < n, case let d = p[r] &- 0x30, d < 10 {
                                mantissa = mantissa &* 10 &+ UInt64(d)
                                if mantissa != 0 { significant += 1 }
                                r += 1
                            }
                            decimals = r - from
                            canonical = decimals > 0 && p[r - 1] != 0x30
                        }
                    }
                    if r < n && !stops[Int(p[r])] {
                        canonical = false
                        while r < n && !stops[Int(p[r])] { r += 1 }
                    }
                    if r == n && !atEOF { incomplete = true; break }
                    if canonical && significant <= 15 && decimals <= 22 && !(mantissa == 0 && negative) {
                        let m = Double(Int64(bitPattern: mantissa))  // below 10^15 here: a signed conversion is one instruction
                        let v = decimals == 0 ? m : m / powers[decimals]
                        number = negative ? -v : v
                        shape = NumberShape(negative: negative, decimals: decimals, integerDigits: integerDigits).index
                    }
                    start = p + i; length = r - i
                    i = r
                }
                if fields < width {
                    let slot = fields * blockRows + rows
                    cellStart[slot] = start; cellLength[slot] = Int32(truncatingIfNeeded: length)
                    cellNumber[slot] = number; cellShape[slot] = UInt8(truncatingIfNeeded: shape)
                }
                fields += 1
                if i < n && p[i] == delimiter {
                    i += 1
                    if i == n && !atEOF { incomplete = true; break }
                    continue
                }
                break
            }
            if incomplete { try refill(); continue }
            if fields != width {
                if fields == width - 1 && format.allowShort {
                    let slot = fields * blockRows + rows
                    cellStart[slot] = nil; cellLength[slot] = 0; cellNumber[slot] = .nan
                } else {
                    throw DataError.raggedRow(SourceLocation(file: path, line: line), expected: width, found: fields)
                }
            }
            rows += 1
            lines.append(line)
            line += newlines
            position = i
            if rows == blockRows { flush() }
        }
        result.line = line
        return result
    }
}
