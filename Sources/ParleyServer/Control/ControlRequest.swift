import Foundation
import NIOHTTP1
import ParleyCore

/// One control API request, read whole: method, path segments (percent-decoded), query and body.
struct ControlRequest: Sendable {
    var method: HTTPMethod
    /// The path below `/control`, split at `/`: `rooms`, `abc@muc.meet.jitsi` for `/control/rooms/abc@muc.meet.jitsi`.
    var segments: [String]
    var query: [String: String]
    var body: [UInt8]

    /// The request for `uri`, or nil when it is not under `/control`.
    init?(method: HTTPMethod, uri: String, body: [UInt8]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        guard path == "/control" || path.hasPrefix("/control/") else { return nil }
        self.method = method
        self.segments = path.dropFirst("/control".count).split(separator: "/").map {
            String($0).removingPercentEncoding ?? String($0)
        }
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decode(keyValue[0])
                guard !key.isEmpty else { continue }
                query[key] = keyValue.count > 1 ? Self.decode(keyValue[1]) : ""
            }
        }
        self.query = query
        self.body = body
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// A control API answer: a status and a JSON body.
struct ControlResponse: Sendable {
    var status: HTTPResponseStatus
    var body: JSONValue

    init(_ status: HTTPResponseStatus = .ok, _ body: JSONValue) {
        self.status = status
        self.body = body
    }

    /// `{"error": message}` with `status`.
    static func error(_ status: HTTPResponseStatus, _ message: String) -> ControlResponse {
        ControlResponse(status, .object(["error": .string(message)]))
    }
}
