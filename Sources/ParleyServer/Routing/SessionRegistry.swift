import ParleyCore
import Synchronization

/// Every bound session, by bare JID and resource. The one owner of that map; short critical sections.
public final class SessionRegistry: Sendable {
    /// Sessions by bare JID then resource, and the same sessions by full JID (one lookup when routing).
    private struct Maps {
        var byBare: [JID: [String: SessionHandle]] = [:]
        var byFull: [JID: SessionHandle] = [:]
    }

    private let sessions = Mutex(Maps())

    public init() {}

    /// Registers `handle` under its full JID. Returns the session it replaces (RFC 6120 §7.7.2.2: the
    /// newer bind wins; the caller ends the old one with a `conflict` stream error).
    @discardableResult
    func bind(_ handle: SessionHandle) -> SessionHandle? {
        guard let resource = handle.jid.resourcepart else { return nil }
        return self.sessions.withLock { maps in
            let old = maps.byBare[handle.jid.bare, default: [:]].updateValue(handle, forKey: resource)
            maps.byFull[handle.jid] = handle
            guard let old, old !== handle else { return nil }
            old.markUnbound()
            return old
        }
    }

    /// Removes `handle`, if it is still the one registered under its JID.
    func unbind(_ handle: SessionHandle) {
        guard let resource = handle.jid.resourcepart else { return }
        self.sessions.withLock { maps in
            let bare = handle.jid.bare
            guard maps.byBare[bare]?[resource] === handle else { return }
            handle.markUnbound()
            maps.byBare[bare]?[resource] = nil
            if maps.byBare[bare]?.isEmpty == true { maps.byBare[bare] = nil }
            maps.byFull[handle.jid] = nil
            // Dictionaries keep their capacity: give a storm's worth back once nobody is bound.
            if maps.byFull.isEmpty { maps = Maps() }
        }
    }

    /// The session bound to this full JID.
    public func session(_ full: JID) -> SessionHandle? {
        guard full.resourcepart != nil else { return nil }
        return self.sessions.withLock { $0.byFull[full] }
    }

    /// The sessions bound to these full JIDs, in one critical section (a room's broadcast).
    func sessions(_ fulls: [JID?]) -> [SessionHandle?] {
        self.sessions.withLock { maps in
            fulls.map { full in full.flatMap { $0.resourcepart == nil ? nil : maps.byFull[$0] } }
        }
    }

    /// All sessions of an account.
    public func sessions(of bare: JID) -> [SessionHandle] {
        self.sessions.withLock { maps in maps.byBare[bare.bare].map { Array($0.values) } ?? [] }
    }

    /// Whether a resource is taken.
    func isBound(_ full: JID) -> Bool { self.session(full) != nil }

    /// Every bound session (the control API's listing).
    public var all: [SessionHandle] { self.sessions.withLock { Array($0.byFull.values) } }

    /// How many sessions are bound in all.
    public var count: Int { self.sessions.withLock { $0.byFull.count } }
}

extension SessionRegistry {
    /// Ends every session (server shutdown).
    func closeAll(_ error: StreamError) {
        let all = self.sessions.withLock { maps in Array(maps.byFull.values) }
        for session in all { session.close(error) }
    }
}
