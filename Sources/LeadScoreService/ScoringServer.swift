import Foundation
import GRDB
import Hummingbird
import LeadScoring
import NIOCore

/// The scoring service: the HTTP API over the store and the scoring engine, and the background
/// work that keeps stored scores live (decay sweeps, following the model registry).
public final class ScoringServer: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    let store: LeadStore
    let engine: ScoringEngine
    let metrics = Metrics()
    let webhooks = Webhooks()
    let deliverer: WebhookDeliverer
    /// The methods of each path, for 405 answers.
    private var routed: [String: [HTTPRequest.Method]] = [:]
    /// JSON endpoints' body limit; Segment's are 32 KB a call and 500 KB a batch.
    static let bodyLimit = 1_000_000
    static let segmentLimit = 32 * 1024
    static let segmentBatchLimit = 500 * 1024

    public var modelVersion: String { engine.modelVersion }

    public init(configuration: ServiceConfiguration) throws {
        self.configuration = configuration
        engine = try ScoringEngine(configuration: configuration)
        store = try LeadStore(path: configuration.store)
        deliverer = WebhookDeliverer(store: store, webhooks: webhooks, settings: configuration.webhooks)
        try store.readNow { [webhooks] db in try webhooks.reload(db) }
        engine.changed = { [webhooks] db, change, now in try webhooks.record(db, change, now: now) }
        engine.explainsTierChange = { [webhooks] tier in webhooks.wantsTierChange(to: tier) }
    }

    /// Serves until SIGTERM or SIGINT (requests in flight are finished first). `onListening`
    /// gets the port (useful with port 0: any free port).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        addRoutes(router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "leadscore"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) }
        )
        let background = startBackgroundWork()
        defer { background.forEach { $0.cancel() } }
        try await app.runService()
    }

    // MARK: Routing

    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// Registers a route whose errors become JSON error answers and whose requests are counted
    /// in the metrics under `label`.
    func add(_ router: Router<BasicRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath, _ label: String, _ handler: @escaping Handler) {
        routed[path.description, default: []].append(method)
        router.on(path, method: method) { [metrics] request, context in
            let start = DispatchTime.now().uptimeNanoseconds
            let response: Response
            do {
                response = try await handler(request, context)
            } catch let error as APIError {
                response = error.response
            } catch let error as LeadScoreError {
                response = APIError(status: .badRequest, code: "bad_request", message: error.errorDescription ?? "\(error)", field: nil).response
            } catch {
                FileHandle.standardError.write(Data("leadscore serve: \(label): \(error)\n".utf8))
                response = APIError(status: .internalServerError, code: "internal", message: "internal error: \(error)", field: nil).response
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            metrics.record(route: label, status: response.status.code, seconds: seconds)
            return response
        }
    }

    func addRoutes(_ router: Router<BasicRequestContext>) {
        add(router, .put, "/v1/leads/:id", "PUT /v1/leads/{id}") { try await self.putLead($0, $1, merge: false) }
        add(router, .patch, "/v1/leads/:id", "PATCH /v1/leads/{id}") { try await self.putLead($0, $1, merge: true) }
        add(router, .get, "/v1/leads/:id", "GET /v1/leads/{id}") { try await self.getLead($0, $1) }
        add(router, .delete, "/v1/leads/:id", "DELETE /v1/leads/{id}") { try await self.deleteLead($0, $1) }
        add(router, .post, "/v1/leads/batch", "POST /v1/leads/batch") { try await self.batchLeads($0, $1) }
        add(router, .get, "/v1/leads", "GET /v1/leads") { try await self.listLeads($0, $1) }
        add(router, .get, "/v1/leads/:id/events", "GET /v1/leads/{id}/events") { try await self.leadEvents($0, $1) }
        add(router, .get, "/v1/leads/:id/history", "GET /v1/leads/{id}/history") { try await self.leadHistory($0, $1) }
        add(router, .post, "/v1/events", "POST /v1/events") { try await self.postEvents($0, $1) }
        add(router, .post, "/v1/score", "POST /v1/score") { try await self.scoreOnly($0, $1) }
        for kind in SegmentKind.allCases {
            add(router, .post, RouterPath("/v1/" + kind.rawValue), "POST /v1/" + kind.rawValue) { try await self.segment(kind, $0, $1) }
        }
        add(router, .post, "/v1/webhooks", "POST /v1/webhooks") { try await self.createWebhook($0, $1) }
        add(router, .get, "/v1/webhooks", "GET /v1/webhooks") { try await self.listWebhooks($0, $1) }
        add(router, .get, "/v1/webhooks/:id", "GET /v1/webhooks/{id}") { try await self.getWebhook($0, $1) }
        add(router, .patch, "/v1/webhooks/:id", "PATCH /v1/webhooks/{id}") { try await self.updateWebhook($0, $1) }
        add(router, .delete, "/v1/webhooks/:id", "DELETE /v1/webhooks/{id}") { try await self.deleteWebhook($0, $1) }
        add(router, .post, "/v1/webhooks/:id/rotate-secret", "POST /v1/webhooks/{id}/rotate-secret") { try await self.rotateSecret($0, $1) }
        add(router, .get, "/v1/webhooks/:id/deliveries", "GET /v1/webhooks/{id}/deliveries") { try await self.listDeliveries($0, $1) }
        add(router, .post, "/v1/webhooks/:id/deliveries/:deliveryId/retry", "POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry") {
            try await self.retryDelivery($0, $1)
        }
        add(router, .post, "/v1/webhooks/:id/replay", "POST /v1/webhooks/{id}/replay") { try await self.replay($0, $1) }
        add(router, .get, "/healthz", "GET /healthz") { _, _ in try await self.health() }
        add(router, .get, "/metrics", "GET /metrics") { _, _ in try await self.metricsText() }
        add(router, .get, "/openapi.json", "GET /openapi.json") { _, _ in ScoringServer.openAPIDocument() }
        // Any other method on a known path: 405 with the methods it has.
        for (path, methods) in routed {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            let others: [HTTPRequest.Method] = [.get, .put, .post, .patch, .delete, .trace, .options] + [HTTPRequest.Method("QUERY")].compactMap { $0 }
            for other in others where !methods.contains(other) {
                router.on(RouterPath(path), method: other) { _, _ in
                    var response = APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "\(path) takes \(allow)", field: nil).response
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }

    // MARK: Authentication and bodies

    /// Checks the request's key: `Authorization: Bearer KEY`, or (Segment's way, where
    /// `allowBasic`) the key as the Basic-auth user name.
    func authorize(_ request: Request, _ needed: KeyScope, allowBasic: Bool = false) async throws {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        var key: String? = nil
        if header.lowercased().hasPrefix("bearer ") {
            key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if allowBasic, header.lowercased().hasPrefix("basic "),
                  let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) {
            let pair = String(decoding: data, as: UTF8.self)
            key = pair.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        }
        guard let key, !key.isEmpty else { throw APIError.unauthorized }
        guard let scope = try await store.read({ db in try APIKeys.scope(of: key, in: db) }) else { throw APIError.unauthorized }
        guard scope.allows(needed) else {
            throw APIError.forbidden(needed == .read ? "read scores (it needs the read or admin scope)" : "ingest or change leads (it needs the write or admin scope)")
        }
    }

    /// The request's JSON body (inflated when gzip-compressed), at most `limit` bytes.
    func body(_ request: Request, limit: Int = ScoringServer.bodyLimit) async throws -> JSONReader {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit)
        }
        var bytes = Array(buffer.readableBytesView)
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity"?, ""?: break
        case "gzip"?, "x-gzip"?, "deflate"?:
            do {
                bytes = try Gzip.inflate(bytes, limit: limit)
            } catch Gzip.Failure.tooLarge {
                throw APIError.tooLarge(limit)
            } catch {
                throw APIError.badRequest("the body is not valid gzip: \(error)", field: nil)
            }
        case let other?:
            throw APIError.unsupportedEncoding(other)
        }
        return try JSONReader.body(bytes)
    }

    static func leadId(_ context: BasicRequestContext) throws -> String {
        // Hummingbird hands the path segment over as sent: percent-decode it.
        guard let raw = context.parameters.get("id"), let id = raw.removingPercentEncoding, !id.isEmpty, id.unicodeScalars.count <= 200 else {
            throw APIError.badRequest("a lead id is 1 to 200 characters (percent-encoded in the path)", field: "id")
        }
        return id
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 100 }
        guard let n = Int(text), (1...1000).contains(n) else {
            throw APIError.badRequest("'limit' is '\(text)'; give a whole number from 1 to 1000", field: "limit")
        }
        return n
    }

    static func openAPIDocument() -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = FileManager.default.contents(atPath: url.path) else {
            return APIError(status: .internalServerError, code: "internal", message: "the OpenAPI document is missing from this build", field: nil).response
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func health() async throws -> Response {
        let (leads, events) = try await store.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM leads") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0)
        }
        struct Health: Encodable { var status = "ok"; var modelVersion: String; var leads: Int; var events: Int }
        return Responses.json(Health(modelVersion: engine.modelVersion, leads: leads, events: events))
    }

    func metricsText() async throws -> Response {
        let leads = try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM leads") ?? 0 }
        let text = metrics.text(storeBytes: store.sizeOnDisk, leads: leads, modelVersion: engine.modelVersion)
        return Responses.text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
