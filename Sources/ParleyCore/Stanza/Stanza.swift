import ParleyXML

/// A routed top-level element: `<message/>`, `<presence/>` or `<iq/>` (RFC 6120 §8).
///
/// The envelope (`to`, `from`, `type`, `id`) is typed; the payload stays the element it arrived as, so
/// Jitsi's presence extensions and Jingle payloads pass through byte-for-byte.
///
/// ```
/// <iq type='get' id='p1' to='meet.jitsi'><ping xmlns='urn:xmpp:ping'/></iq>
/// ```
public struct Stanza: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case message, presence, iq
    }

    public let kind: Kind
    /// The element, with `from`/`to` kept in step with the typed fields.
    public private(set) var element: XMLElement
    public var from: JID? {
        didSet {
            self.element[attribute: "from"] = self.from?.description
            self.serialized = nil
        }
    }
    /// The stanza's bytes without `to`, shared by every recipient of a broadcast; nil until `prepareBroadcast`.
    /// Changing `from` or the element drops it; changing `to` keeps it (the bytes have no `to`).
    public private(set) var serialized: StanzaBytes?

    /// This stanza for one recipient of a broadcast: the same bytes, another `to`.
    public func addressed(to recipient: JID) -> Stanza {
        var copy = self
        copy.to = recipient
        return copy
    }

    /// Serializes once so that each recipient's copy only splices in its `to`.
    public mutating func prepareBroadcast() {
        if self.serialized == nil { self.serialized = StanzaBytes(self.element) }
    }
    public var to: JID? {
        didSet { self.element[attribute: "to"] = self.to?.description }
    }

    public var id: String? { self.element[attribute: "id"] }
    public var type: String? { self.element[attribute: "type"] }

    /// Validates a top-level element as a stanza (RFC 6120 §8.1–8.2):
    /// the name, `to`/`from` JIDs (`jid-malformed`), and the IQ shape (`bad-request`: an id, a known type,
    /// exactly one child for get and set). Throws `nil`-free: a non-stanza element gives `.unsupported`.
    public init(_ element: XMLElement) throws(StanzaValidationError) {
        guard element.namespace == Namespace.client || element.namespace.isEmpty,
            let kind = Kind(rawValue: element.name)
        else { throw .notAStanza }
        self.kind = kind
        self.element = element
        do {
            self.to = try element[attribute: "to"].map { s throws(JIDError) in try JID(s) }
            self.from = try element[attribute: "from"].map { s throws(JIDError) in try JID(s) }
        } catch {
            throw .invalid(StanzaError(.jidMalformed, text: "Invalid address: \(error)"), element)
        }
        if kind == .iq {
            let type = element[attribute: "type"]
            guard let id = element[attribute: "id"], !id.isEmpty else {
                throw .invalid(StanzaError(.badRequest, text: "IQ without an id"), element)
            }
            switch type {
            case "get", "set":
                guard element.elements.count == 1 else {
                    throw .invalid(StanzaError(.badRequest, text: "IQ get/set must have exactly one child"), element)
                }
            case "result":
                guard element.elements.count <= 1 else {
                    throw .invalid(StanzaError(.badRequest, text: "IQ result with more than one child"), element)
                }
            case "error": break
            default:
                throw .invalid(StanzaError(.badRequest, text: "Unknown IQ type"), element)
            }
        } else if kind == .presence, let type = element[attribute: "type"] {
            switch type {
            case "unavailable", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error": break
            default: throw .invalid(StanzaError(.badRequest, text: "Unknown presence type"), element)
            }
        }
        // RFC 6121 §5.2.2: an unknown message type is treated as "normal"; nothing to refuse.
    }

    /// Builds a stanza from a server-made element that is known to be valid.
    public init(unchecked element: XMLElement, kind: Kind, from: JID?, to: JID?) {
        self.kind = kind
        self.element = element
        self.from = from
        self.to = to
        self.element[attribute: "from"] = from?.description
        self.element[attribute: "to"] = to?.description
    }

    /// The single payload child of an IQ get/set.
    public var payload: XMLElement? { self.element.elements.first }

    public var isError: Bool { self.type == "error" }
    public var isIQRequest: Bool { self.kind == .iq && (self.type == "get" || self.type == "set") }

    /// Replaces the element's children (for server-side rewrites).
    public mutating func withElement(_ body: (inout XMLElement) -> Void) {
        self.serialized = nil
        body(&self.element)
        self.element[attribute: "from"] = self.from?.description
        self.element[attribute: "to"] = self.to?.description
    }

    /// The error reply RFC 6120 §8.3.1 prescribes: same kind and id, addresses swapped, `type='error'`.
    /// Never call this for a stanza that is itself an error (callers check `isError`).
    public func errorReply(_ error: StanzaError) -> Stanza {
        var reply = XMLElement(name: self.element.name, namespace: Namespace.client)
        if let id = self.id { reply[attribute: "id"] = id }
        reply[attribute: "type"] = "error"
        reply.append(error.element)
        return Stanza(unchecked: reply, kind: self.kind, from: self.to, to: self.from)
    }

    /// An IQ result for this get/set, addressed back to its sender, with an optional payload.
    public func resultReply(_ payload: XMLElement? = nil) -> Stanza {
        var reply = XMLElement(name: "iq", namespace: Namespace.client)
        if let id = self.id { reply[attribute: "id"] = id }
        reply[attribute: "type"] = "result"
        if let payload { reply.append(payload) }
        return Stanza(unchecked: reply, kind: .iq, from: self.to, to: self.from)
    }
}

/// Why an element is not a valid stanza.
public enum StanzaValidationError: Error, Sendable, Hashable {
    /// Not `message`, `presence` or `iq` in `jabber:client`: a stream-level `unsupported-stanza-type`.
    case notAStanza
    /// A stanza that is invalid; answer with this error (unless the element is itself of type error).
    case invalid(StanzaError, XMLElement)
}
