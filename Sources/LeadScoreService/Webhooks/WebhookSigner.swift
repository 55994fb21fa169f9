import Crypto
import Foundation

/// Standard Webhooks signing: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
/// keyed with the secret's decoded bytes (`whsec_<base64>`). HMAC from swift-crypto.
enum WebhookSigner {
    static func newSecret() -> String {
        "whsec_" + Data(RandomBytes.bytes(32)).base64EncodedString()
    }

    /// The key bytes of a `whsec_` secret.
    static func key(_ secret: String) -> SymmetricKey? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let data = Data(base64Encoded: encoded), !data.isEmpty else { return nil }
        return SymmetricKey(data: data)
    }

    /// `v1,<signature>` for each secret (during a rotation both sign: space-separated).
    static func signature(id: String, timestamp: Int, body: Data, secrets: [String]) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        return secrets.compactMap { key($0) }.map { key in
            "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
        }.joined(separator: " ")
    }
}
