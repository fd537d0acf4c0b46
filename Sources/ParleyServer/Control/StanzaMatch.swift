import ParleyCore

/// Which stanzas a control API rule or event filter picks: every field given must match, and a rule with no field
/// matches every stanza.
///
/// Addresses match the way an operator names them: a full JID matches only that session, a bare JID every resource
/// of it, a domain every address on it (`focus.meet.jitsi`, `muc.meet.jitsi`). `namespace` matches the namespace
/// of any child element of the stanza (`urn:xmpp:jingle:1`, `jabber:iq:version`).
///
/// ```json
/// {"kind": "iq", "type": "set", "namespace": "http://jitsi.org/protocol/focus", "to": "focus.meet.jitsi"}
/// ```
public struct StanzaMatch: Sendable, Hashable {
    /// `message`, `presence` or `iq`.
    public var kind: Stanza.Kind?
    /// The stanza's `type` attribute (`get`, `set`, `result`, `error`, `groupchat`, `unavailable`…).
    public var type: String?
    public var namespace: String?
    public var from: JID?
    public var to: JID?

    public init(
        kind: Stanza.Kind? = nil,
        type: String? = nil,
        namespace: String? = nil,
        from: JID? = nil,
        to: JID? = nil
    ) {
        self.kind = kind
        self.type = type
        self.namespace = namespace
        self.from = from
        self.to = to
    }

    /// The keys a match object may have.
    public static let keys: Set<String> = ["kind", "type", "namespace", "from", "to"]

    /// Reads a match from a JSON object (the request body's `match`) or from query parameters; every value a
    /// string. Unknown keys and bad values are refused with a message naming them.
    public init(fields: [String: String]) throws(ControlRequestError) {
        if let unknown = fields.keys.filter({ !Self.keys.contains($0) }).sorted().first {
            throw ControlRequestError("unknown match key '\(unknown)' (allowed: kind, type, namespace, from, to)")
        }
        if let kind = fields["kind"] {
            guard let parsed = Stanza.Kind(rawValue: kind) else {
                throw ControlRequestError("kind must be message, presence or iq, not '\(kind)'")
            }
            self.kind = parsed
        }
        self.type = fields["type"].flatMap { $0.isEmpty ? nil : $0 }
        self.namespace = fields["namespace"].flatMap { $0.isEmpty ? nil : $0 }
        if let from = fields["from"] { self.from = try Self.address(from, "from") }
        if let to = fields["to"] { self.to = try Self.address(to, "to") }
    }

    private static func address(_ text: String, _ key: String) throws(ControlRequestError) -> JID {
        do {
            return try JID(text)
        } catch {
            throw ControlRequestError("\(key) is not a JID or domain: '\(text)'")
        }
    }

    /// Whether `stanza` matches every field given.
    public func matches(_ stanza: Stanza) -> Bool {
        if let kind = self.kind, stanza.kind != kind { return false }
        if let type = self.type, stanza.type != type { return false }
        if let pattern = self.from, !Self.address(stanza.from, matches: pattern) { return false }
        if let pattern = self.to, !Self.address(stanza.to, matches: pattern) { return false }
        if let namespace = self.namespace, !stanza.body.elements.contains(where: { $0.namespace == namespace }) {
            return false
        }
        return true
    }

    /// A full JID names one session, a bare JID an account or room, a domain everything on it.
    public static func address(_ address: JID?, matches pattern: JID) -> Bool {
        guard let address else { return false }
        if pattern.resourcepart != nil { return address == pattern }
        if pattern.localpart != nil { return address.bare == pattern }
        return address.domainpart == pattern.domainpart
    }

    /// The match as JSON (the control API's fault listing).
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let kind = self.kind { object["kind"] = .string(kind.rawValue) }
        if let type = self.type { object["type"] = .string(type) }
        if let namespace = self.namespace { object["namespace"] = .string(namespace) }
        if let from = self.from { object["from"] = .string(from.description) }
        if let to = self.to { object["to"] = .string(to.description) }
        return .object(object)
    }
}

/// A request the control API refuses: 400 with `{"error": message}`.
public struct ControlRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
