import Foundation

/// The service's counters, written in Prometheus' text format at `GET /metrics`.
final class Metrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [String: [Int: Int]] = [:]
    /// Latency histogram per route: counts per bucket (cumulative when written), sum, count.
    private var latency: [String: (buckets: [Int], sum: Double, count: Int)] = [:]
    private(set) var eventsIngested = 0
    private(set) var scoresComputed = 0
    static let bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    func record(route: String, status: Int, seconds: Double) {
        lock.withLock {
            requests[route, default: [:]][status, default: 0] += 1
            var h = latency[route] ?? (buckets: [Int](repeating: 0, count: Metrics.bounds.count), sum: 0, count: 0)
            if let i = Metrics.bounds.firstIndex(where: { seconds <= $0 }) { h.buckets[i] += 1 }
            h.sum += seconds
            h.count += 1
            latency[route] = h
        }
    }

    func ingested(_ n: Int) { lock.withLock { eventsIngested += n } }
    func scored(_ n: Int) { lock.withLock { scoresComputed += n } }

    func text(storeBytes: Int64, leads: Int, modelVersion: String) -> String {
        lock.withLock {
            var out = ""
            out += "# HELP leadscore_http_requests_total HTTP requests by route and status.\n# TYPE leadscore_http_requests_total counter\n"
            for route in requests.keys.sorted() {
                for (status, n) in requests[route, default: [:]].sorted(by: { $0.key < $1.key }) {
                    out += "leadscore_http_requests_total{route=\"\(Metrics.escape(route))\",status=\"\(status)\"} \(n)\n"
                }
            }
            out += "# HELP leadscore_http_request_duration_seconds Request latency by route.\n# TYPE leadscore_http_request_duration_seconds histogram\n"
            for route in latency.keys.sorted() {
                guard let h = latency[route] else { continue }
                let label = "route=\"\(Metrics.escape(route))\""
                var cumulative = 0
                for (i, bound) in Metrics.bounds.enumerated() {
                    cumulative += h.buckets[i]
                    out += "leadscore_http_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
                }
                out += "leadscore_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(h.count)\n"
                out += "leadscore_http_request_duration_seconds_sum{\(label)} \(h.sum)\n"
                out += "leadscore_http_request_duration_seconds_count{\(label)} \(h.count)\n"
            }
            out += "# HELP leadscore_events_ingested_total Events stored (repeats of an event id not counted).\n# TYPE leadscore_events_ingested_total counter\n"
            out += "leadscore_events_ingested_total \(eventsIngested)\n"
            out += "# HELP leadscore_scores_computed_total Lead scores computed.\n# TYPE leadscore_scores_computed_total counter\n"
            out += "leadscore_scores_computed_total \(scoresComputed)\n"
            out += "# HELP leadscore_store_bytes Size of the store on disk (database and write-ahead log).\n# TYPE leadscore_store_bytes gauge\n"
            out += "leadscore_store_bytes \(storeBytes)\n"
            out += "# HELP leadscore_leads Leads stored.\n# TYPE leadscore_leads gauge\n"
            out += "leadscore_leads \(leads)\n"
            out += "# HELP leadscore_model_info The model version scoring now.\n# TYPE leadscore_model_info gauge\n"
            out += "leadscore_model_info{version=\"\(Metrics.escape(modelVersion))\"} 1\n"
            return out
        }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
