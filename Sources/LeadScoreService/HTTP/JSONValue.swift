import Foundation
import LeadScoring

/// Request bodies are parsed into `JSONValue` (LeadScoring's own JSON reader: only malformed
/// JSON fails there), then read field by field so that every error names its field.
extension JSONValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .number(d): try c.encode(d)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    /// The value as a CSV cell would hold it: numbers in their shortest exact form (integers
    /// without ".0", so a numeric code stays the category it was trained as), booleans as
    /// true / false, null as missing. Arrays and objects as their JSON text.
    var cellText: String {
        switch self {
        case .null: return ""
        case let .bool(b): return b ? "true" : "false"
        case let .number(d): return JSONValue.numberText(d)
        case let .string(s): return s
        case .array, .object: return jsonText
        }
    }

    /// An object as stored (JSON text); nil when the text is not a JSON object.
    static func objectFields(_ text: String) -> [String: JSONValue]? {
        guard case let .object(fields)? = try? JSONValue.parse(text) else { return nil }
        return fields
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "text"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Reads a decoded request body field by field; each failure is a 400 naming the field's path
/// (`events[3].timestamp`).
struct JSONReader {
    let path: String
    let fields: [String: JSONValue]

    static func body(_ data: [UInt8]) throws -> JSONReader {
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw APIError.badRequest("the body is not valid JSON: \(error)", field: nil)
        }
        return try JSONReader(value, path: "")
    }

    init(_ value: JSONValue, path: String) throws {
        guard case let .object(fields) = value else {
            throw APIError.badRequest("\(path.isEmpty ? "the body" : "'\(path)'") must be a JSON object, not \(value.typeName)", field: path.isEmpty ? nil : path)
        }
        self.path = path
        self.fields = fields
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// Refuses fields not in `allowed`.
    func only(_ allowed: [String]) throws {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            throw APIError.badRequest("unknown field '\(key)'; expected " + allowed.joined(separator: ", "), field: name(key))
        }
    }

    /// A lead id: 1 to 200 characters, not `batch` (the path /v1/leads/batch is the batch call).
    func leadId(_ key: String) throws -> String? {
        guard let id = try string(key) else { return nil }
        guard id != "batch" else { throw APIError.badRequest("'batch' cannot be a lead id (/v1/leads/batch is the batch call)", field: name(key)) }
        return id
    }

    func has(_ key: String) -> Bool {
        if let v = fields[key], v != .null { return true }
        return false
    }

    func string(_ key: String, required: Bool = true, maxLength: Int = 200) throws -> String? {
        switch fields[key] {
        case nil, .null?:
            if required { throw APIError.badRequest("'\(name(key))' is required", field: name(key)) }
            return nil
        case let .string(s)?:
            guard !s.isEmpty else { throw APIError.badRequest("'\(name(key))' must not be empty", field: name(key)) }
            guard s.unicodeScalars.count <= maxLength else { throw APIError.badRequest("'\(name(key))' is longer than \(maxLength) characters", field: name(key)) }
            return s
        case let v?:
            throw APIError.badRequest("'\(name(key))' must be text, not \(v.typeName)", field: name(key))
        }
    }

    func number(_ key: String) throws -> Double? {
        switch fields[key] {
        case nil, .null?: return nil
        case let .number(d)?:
            guard d.isFinite else { throw APIError.badRequest("'\(name(key))' is out of range", field: name(key)) }
            return d
        case let v?: throw APIError.badRequest("'\(name(key))' must be a number, not \(v.typeName)", field: name(key))
        }
    }

    func object(_ key: String, required: Bool) throws -> JSONReader? {
        switch fields[key] {
        case nil, .null?:
            if required { throw APIError.badRequest("'\(name(key))' is required", field: name(key)) }
            return nil
        case let v?:
            return try JSONReader(v, path: name(key))
        }
    }

    func array(_ key: String, max: Int) throws -> [JSONValue] {
        guard let value = fields[key], value != .null else { throw APIError.badRequest("'\(name(key))' is required", field: name(key)) }
        guard case let .array(items) = value else {
            throw APIError.badRequest("'\(name(key))' must be an array, not \(value.typeName)", field: name(key))
        }
        guard !items.isEmpty else { throw APIError.badRequest("'\(name(key))' is empty", field: name(key)) }
        guard items.count <= max else {
            throw APIError.badRequest("'\(name(key))' has \(items.count) items; at most \(max) in one request", field: name(key))
        }
        return items
    }

    /// A time: an ISO 8601 / RFC 3339 date-time.
    func time(_ key: String, required: Bool) throws -> Double? {
        guard let text = try string(key, required: required, maxLength: 64) else { return nil }
        guard let t = Timestamps.parse(text) else {
            throw APIError.badRequest("'\(name(key))' is '\(text)', not an ISO 8601 date-time such as 2026-12-03T10:00:00Z", field: name(key))
        }
        return t
    }

    /// Attribute values: text, numbers, booleans or null (arrays and objects are refused).
    func attributes(_ key: String, required: Bool) throws -> [String: JSONValue]? {
        guard let reader = try object(key, required: required) else { return nil }
        for (k, v) in reader.fields {
            guard !k.isEmpty else { throw APIError.badRequest("an attribute name must not be empty", field: reader.name(k)) }
            switch v {
            case .array, .object:
                throw APIError.badRequest("attribute '\(k)' must be text, a number, a boolean or null, not \(v.typeName)", field: reader.name(k))
            default: break
            }
        }
        return reader.fields
    }
}

/// ISO 8601 times as the API reads them (strict RFC 3339; they are written by
/// `DateParser.isoDateTime`).
enum Timestamps {
    /// Seconds since 1970 for an RFC 3339 date-time (any fraction, `Z` or an offset, `T` or a
    /// space, either case); nil otherwise.
    static func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                let b = bytes[i]
                guard b >= 48, b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard bytes.count >= 19, let year = digits(0, 4), bytes[4] == 45, let month = digits(5, 2), bytes[7] == 45,
              let day = digits(8, 2), [84, 116, 32].contains(bytes[10]), let hour = digits(11, 2), bytes[13] == 58,
              let minute = digits(14, 2), bytes[16] == 58, let second = digits(17, 2) else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour <= 23, minute <= 59, second <= 60 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < bytes.count, bytes[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                fraction += Double(bytes[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        guard i < bytes.count else { return nil }
        if bytes[i] == 90 || bytes[i] == 122 {
            i += 1
        } else if bytes[i] == 43 || bytes[i] == 45 {
            guard let oh = digits(i + 1, 2), i + 3 < bytes.count, bytes[i + 3] == 58, let om = digits(i + 4, 2), oh <= 23, om <= 59 else { return nil }
            offset = (oh * 3600 + om * 60) * (bytes[i] == 43 ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == bytes.count else { return nil }
        var components = DateComponents()
        components.year = year; components.month = month; components.day = day
        components.hour = hour; components.minute = minute; components.second = min(second, 59)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date.timeIntervalSince1970 + fraction - Double(offset)
    }

}
