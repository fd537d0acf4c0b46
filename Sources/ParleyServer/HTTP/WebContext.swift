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
