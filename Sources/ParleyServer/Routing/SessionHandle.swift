import NIOCore
import ParleyCore
import Synchronization

/// Where a session's outbound stanzas go: a channel for TCP and WebSocket, a queue for BOSH.
public protocol StanzaSink: AnyObject, Sendable {
    /// Queues `stanza` for the client. Thread-safe; hops to the session's event loop.
    func deliver(_ stanza: Stanza)
    /// The loop the session lives on.
    var eventLoop: any EventLoop { get }
    /// Queues `stanza` for the client; only on `eventLoop` (a caller batching hops to it).
    func deliverInEventLoop(_ stanza: Stanza)
    /// Ends the session with a stream error (nil: a clean close).
    func close(_ error: StreamError?)
    /// Cuts the connection without closing the stream, as a crashed client's would (the control API's fault).
    func dropConnection()
    /// Ends the session whatever its state, a hibernating XEP-0198 session included (the control API's reset).
    func terminate(_ error: StreamError)
    /// Cuts the connection as a server restart would, keeping or losing the XEP-0198 state (the control API).
    func restart(keepResumption: Bool)
}

extension StanzaSink {
    public func dropConnection() { self.close(nil) }
    public func terminate(_ error: StreamError) { self.close(error) }
    public func restart(keepResumption: Bool) { self.close(nil) }
}

/// A bound client session (RFC 6120 §7) as the rest of the server sees it: its full JID, its availability
/// (RFC 6121 §4.2 initial presence and priority) and where to deliver stanzas. Shared across event loops.
public final class SessionHandle: Sendable, Hashable, CustomStringConvertible {
    public let jid: JID
    /// Where stanzas go; a resumed session (XEP-0198) points it at its new connection.
    private let sink: Mutex<any StanzaSink>
    private let presence = Mutex<(available: Bool, priority: Int, stanza: Stanza?)>((false, 0, nil))
    private let live = Atomic<Bool>(true)
    /// The room of a web session's URL (`?room=&prefix=`), nil for TCP sessions and web sessions without one.
    public let webRoom: WebSessionRoom?
    /// The `room` claim of the token the session logged in with (Jitsi's `jitsi_meet_room`); nil without one.
    public let tokenRoom: String?
    /// The `sub` claim of that token when its host verifies it (Jitsi's `jitsi_meet_domain` with
    /// `enable_domain_verification`); nil otherwise.
    public let tokenSubject: String?
    /// The token it logged in with says `context.user.moderator: true` (Jitsi's `token_affiliation`).
    public let isTokenModerator: Bool

    init(
        jid: JID,
        sink: any StanzaSink,
        webRoom: WebSessionRoom? = nil,
        tokenRoom: String? = nil,
        tokenSubject: String? = nil,
        isTokenModerator: Bool = false
    ) {
        self.jid = jid
        self.sink = Mutex(sink)
        self.webRoom = webRoom
        self.tokenRoom = tokenRoom
        self.tokenSubject = tokenSubject
        self.isTokenModerator = isTokenModerator
    }

    /// Where stanzas go right now.
    var currentSink: any StanzaSink { self.sink.withLock { $0 } }
    public func deliver(_ stanza: Stanza) { self.currentSink.deliver(stanza) }
    public func close(_ error: StreamError?) { self.currentSink.close(error) }
    /// Cuts the connection without closing the stream (the control API's fault).
    public func dropConnection() { self.currentSink.dropConnection() }
    /// Ends the session, hibernating or not (the control API's reset).
    public func terminate(_ error: StreamError) { self.currentSink.terminate(error) }
    /// Cuts the connection as a server restart would (the control API).
    public func restart(keepResumption: Bool) { self.currentSink.restart(keepResumption: keepResumption) }

    func retarget(to sink: any StanzaSink) { self.sink.withLock { $0 = sink } }

    /// True until the registry unbinds the session (it ended, or another bind replaced it).
    public var isLive: Bool { self.live.load(ordering: .acquiring) }

    func markUnbound() { self.live.store(false, ordering: .releasing) }

    /// True once the client has sent initial presence and until it sends unavailable.
    public var isAvailable: Bool { self.presence.withLock { $0.available } }
    public var priority: Int { self.presence.withLock { $0.priority } }

    /// The session's last available broadcast presence (RFC 6121 §4.2, §4.4), as it was sent: what the user's
    /// other resources get when they come online (§4.2.2). Nil while unavailable.
    public var lastPresence: Stanza? { self.presence.withLock { $0.stanza } }

    func setPresence(available: Bool, priority: Int, stanza: Stanza? = nil) {
        self.presence.withLock { $0 = (available, priority, available ? stanza : nil) }
    }

    public static func == (a: SessionHandle, b: SessionHandle) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
    public var description: String { "session(\(self.jid))" }
}
