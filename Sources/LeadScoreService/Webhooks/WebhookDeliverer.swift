import AsyncHTTPClient
import Foundation
import GRDB
import LeadScoring
import NIOCore
import NIOHTTP1
import NIOPosix

/// Delivers the outbox: each due delivery is POSTed, signed (Standard Webhooks), with a timeout;
/// 2xx is delivered, 410 disables the endpoint, 429/503 honour `Retry-After` (seconds or an HTTP
/// date), anything else is retried on the schedule with jitter; a delivery that failed the whole
/// schedule is failed, and its endpoint disabled if nothing got through to it meanwhile.
/// Redirects are not followed; the endpoint's host is resolved once per attempt, every address
/// checked (loopback, private and link-local are refused unless `allow_private`), and the
/// connection made to the checked address (no DNS rebinding between check and connect).
///
/// Attempts run on their own (a slow endpoint holds up no other); their outcomes are recorded
/// together, in one write transaction per round, by a loop of their own, so recording never
/// waits behind ingestion once per delivery, nor holds up new attempts.
final class WebhookDeliverer: @unchecked Sendable {
    let store: LeadStore
    let webhooks: Webhooks
    let settings: ServiceConfiguration.WebhookSettings
    private let clients: PinnedClients

    init(store: LeadStore, webhooks: Webhooks, settings: ServiceConfiguration.WebhookSettings) {
        self.store = store
        self.webhooks = webhooks
        self.settings = settings
        clients = PinnedClients(timeout: settings.timeout)
    }

    struct Due {
        var id: String, webhookId: String, payload: String, attempts: Int, createdAt: Double
    }

    /// One attempt: what happened (a status code or an error), when it ended and how long it took.
    struct Outcome { var status: Int?; var error: String?; var retryAfter: Double?; var seconds: Double; var at: Double }

    /// Requests under way, and attempts done but not yet recorded (neither is picked again).
    private var inFlight = Set<String>()
    private var finished: [(Due, WebhookEndpoint, Outcome)] = []
    private var unrecorded = Set<String>()
    private let lock = NSLock()
    static let maxInFlight = 32

    /// Delivers until cancelled: one loop starts what is due (every 20 ms), another records what
    /// finished (every 50 ms, in one transaction), so neither waits for the other: a record
    /// queued behind ingestion's writes holds up no new attempt.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await startDue() } catch {
                        FileHandle.standardError.write(Data("leadscore serve: webhook deliveries: \(error)\n".utf8))
                    }
                    try? await Task.sleep(nanoseconds: 20_000_000)
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await recordFinished() } catch {
                        FileHandle.standardError.write(Data("leadscore serve: recording webhook deliveries: \(error)\n".utf8))
                    }
                    try? await Task.sleep(nanoseconds: 50_000_000)
                }
                // What finished before the stop is recorded (else it goes out again after a
                // restart), in a task of its own: this one is cancelled, and the store would
                // refuse a cancelled task's write.
                await Task { [self] in try? await self.recordFinished() }.value
            }
        }
        await clients.shutdown()
    }

    /// Starts an attempt for each due delivery not already under way or awaiting its record.
    func startDue() async throws {
        let (running, busy) = lock.withLock { (inFlight.count, inFlight.union(unrecorded)) }
        guard running < WebhookDeliverer.maxInFlight else { return }
        let room = WebhookDeliverer.maxInFlight - running
        let due = try await dueDeliveries(limit: room + busy.count).filter { !busy.contains($0.id) }.prefix(room)
        for d in due {
            lock.withLock { _ = inFlight.insert(d.id) }
            Task.detached { [self] in
                let done = await attempt(d)
                lock.withLock {
                    inFlight.remove(d.id)
                    if let done { finished.append(done); unrecorded.insert(d.id) }
                }
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

    /// Sends one delivery; nil when its endpoint is gone.
    func attempt(_ d: Due) async -> (Due, WebhookEndpoint, Outcome)? {
        guard let endpoint = webhooks.endpoint(d.webhookId) else { return nil }
        let start = Date().timeIntervalSince1970
        var outcome = Outcome(status: nil, error: nil, retryAfter: nil, seconds: 0, at: start)
        do {
            let client = try await clients.client(for: endpoint.url, allowPrivate: settings.allowPrivate)
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
            if let text = response.headers.first(name: "Retry-After") {
                outcome.retryAfter = RetryAfter.seconds(text, now: Date().timeIntervalSince1970)
            }
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            outcome.error = "\(error)"
        }
        outcome.at = Date().timeIntervalSince1970
        outcome.seconds = outcome.at - start
        return (d, endpoint, outcome)
    }

    /// Records every finished attempt in one transaction.
    func recordFinished() async throws {
        let batch = lock.withLock { finished }
        guard !batch.isEmpty else { return }
        let schedule = settings.retry
        do {
            try await store.write { [webhooks] db in
                var disabled = false
                for (d, endpoint, o) in batch {
                    disabled = try WebhookDeliverer.record(db, d, endpoint: endpoint, o, schedule: schedule) || disabled
                }
                if disabled { try webhooks.reload(db) }
            }
        } catch {
            // Left unrecorded, the deliveries are attempted again (at least once, same webhook-id).
            lock.withLock {
                finished.removeFirst(batch.count)
                for (d, _, _) in batch { unrecorded.remove(d.id) }
            }
            throw error
        }
        lock.withLock {
            finished.removeFirst(batch.count)
            for (d, _, _) in batch { unrecorded.remove(d.id) }
        }
    }

    /// Records one attempt; true when it disabled the endpoint.
    static func record(_ db: Database, _ d: Due, endpoint: WebhookEndpoint, _ o: Outcome, schedule: [Double]) throws -> Bool {
        let now = o.at
        let attempts = d.attempts + 1
        try db.cachedStatement(sql: "INSERT INTO delivery_attempts (delivery_id, at, status, error, seconds) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [d.id, now, o.status, o.error, o.seconds])
        if let status = o.status, (200..<300).contains(status) {
            try db.cachedStatement(sql: "UPDATE deliveries SET status = 'delivered', attempts = ?, delivered_at = ?, last_status = ?, last_error = NULL WHERE id = ?")
                .execute(arguments: [attempts, now, status, d.id])
            return false
        }
        if o.status == 410 {
            try db.execute(sql: "UPDATE deliveries SET status = 'failed', attempts = ?, last_status = 410 WHERE id = ?", arguments: [attempts, d.id])
            try disable(db, endpoint.id, reason: "the endpoint answered 410 Gone", now: now)
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
            try disable(db, endpoint.id, reason: "every attempt of a delivery failed for the whole retry schedule", now: now)
            return true
        }
        return false
    }

    /// Disables an enabled endpoint, with a `webhook.disabled` record in the log (once).
    static func disable(_ db: Database, _ id: String, reason: String, now: Double) throws {
        try db.execute(sql: "UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ? AND enabled = 1", arguments: [reason, id])
        guard db.changesCount > 0 else { return }
        try db.execute(sql: "INSERT INTO webhook_log (webhook_id, type, at, detail) VALUES (?, 'webhook.disabled', ?, ?)", arguments: [id, now, reason])
    }
}

/// HTTP clients that connect to an address checked beforehand: the endpoint's host is resolved
/// (off the cooperative threads), every address it has is checked, and the client used pins the
/// host to the first of them (`dnsOverride`, so the Host header and TLS name stay the host's).
/// One client per host and address, so connections are kept alive between deliveries.
actor PinnedClients {
    private var clients: [String: HTTPClient] = [:]
    private var order: [String] = []
    private let timeout: Double
    static let kept = 64

    init(timeout: Double) { self.timeout = timeout }

    func client(for url: String, allowPrivate: Bool) async throws -> HTTPClient {
        let resolved = try await AddressGuard.resolve(url, allowPrivate: allowPrivate)
        let address = resolved.addresses[0]
        let key = resolved.host + " " + address
        if let client = clients[key] { return client }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .milliseconds(Int64(timeout * 1000)))
        if address != resolved.host { configuration.dnsOverride = [resolved.host: address] }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[key] = client
        order.append(key)
        if order.count > PinnedClients.kept, let retired = clients.removeValue(forKey: order.removeFirst()) {
            // Shut down once any request it carries has had its time.
            let grace = UInt64((timeout + 10) * 1_000_000_000)
            Task { try? await Task.sleep(nanoseconds: grace); try? await retired.shutdown() }
        }
        return client
    }

    func shutdown() async {
        for client in clients.values { try? await client.shutdown() }
        clients = [:]
        order = []
    }
}

/// Checks webhook endpoints: an http(s) URL whose host resolves only to public addresses
/// (loopback, private, link-local and other internal ones are refused unless `allow_private`),
/// so the service cannot be made to post into its own network.
enum AddressGuard {
    struct Refused: Error, CustomStringConvertible { var description: String }

    /// The host (brackets of an IPv6 literal removed) and the numeric addresses it resolves to,
    /// IPv4 first; throws `Refused` for a URL that is not http(s), a host that does not resolve,
    /// or (without `allowPrivate`) any internal address among them. The name is resolved on
    /// NIO's blocking-work threads.
    static func resolve(_ url: String, allowPrivate: Bool) async throws -> (host: String, addresses: [String]) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else {
            throw Refused(description: "'\(url)' is not an http(s) URL")
        }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let found = try await NIOThreadPool.singleton.runIfActive { try lookUp(bare) }
        guard !found.isEmpty else { throw Refused(description: "cannot resolve '\(host)'") }
        if !allowPrivate, found.contains(where: \.internal) {
            throw Refused(description: "'\(host)' resolves to an internal address (webhooks: {allow_private: true} allows it)")
        }
        let ordered = found.filter { !$0.v6 } + found.filter(\.v6)
        return (bare, ordered.map(\.text))
    }

    /// Every address `host` resolves to: its text, family, and whether it is internal.
    static func lookUp(_ host: String) throws -> [(text: String, v6: Bool, internal: Bool)] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [(text: String, v6: Bool, internal: Bool)] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let address = n.pointee.ai_addr, let text = numeric(address) {
                out.append((text, address.pointee.sa_family == sa_family_t(AF_INET6), isInternal(address)))
            }
            node = n.pointee.ai_next
        }
        return out
    }

    /// The address as text (`inet_ntop`); nil for a family other than IPv4 and IPv6.
    static func numeric(_ address: UnsafeMutablePointer<sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(address.pointee.sa_family)
        let done: UnsafePointer<CChar>?
        switch family {
        case AF_INET:
            done = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                withUnsafePointer(to: p.pointee.sin_addr) { inet_ntop(AF_INET, $0, &buffer, socklen_t(buffer.count)) }
            }
        case AF_INET6:
            done = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafePointer(to: p.pointee.sin6_addr) { inet_ntop(AF_INET6, $0, &buffer, socklen_t(buffer.count)) }
            }
        default:
            return nil
        }
        guard done != nil else { return nil }
        return String(cString: buffer)
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
