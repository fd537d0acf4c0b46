import NIOCore
import NIOHTTP1
import ParleyCore
import ParleyTransports

/// What every web connection shares: the c2s context, BOSH sessions, CORS and the room-name policy.
final class WebContext: Sendable {
    let c2s: C2SContext
    let bosh: BOSHService
    /// Origins allowed to call BOSH from a browser (XEP-0124 §4: CORS). Empty: same-origin only.
    let corsOrigins: Set<String>
    /// The web transports sit behind nginx, which terminates TLS (Jitsi's `consider_*_secure`).
    let secure: Bool
    let maxBodyBytes: Int
    private let roomNamePolicy: @Sendable (String) -> StanzaError?
    /// `/health`, `/ready`, `/metrics` and the occupancy endpoints; the shard identity headers.
    let operators: OperatorEndpoints

    init(
        c2s: C2SContext,
        bosh: BOSHService,
        corsOrigins: Set<String>,
        secure: Bool,
        maxBodyBytes: Int,
        roomNamePolicy: @escaping @Sendable (String) -> StanzaError?,
        operators: OperatorEndpoints
    ) {
        self.operators = operators
        self.c2s = c2s
        self.bosh = bosh
        self.corsOrigins = corsOrigins
        self.secure = secure
        self.maxBodyBytes = maxBodyBytes
        self.roomNamePolicy = roomNamePolicy
    }

    /// An early refusal of the `room` query parameter (the name itself is never logged).
    func roomRefusal(_ query: HTTPQuery) -> StanzaError? {
        guard let room = query["room"], !room.isEmpty else { return nil }
        return self.roomNamePolicy(room)
    }

    /// What answers an HTTP response: status, content type, body and the headers beyond the common ones.
    typealias Answer = @Sendable (HTTPResponseStatus, _ contentType: String, _ body: [UInt8], HTTPHeaders) -> Void

    /// A POST to `/http-bind`, through NIO's pipeline (`HTTPHandler`) or the plain path (`BOSHHTTPHandler`): the
    /// body limit, the room-name policy, then the BOSH session (XEP-0124, XEP-0206), answered with CORS and the
    /// shard identity headers. `answer` is called once, on any loop.
    func postBOSH(
        body: ByteBuffer?,
        tooLarge: Bool,
        query: HTTPQuery,
        origin: String?,
        channel: any Channel,
        answer: @escaping Answer
    ) {
        if tooLarge {
            return answer(.payloadTooLarge, WebContext.plainText, [], [:])
        }
        if let refusal = self.roomRefusal(query) {
            return answer(
                .forbidden,
                WebContext.plainText,
                Array(((refusal.text ?? "room name refused") + "\n").utf8),
                [:]
            )
        }
        var headers = self.corsHeaders(origin: origin, preflight: false)
        headers.add(contentsOf: self.operators.identity.headers)
        let extra = headers
        self.bosh.handle(body: body ?? ByteBuffer(), query: query, channel: channel) { status, bytes in
            answer(status, WebContext.xml, bytes, extra)
        }
    }

    static let plainText = "text/plain; charset=utf-8"
    static let xml = "text/xml; charset=utf-8"

    func corsHeaders(origin: String?, preflight: Bool) -> HTTPHeaders {
        guard let origin, self.corsOrigins.contains(origin) || self.corsOrigins.contains("*") else { return [:] }
        var headers = HTTPHeaders()
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        headers.add(name: "Vary", value: "Origin")
        if preflight {
            headers.add(name: "Access-Control-Allow-Methods", value: "GET, POST, OPTIONS")
            headers.add(name: "Access-Control-Allow-Headers", value: "Content-Type")
            headers.add(name: "Access-Control-Max-Age", value: "7200")
        }
        return headers
    }
}
