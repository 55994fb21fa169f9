import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// A real `leadscore serve` process on a free loopback port, and a small HTTP client for it.
final class ServiceHarness: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    var base: String { "http://127.0.0.1:\(port)" }
    private let output = Pipe(), errors = Pipe()
    private let logLock = NSLock()
    private var logText = ""
    static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = 60
        c.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: c)
    }()

    /// Starts `binary serve ARGUMENTS --port 0` in `cwd` and waits for its "listening" line.
    init(binary: String, arguments: [String], cwd: String) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve"] + arguments + ["--port", "0"]
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardOutput = output
        process.standardError = errors
        let found = DispatchSemaphore(value: 0)
        for pipe in [output, errors] {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                let text = String(decoding: data, as: UTF8.self)
                let port: Int? = self.logLock.withLock {
                    self.logText += text
                    guard self.port == 0, let range = self.logText.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
                    return Int(self.logText[range].split(separator: ":").last ?? "")
                }
                if let port { self.port = port; found.signal() }
            }
        }
        try process.run()
        if found.wait(timeout: .now() + 120) == .timedOut || port == 0 {
            process.terminate()
            throw XCTSkip("the service did not start: \(log)")
        }
    }

    var log: String { logLock.withLock { logText } }

    /// Stops the server the hard way (no shutdown at all).
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        for pipe in [output, errors] { pipe.fileHandleForReading.readabilityHandler = nil }
    }

    struct Answer {
        var status: Int
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        /// Numbers read from the text with Double(text) (not JSONSerialization, which misrounds
        /// some 17-digit numbers on Linux): every value of `key` in the body, in order.
        func numbers(_ key: String) -> [Double] {
            let pattern = "\"\(key)\":(-?[0-9.eE+-]+)"
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
            return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
                Range(m.range(at: 1), in: text).flatMap { Double(text[$0]) }
            }
        }
    }

    @discardableResult
    func call(_ method: String, _ path: String, key: String? = nil, json: Any? = nil, body: Data? = nil,
              headers: [String: String] = [:]) throws -> Answer {
        guard let url = URL(string: base + path) else { throw XCTSkip("bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = body }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        final class Result: @unchecked Sendable { var answer: Answer?; var failure: Error? }
        let result = Result()
        ServiceHarness.session.dataTask(with: request) { data, response, error in
            if let error { result.failure = error } else {
                result.answer = Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data ?? Data())
            }
            done.signal()
        }.resume()
        done.wait()
        if let failure = result.failure { throw failure }
        return result.answer ?? Answer(status: 0, body: Data())
    }
}
