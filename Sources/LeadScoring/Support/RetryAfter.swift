import Foundation

/// `Retry-After` as a webhook receiver answers it: delay-seconds, or an HTTP date (IMF-fixdate,
/// or the obsolete RFC 850 and asctime forms, as RFC 9110 asks a recipient to accept). Outside
/// input: fuzzed (`FuzzTargets.retryAfter`).
public enum RetryAfter {
    /// Seconds to wait from `now` (capped at a day); nil when the text is neither form.
    public static func seconds(_ text: String, now: Double) -> Double? {
        let value = text.trimmingCharacters(in: .whitespaces)
        if !value.isEmpty, value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber), let seconds = Double(value) { return min(seconds, 86_400) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return min(max(date.timeIntervalSince1970 - now, 0), 86_400) }
        }
        return nil
    }
}
