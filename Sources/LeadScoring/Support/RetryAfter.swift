import Foundation

/// `Retry-After` as a webhook receiver answers it: delay-seconds, or an HTTP date (IMF-fixdate,
/// or the obsolete RFC 850 and asctime forms, as RFC 9110 §5.6.7 asks a recipient to accept).
/// Outside input: read by hand, ASCII only (Foundation's `DateFormatter` traps on some
/// non-ASCII text, which the fuzzer found at once), and fuzzed (`FuzzTargets.retryAfter`).
public enum RetryAfter {
    /// Seconds to wait from `now` (capped at a day); nil when the text is neither form.
    public static func seconds(_ text: String, now: Double) -> Double? {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        if value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return min(Double(value) ?? 86_400, 86_400) }
        guard let date = httpDate(value) else { return nil }
        return min(max(date - now, 0), 86_400)
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    static let longDays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Seconds since 1970 of an HTTP date in any of its three forms; nil otherwise.
    static func httpDate(_ value: String) -> Double? {
        let parts = value.lowercased().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day: Int?, month: Int?, year: Int?, time: String?
        if parts.count == 6, parts[0].hasSuffix(","), days.contains(String(parts[0].dropLast())), parts[5] == "gmt" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            day = digits(parts[1], 2); month = months.firstIndex(of: parts[2]); year = digits(parts[3], 4); time = parts[4]
        } else if parts.count == 4, parts[0].hasSuffix(","), longDays.contains(String(parts[0].dropLast())), parts[3] == "gmt" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (a two-digit year: 70–99 is 19xx)
            let dm = parts[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard dm.count == 3, let yy = digits(dm[2], 2) else { return nil }
            day = digits(dm[0], 2); month = months.firstIndex(of: dm[1]); year = yy < 70 ? 2000 + yy : 1900 + yy; time = parts[2]
        } else if parts.count == 5, days.contains(parts[0]) {
            // asctime: Sun Nov  6 08:49:37 1994
            month = months.firstIndex(of: parts[1]); day = parts[2].count <= 2 ? digits(parts[2], parts[2].count) : nil
            time = parts[3]; year = digits(parts[4], 4)
        }
        guard let day, let month, let year, let time else { return nil }
        let hms = time.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard hms.count == 3, let h = digits(hms[0], 2), let m = digits(hms[1], 2), let s = digits(hms[2], 2),
              h < 24, m < 60, s <= 60, day >= 1, day <= DateParser.daysInMonth(year, month + 1) else { return nil }
        let days = DateParser.daysFromCivil(year, month + 1, day)
        return Double(days * 86_400 + h * 3600 + m * 60 + s)
    }

    /// `text` as a number of exactly `count` ASCII digits.
    static func digits(_ text: String, _ count: Int) -> Int? {
        guard text.utf8.count == count, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }
}
