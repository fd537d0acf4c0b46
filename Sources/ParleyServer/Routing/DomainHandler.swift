import ParleyCore

/// A service that owns a whole domain: a MUC service, a component such as the focus proxy.
/// The router hands it every stanza addressed to that domain (ejabberd's `find_routes`).
public protocol DomainHandler: Sendable {
    /// Handles one stanza whose `to` is in this domain. `from` is the sending session when local.
    func handle(_ stanza: Stanza, from session: SessionHandle?, router: StanzaRouter)
    /// A session ended: forget it (for example, leave its rooms).
    func sessionEnded(_ session: SessionHandle, router: StanzaRouter)
    /// Identities and features this domain adds to the host's disco#info (XEP-0030), if any.
    var discoIdentity: DiscoIdentity? { get }
}

extension DomainHandler {
    public func sessionEnded(_ session: SessionHandle, router: StanzaRouter) {}
    public var discoIdentity: DiscoIdentity? { nil }
}

/// An XEP-0030 identity: `<identity category='…' type='…' name='…'/>`.
public struct DiscoIdentity: Sendable, Hashable {
    public var category: String
    public var type: String
    public var name: String?

    public init(category: String, type: String, name: String? = nil) {
        self.category = category
        self.type = type
        self.name = name
    }
}
