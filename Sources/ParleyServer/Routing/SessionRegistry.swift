import ParleyCore
import Synchronization

/// Every bound session, by bare JID and resource. The one owner of that map; short critical sections.
public final class SessionRegistry: Sendable {
    private let sessions = Mutex<[JID: [String: SessionHandle]]>([:])

    public init() {}

    /// Registers `handle` under its full JID. Returns the session it replaces (RFC 6120 §7.7.2.2: the
    /// newer bind wins; the caller ends the old one with a `conflict` stream error).
    @discardableResult
    func bind(_ handle: SessionHandle) -> SessionHandle? {
        guard let resource = handle.jid.resourcepart else { return nil }
        return self.sessions.withLock { map in
            let old = map[handle.jid.bare, default: [:]].updateValue(handle, forKey: resource)
            return old === handle ? nil : old
        }
    }

    /// Removes `handle`, if it is still the one registered under its JID.
    func unbind(_ handle: SessionHandle) {
        guard let resource = handle.jid.resourcepart else { return }
        self.sessions.withLock { map in
            let bare = handle.jid.bare
            guard map[bare]?[resource] === handle else { return }
            map[bare]?[resource] = nil
            if map[bare]?.isEmpty == true { map[bare] = nil }
        }
    }

    /// The session bound to this full JID.
    public func session(_ full: JID) -> SessionHandle? {
        guard let resource = full.resourcepart else { return nil }
        return self.sessions.withLock { $0[full.bare]?[resource] }
    }

    /// All sessions of an account.
    public func sessions(of bare: JID) -> [SessionHandle] {
        self.sessions.withLock { map in map[bare.bare].map { Array($0.values) } ?? [] }
    }

    /// Whether a resource is taken.
    func isBound(_ full: JID) -> Bool { self.session(full) != nil }

    /// How many sessions are bound in all.
    public var count: Int { self.sessions.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}

extension SessionRegistry {
    /// Ends every session (server shutdown).
    func closeAll(_ error: StreamError) {
        let all = self.sessions.withLock { map in map.values.flatMap(\.values) }
        for session in all { session.close(error) }
    }
}
