import Foundation

/// A JSON value, parsed by leadscore's own strict RFC 8259 reader: numbers are read with
/// Swift's correctly rounded `Double(_:)` (a 17-digit number reads back as the same double),
/// nesting is bounded, and there is no throwing per value tried (Foundation's `JSONDecoder`
/// into an enum of cases tries each type in turn; this is several times faster).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public struct SyntaxError: Error, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses a whole document (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            parser.skipSpace()
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.position == buffer.count else { throw parser.fail("unexpected text after the JSON value") }
            return value
        }
    }

    public static func parse(_ text: String) throws -> JSONValue { try parse(Array(text.utf8)) }

    /// The value as JSON text (keys sorted, numbers in their shortest exact form).
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// The value as indented JSON (two spaces a level, keys sorted), for files people read.
    public var prettyText: String {
        var out = ""
        write(to: &out, indent: "")
        return out
    }

    /// Writes the value; with `indent` (the current level's), one item per line.
    func write(to out: inout String, indent: String? = nil) {
        let inner = indent.map { $0 + "  " }
        func newline(_ level: String?) { if let level { out += "\n" + level } }
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(d): out += JSONValue.numberText(d)
        case let .string(s): out += NumberFormatting.quoted(s)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(inner)
                item.write(to: &out, indent: inner)
            }
            if !items.isEmpty { newline(indent) }
            out += "]"
        case let .object(fields):
            out += "{"
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                newline(inner)
                out += NumberFormatting.quoted(key) + (indent == nil ? ":" : ": ")
                fields[key]?.write(to: &out, indent: inner)
            }
            if !fields.isEmpty { newline(indent) }
            out += "}"
        }
    }

    /// Integers without ".0" (below 2^53), other numbers in their shortest exact form.
    public static func numberText(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 9e15 ? String(Int64(d)) : "\(d)"
    }
}

struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func fail(_ message: String) -> JSONValue.SyntaxError { JSONValue.SyntaxError(offset: position, message: message) }

    mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func expect(_ literal: StaticString, _ value: JSONValue) throws -> JSONValue {
        let n = literal.utf8CodeUnitCount
        guard position + n <= bytes.count else { throw fail("unexpected end") }
        for i in 0..<n where bytes[position + i] != literal.utf8Start[i] { throw fail("unexpected character") }
        position += n
        return value
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw fail("nested deeper than \(maxDepth) levels") }
        guard position < bytes.count else { throw fail("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var fields: [String: JSONValue] = [:]
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(fields) }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes") }
            let key = try string()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            skipSpace()
            fields[key] = try value(depth: depth + 1)
            skipSpace()
            guard position < bytes.count else { throw fail("unexpected end in an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(fields) }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard position < bytes.count else { throw fail("unexpected end in an array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func number() throws -> JSONValue {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let s = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
            return position - s
        }
        guard position < bytes.count else { throw fail("a number ends early") }
        if bytes[position] == UInt8(ascii: "0") { position += 1 } else if digits() == 0 { throw fail("expected a digit") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw fail("expected a digit after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw fail("expected a digit in the exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { position = start; throw fail("a number out of range") }
        return .number(d)
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("a \\u escape ends early") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x37)
            case 0x61...0x66: digit = UInt32(b - 0x57)
            default: throw fail("a \\u escape needs 4 hex digits")
            }
            v = v << 4 | digit
            position += 1
        }
        return v
    }

    mutating func string() throws -> String {
        position += 1
        let start = position
        // The common case: no escapes, valid UTF-8, straight from the bytes.
        while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\"), bytes[position] >= 0x20 {
            position += 1
        }
        guard position < bytes.count else { throw fail("a string ends early") }
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard position < bytes.count else { throw fail("a string ends early") }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") { position += 1; break }
            guard b >= 0x20 else { throw fail("a control character in a string") }
            if b != UInt8(ascii: "\\") { out.append(b); position += 1; continue }
            position += 1
            guard position < bytes.count else { throw fail("a string ends early") }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    // A surrogate pair; a lone surrogate becomes U+FFFD.
                    if position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try hex4()
                        scalar = (0xDC00...0xDFFF).contains(low) ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                out.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: throw fail("an unknown escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        // Invalid UTF-8 is repaired (U+FFFD), as JSON text must be UTF-8.
        return String(decoding: out, as: UTF8.self)
    }
}
