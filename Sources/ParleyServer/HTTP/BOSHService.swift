import Logging
import NIOCore
import NIOHTTP1
import ParleyCore
import ParleyTransports
import Synchronization

/// Every BOSH session by sid (XEP-0124). Requests arrive on any connection and event loop; each is handed
/// to its session's own loop.
final class BOSHService: Sendable {
    typealias Respond = @Sendable (HTTPResponseStatus, [UInt8]) -> Void

    struct Settings: Sendable {
        /// XEP-0124 §7.1: the longest a request is held (Jitsi's clients ask for 60 s).
        var maxWait = 60
        /// Requests held at once (XEP-0124 `hold`; Prosody's BOSH_HOLD = 1).
        var hold = 1
        /// Requests a client may have outstanding (`requests` = hold + 1).
        var requests = 2
        /// A session with no request for this long ends (Prosody `bosh_max_inactivity`).
        var inactivity = 60
        var maxBodyBytes = 256 * 1024 + 8192
        /// Output that may wait for the client's next request (`c2s.max_output_backlog`); beyond it the session
        /// is terminated with `policy-violation` (XEP-0124 §11, §17.2): the client broke the session rules by not
        /// collecting what it was sent.
        var maxPendingBytes = XMPPServer.Configuration.defaultMaxOutputBacklog
    }

    let settings: Settings
    private let sessions = Mutex<[String: NIOLoopBound<BOSHSession>]>([:])
    private let group: any EventLoopGroup
    private let context = Mutex<WebContextReference?>(nil)

    init(settings: Settings, group: any EventLoopGroup) {
        self.settings = settings
        self.group = group
    }

    /// Set once, when the web listener starts (the web context holds this service).
    func attach(_ web: WebContext) { self.context.withLock { $0 = WebContextReference(web) } }

    var count: Int { self.sessions.withLock { $0.count } }

    /// One body parser per event loop (`BOSHBodyParser`).
    private let bodyParsers = PerEventLoop<BOSHBodyParser>()

    func handle(body: ByteBuffer, query: HTTPQuery, channel: any Channel, respond: @escaping Respond) {
        let parsed: BOSHBody
        do {
            let parser = self.bodyParsers.value(for: channel.eventLoop) { _ in BOSHBodyParser() }.value
            parsed = try body.withUnsafeReadableBytes {
                try parser.body(parsing: $0, maxBytes: self.settings.maxBodyBytes)
            }
        } catch {
            return respond(.badRequest, BOSHBody.terminate(condition: "bad-request"))
        }
        // XEP-0124 §14: a rid is below 2^53, which also keeps the window arithmetic far from overflow.
        guard let rid = parsed.rid, rid < 1 << 53 else {
            return respond(.badRequest, BOSHBody.terminate(condition: "bad-request"))
        }
        guard let sid = parsed.sid else {
            self.create(parsed, rid: rid, query: query, channel: channel, respond: respond)
            return
        }
        guard let bound = self.sessions.withLock({ $0[sid] }) else {
            self.context.withLock { $0?.web }?.c2s.metrics.boshBadSID.increment()
            return respond(.notFound, BOSHBody.terminate(condition: "item-not-found"))
        }
        bound.eventLoop.execute { bound.value.request(parsed, rid: rid, respond: respond) }
    }

    private func create(
        _ body: BOSHBody,
        rid: UInt64,
        query: HTTPQuery,
        channel: any Channel,
        respond: @escaping Respond
    ) {
        guard let web = self.context.withLock({ $0?.web }) else { return respond(.serviceUnavailable, []) }
        web.c2s.metrics.boshNewSID.increment()
        let sid = SecureRandom.string(count: 24, alphabet: SecureRandom.lowercaseAlphanumerics)
        let requestedWait = body[attribute: "wait"].flatMap(Int.init) ?? self.settings.maxWait
        let requestedHold = body[attribute: "hold"].flatMap(Int.init) ?? self.settings.hold
        let eventLoop = channel.eventLoop
        let session = BOSHSession(
            sid: sid,
            web: web,
            service: self,
            eventLoop: eventLoop,
            timers: web.c2s.timers(on: eventLoop),
            query: query,
            wait: max(1, min(requestedWait, self.settings.maxWait)),
            hold: max(0, min(requestedHold, self.settings.hold)),
            firstRID: rid
        )
        // Created on the request's loop, which owns the session from now on.
        let bound = NIOLoopBound(session, eventLoop: eventLoop)
        self.sessions.withLock { $0[sid] = bound }
        session.create(body, respond: respond)
    }

    func remove(_ sid: String) { self.sessions.withLock { $0[sid] = nil } }
}

/// Breaks the reference cycle WebContext → BOSHService → WebContext.
final class WebContextReference: Sendable {
    weak let web: WebContext?
    init(_ web: WebContext) { self.web = web }
}
