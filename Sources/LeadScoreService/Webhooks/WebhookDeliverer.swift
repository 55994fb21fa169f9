import AsyncHTTPClient
import Foundation
import GRDB
import LeadScoring
import NIOCore
import NIOHTTP1

/// Delivers the outbox: each due delivery is POSTed, signed (Standard Webhooks), with a timeout;
/// 2xx is delivered, 410 disables the endpoint, 429/503 honour `Retry-After`, anything else is
/// retried on the schedule with jitter; a delivery that failed the whole schedule is failed, and
/// its endpoint disabled if nothing got through to it meanwhile. Redirects are not followed;
/// loopback, private and link-local addresses are refused unless `allow_private`.
final class WebhookDeliverer: @unchecked Sendable {
    let store: LeadStore
    let webhooks: Webhooks
    let settings: ServiceConfiguration.WebhookSettings
    let client: HTTPClient

    init(store: LeadStore, webhooks: Webhooks, settings: ServiceConfiguration.WebhookSettings) {
        self.store = store
        self.webhooks = webhooks
        self.settings = settings
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .milliseconds(Int64(settings.timeout * 1000)))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    struct Due {
        var id: String, webhookId: String, payload: String, attempts: Int, createdAt: Double
    }

    /// Deliveries being attempted now (each runs on its own: a slow endpoint holds up no other).
    private var inFlight = Set<String>()
    private let lock = NSLock()
    static let maxInFlight = 32

    /// Delivers until cancelled, looking for due deliveries every 100 ms.
    func run() async {
        while !Task.isCancelled {
            do { try await startDue() } catch {
                FileHandle.standardError.write(Data("leadscore serve: webhook deliveries: \(error)\n".utf8))
            }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        try? await client.shutdown()
    }

    /// Starts an attempt for each due delivery not already under way.
    func startDue() async throws {
        let busy = lock.withLock { inFlight }
        guard busy.count < WebhookDeliverer.maxInFlight else { return }
        let due = try await dueDeliveries(limit: WebhookDeliverer.maxInFlight + busy.count).filter { !busy.contains($0.id) }
            .prefix(WebhookDeliverer.maxInFlight - busy.count)
        for d in due {
            lock.withLock { _ = inFlight.insert(d.id) }
            Task.detached { [self] in
                await attempt(d)
                lock.withLock { _ = inFlight.remove(d.id) }
            }
        }
    }

    func dueDeliveries(limit: Int) async throws -> [Due] {
        let now = Date().timeIntervalSince1970
        return try await store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.id, d.webhook_id, d.payload, d.attempts, d.created_at FROM deliveries d
                JOIN webhooks w ON w.id = d.webhook_id AND w.enabled = 1
                WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?
                """, arguments: [now, limit]).map { Due(id: $0["id"], webhookId: $0["webhook_id"], payload: $0["payload"], attempts: $0["attempts"], createdAt: $0["created_at"]) }
        }
    }

    /// One attempt: what happened (a status code or an error) and how long it took.
    struct Outcome { var status: Int?; var error: String?; var retryAfter: Double?; var seconds: Double }

    func attempt(_ d: Due) async {
        guard let endpoint = webhooks.endpoint(d.webhookId) else { return }
        let start = Date().timeIntervalSince1970
        var outcome = Outcome(status: nil, error: nil, retryAfter: nil, seconds: 0)
        do {
            try AddressGuard.check(endpoint.url, allowPrivate: settings.allowPrivate)
            let timestamp = Int(start)
            let body = Data(d.payload.utf8)
            var request = HTTPClientRequest(url: endpoint.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "leadscore-webhooks/1")
            request.headers.add(name: "webhook-id", value: d.id)
            request.headers.add(name: "webhook-timestamp", value: String(timestamp))
            request.headers.add(name: "webhook-signature", value: WebhookSigner.signature(id: d.id, timestamp: timestamp, body: body,
                                                                                       secrets: endpoint.signingSecrets(now: start)))
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            outcome.status = Int(response.status.code)
            if let text = response.headers.first(name: "Retry-After"), let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
                outcome.retryAfter = min(seconds, 86_400)
            }
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            outcome.error = "\(error)"
        }
        outcome.seconds = Date().timeIntervalSince1970 - start
        do {
            try await record(d, endpoint: endpoint, outcome)
        } catch {
            FileHandle.standardError.write(Data("leadscore serve: recording delivery \(d.id): \(error)\n".utf8))
        }
    }

    func record(_ d: Due, endpoint: WebhookEndpoint, _ o: Outcome) async throws {
        let now = Date().timeIntervalSince1970
        let attempts = d.attempts + 1
        let schedule = settings.retry
        _ = try await store.write { [webhooks] db -> Bool in
            try db.execute(sql: "INSERT INTO delivery_attempts (delivery_id, at, status, error, seconds) VALUES (?, ?, ?, ?, ?)",
                           arguments: [d.id, now, o.status, o.error, o.seconds])
            if let status = o.status, (200..<300).contains(status) {
                try db.execute(sql: "UPDATE deliveries SET status = 'delivered', attempts = ?, delivered_at = ?, last_status = ?, last_error = NULL WHERE id = ?",
                               arguments: [attempts, now, status, d.id])
                return false
            }
            if o.status == 410 {
                try db.execute(sql: "UPDATE deliveries SET status = 'failed', attempts = ?, last_status = 410 WHERE id = ?", arguments: [attempts, d.id])
                try WebhookDeliverer.disable(db, endpoint.id, reason: "the endpoint answered 410 Gone", now: now)
                try webhooks.reload(db)
                return true
            }
            if attempts <= schedule.count {
                var wait = schedule[attempts - 1] * Double.random(in: 0.9...1.1)
                if let status = o.status, status == 429 || status == 503, let after = o.retryAfter { wait = max(after, 0.1) }
                try db.execute(sql: "UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?",
                               arguments: [attempts, now + wait, o.status, o.error, d.id])
                return false
            }
            try db.execute(sql: "UPDATE deliveries SET status = 'failed', attempts = ?, last_status = ?, last_error = ? WHERE id = ?",
                           arguments: [attempts, o.status, o.error, d.id])
            // Failed every attempt of the schedule, and nothing else got through meanwhile: off.
            let through = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE webhook_id = ? AND status = 'delivered' AND delivered_at >= ?",
                                           arguments: [endpoint.id, d.createdAt]) ?? 0
            if through == 0 {
                try WebhookDeliverer.disable(db, endpoint.id, reason: "every attempt of a delivery failed for the whole retry schedule", now: now)
                try webhooks.reload(db)
                return true
            }
            return false
        }
    }

    static func disable(_ db: Database, _ id: String, reason: String, now: Double) throws {
        try db.execute(sql: "UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ?", arguments: [reason, id])
        try db.execute(sql: "INSERT INTO webhook_log (webhook_id, type, at, detail) VALUES (?, 'webhook.disabled', ?, ?)", arguments: [id, now, reason])
    }
}

/// Refuses endpoints whose host resolves to loopback, private, link-local or otherwise
/// internal addresses (no request forgery into the service's network).
enum AddressGuard {
    struct Refused: Error, CustomStringConvertible { var description: String }

    static func check(_ url: String, allowPrivate: Bool) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else {
            throw Refused(description: "'\(url)' is not an http(s) URL")
        }
        if allowPrivate { return }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(bare, nil, &hints, &result) == 0, let first = result else {
            throw Refused(description: "cannot resolve '\(host)'")
        }
        defer { freeaddrinfo(first) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let address = n.pointee.ai_addr, isInternal(address) {
                throw Refused(description: "'\(host)' resolves to an internal address (webhooks: {allow_private: true} allows it)")
            }
            node = n.pointee.ai_next
        }
    }

    static func isInternal(_ address: UnsafeMutablePointer<sockaddr>) -> Bool {
        if address.pointee.sa_family == sa_family_t(AF_INET) {
            let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
            return isInternal(v4: ip)
        }
        if address.pointee.sa_family == sa_family_t(AF_INET6) {
            let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
            }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) { return true }  // :: and ::1
            func v4(_ at: Int) -> UInt32 { UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3]) }
            if bytes[0..<12].allSatisfy({ $0 == 0 }) { return isInternal(v4: v4(12)) }  // ::a.b.c.d
            if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xFF && bytes[3] == 0x9B { return isInternal(v4: v4(12)) }  // NAT64 64:ff9b::/96
            if bytes[0] == 0x20 && bytes[1] == 0x02 { return isInternal(v4: v4(2)) }  // 6to4 2002::/16
            if bytes[0] == 0xFF { return true }  // multicast
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return true }  // fec0::/10 site-local
            if bytes[0] & 0xFE == 0xFC { return true }  // fc00::/7 unique local
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return true }  // fe80::/10 link-local
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {  // ::ffff:a.b.c.d
                return isInternal(v4: UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
            }
            return false
        }
        return true
    }

    static func isInternal(v4 ip: UInt32) -> Bool {
        let a = ip >> 24, b = (ip >> 16) & 0xFF
        return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && (16...31).contains(b))
            || (a == 192 && b == 168) || (a == 100 && (64...127).contains(b)) || a >= 224
    }
}
