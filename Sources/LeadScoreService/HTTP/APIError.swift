import Foundation
import Hummingbird

/// An error the API answers with: a status and `{"error": {"code", "message", "field"}}`.
struct APIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?

    static func badRequest(_ message: String, field: String?) -> APIError {
        APIError(status: .badRequest, code: "bad_request", message: message, field: field)
    }
    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message, field: nil)
    }
    static let unauthorized = APIError(status: .unauthorized, code: "unauthorized",
                                       message: "send a key: 'Authorization: Bearer KEY' (leadscore keys create)", field: nil)
    static func forbidden(_ needed: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden", message: "this key may not \(needed)", field: nil)
    }
    static func tooLarge(_ limit: Int) -> APIError {
        APIError(status: .contentTooLarge, code: "payload_too_large", message: "the body is larger than \(limit / 1000) KB", field: nil)
    }
    static func unsupportedEncoding(_ encoding: String) -> APIError {
        APIError(status: .unsupportedMediaType, code: "unsupported_media_type",
                 message: "Content-Encoding '\(encoding)' is not supported; send identity or gzip", field: nil)
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
            var field: String?
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(code, forKey: .code)
                try c.encode(message, forKey: .message)
                try c.encode(field, forKey: .field)  // null, not absent
            }
            enum CodingKeys: String, CodingKey { case code, message, field }
        }
        var error: Inner
    }

    var response: Response {
        Responses.json(Body(error: .init(code: code, message: message, field: field)), status: status)
    }
}

enum Responses {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        guard let data = try? encoder.encode(value) else {
            return Response(status: .internalServerError, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"code":"internal","message":"could not encode the response","field":null}}"#)))
        }
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
