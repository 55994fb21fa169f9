import Foundation

/// Dates and times as CRMs export them, parsed to seconds since 1970-01-01 UTC.
///
/// Accepted: ISO 8601 (`2026-03-01`, `2026-03-01T14:05`, `2026-03-01T14:05:09.5Z`,
/// `2026-03-01T14:05:09+02:00`), `2026-03-01 14:05[:09]`, `2026/03/01`, `03/01/2026` (month
/// first, as US exports) or `01/03/2026` (day first, chosen per column when a first part exceeds
/// 12), `01.03.2026`, `01-03-2026`, optional ` 2:05 PM`, and month names: `1-Mar-2026`,
/// `1 Mar 2026`, `Mar 1, 2026`, `March 1 2026`.
public enum DateParser {
    static let months: [String: Int] = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
        "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    ]

    enum Token { case number(Int, digits: Int), word(String), fraction(Double) }

    /// Seconds since the epoch, or nil when `raw` is not a date.
    public static func parse(_ raw: String, dayFirst: Bool = false) -> Double? {
        let s = raw.trimmingCharacters(in: .whitespaces)
        guard s.utf8.count >= 6, s.utf8.count <= 40, let (tokens, zone) = tokenize(s),
              let (year, month, day) = date(tokens, dayFirst: dayFirst),
              let (seconds, timeZone) = time(tokens.dropFirst(3), zone: zone) else { return nil }
        return Double(daysFromCivil(year, month, day) * 86400) + seconds - Double(timeZone ?? 0)
    }

    /// The value as numbers, words and fractions of a second, and a time-zone offset in seconds
    /// when one is written; nil when it cannot be a date.
    static func tokenize(_ s: String) -> ([Token], Int?)? {
        var tokens: [Token] = []
        var seps: [Character] = []
        var tz: Int? = nil  // offset seconds
        var current = ""
        var isDigits = true
        // A run of more than 9 digits is no part of a date (and would overflow an Int at 19).
        var tooLong = false
        func flush() {
            guard !current.isEmpty else { return }
            if isDigits {
                if current.count <= 9, let v = Int(current) { tokens.append(.number(v, digits: current.count)) } else { tooLong = true }
            } else { tokens.append(.word(current.lowercased())) }
            current = ""
        }
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isASCII, c.isNumber {
                if !isDigits { flush() }
                isDigits = true; current.append(c)
            } else if c.isASCII, c.isLetter {
                if isDigits { flush() }
                isDigits = false
                // A 'T' between date and time, or a trailing 'Z'.
                if (c == "T" || c == "Z") && current.isEmpty && i > 0 && chars[i - 1].isNumber {
                    if c == "Z" { tz = 0 }
                    seps.append(c); i += 1; continue
                }
                current.append(c)
            } else if (c == "+" || c == "-") && seps.contains(":") && tokens.count + (current.isEmpty ? 0 : 1) >= 5 {
                // time-zone offset after the seconds
                flush()
                let rest = String(chars[(i + 1)...]).replacingOccurrences(of: ":", with: "")
                guard rest.count == 4, let v = Int(rest) else { return nil }
                tz = (v / 100 * 3600 + v % 100 * 60) * (c == "+" ? 1 : -1)
                i = chars.count; continue
            } else {
                flush(); isDigits = true
                if c == ".", seps.last == ":", case .number? = tokens.last {
                    // fractional seconds
                    var j = i + 1, frac = "0."
                    while j < chars.count, chars[j].isNumber { frac.append(chars[j]); j += 1 }
                    tokens.append(.fraction(Double(frac) ?? 0)); i = j; continue
                }
                seps.append(c)
            }
            i += 1
        }
        flush()
        if tooLong { return nil }
        return (tokens, tz)
    }

    /// (year, month, day) from the first three tokens, checked to be a real day.
    static func date(_ tokens: [Token], dayFirst: Bool) -> (Int, Int, Int)? {
        var year = 0, month = 0, day = 0
        switch (tokens.count >= 3 ? tokens[0] : nil, tokens.count >= 3 ? tokens[1] : nil, tokens.count >= 3 ? tokens[2] : nil) {
        case let (.number(a, da)?, .number(b, _)?, .number(c, dc)?):
            if da == 4 { year = a; month = b; day = c }
            else if dc == 4 { year = c; (month, day) = dayFirst ? (b, a) : (a, b) }
            else { return nil }
        case let (.number(a, _)?, .word(w)?, .number(c, dc)?) where dc == 4:
            guard let m = months[String(w.prefix(3))], w.count == 3 || w.count >= 4 else { return nil }
            day = a; month = m; year = c
        case let (.word(w)?, .number(b, _)?, .number(c, dc)?) where dc == 4:
            guard let m = months[String(w.prefix(3))] else { return nil }
            month = m; day = b; year = c
        default:
            return nil
        }
        guard year >= 1900, year <= 2200, month >= 1, month <= 12, day >= 1,
              day <= daysInMonth(year, month) else { return nil }
        return (year, month, day)
    }

    /// Seconds into the day from the tokens after the date (hours, minutes, seconds, AM/PM,
    /// UTC), and the time zone; nil when they are not a time.
    static func time(_ rest: ArraySlice<Token>, zone: Int?) -> (Double, Int?)? {
        var tz = zone
        var hour = 0, minute = 0, second = 0.0
        var numbers: [Int] = []
        var pm: Bool? = nil
        for t in rest {
            switch t {
            case let .number(v, _): numbers.append(v)
            case let .fraction(f): second += f
            case let .word(w):
                if w == "am" { pm = false } else if w == "pm" { pm = true }
                else if w == "utc" || w == "gmt" { tz = 0 }
                else { return nil }
            }
        }
        if !numbers.isEmpty {
            guard numbers.count >= 2, numbers.count <= 3 else { return nil }
            hour = numbers[0]; minute = numbers[1]
            if numbers.count == 3 { second += Double(numbers[2]) }
            if let pm {
                guard hour >= 1, hour <= 12 else { return nil }
                hour = hour % 12 + (pm ? 12 : 0)
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
        } else if pm != nil { return nil }
        return (Double(hour * 3600 + minute * 60) + second, tz)
    }


    /// True when a value parses only day-first (its first part is above 12), as in `25/03/2026`.
    public static func needsDayFirst(_ raw: String) -> Bool {
        parse(raw, dayFirst: false) == nil && parse(raw, dayFirst: true) != nil
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// (year, month, day) of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` (UTC, milliseconds) of seconds since 1970: thread-safe and
    /// allocation-light, unlike a shared date formatter.
    public static func isoDateTime(seconds t: Double) -> String {
        guard t.isFinite, abs(t) < 1e13 else { return "" }
        let millis = Int64((t * 1000).rounded(.down))
        let days = Int((Double(millis) / 86_400_000).rounded(.down))
        var rest = Int(millis - Int64(days) * 86_400_000)
        let (y, m, d) = civilFromDays(days)
        let h = rest / 3_600_000; rest %= 3_600_000
        let mi = rest / 60_000; rest %= 60_000
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, h, mi, rest / 1000, rest % 1000)
    }

    /// `yyyy-MM-dd` of a day count since 1970-01-01.
    public static func isoDate(days: Int) -> String {
        let (y, m, d) = civilFromDays(days)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }
}
