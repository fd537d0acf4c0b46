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

    /// The envelope and element, shared by copies until one of them changes (copy on write): a broadcast
    /// hands one `Stanza` per recipient through several arrays, and each copy is then one reference.
    ///
    /// The addresses have one representation: the typed `to` and `from`. `body` is the element without its `to`
    /// and `from` attributes, and `serialized` is a cache derived from `body` and `from` (never `to`, which each
    /// recipient's copy splices in), dropped whenever either changes.
    private final class Storage: @unchecked Sendable {
        // @unchecked: mutated only through `Stanza.mutableStorage`, i.e. when uniquely referenced.
        let kind: Kind
        var body: XMLElement
        var to: JID?
        var from: JID?
        var serialized: StanzaBytes?

        init(kind: Kind, body: XMLElement, from: JID?, to: JID?) {
            self.kind = kind
            self.body = body
            self.from = from
            self.to = to
        }

        func copy() -> Storage {
            let copy = Storage(kind: self.kind, body: self.body, from: self.from, to: self.to)
            copy.serialized = self.serialized
            return copy
        }
    }

    private var storage: Storage

    private var mutableStorage: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&self.storage) { self.storage = self.storage.copy() }
            return self.storage
        }
    }

    public var kind: Kind { self.storage.kind }

    /// The element as it goes on the wire: `body` with `from` and `to` written in. Built on each call; readers
    /// of the payload use `body`.
    public var element: XMLElement {
        var element = self.storage.body
        if let from = self.storage.from { element[attribute: "from"] = from.description }
        if let to = self.storage.to { element[attribute: "to"] = to.description }
        return element
    }

    /// The element without `to` and `from` (they are `to` and `from`): its name, other attributes and children.
    public var body: XMLElement { self.storage.body }

    public var from: JID? {
        get { self.storage.from }
        set {
            let storage = self.mutableStorage
            storage.from = newValue
            storage.serialized = nil
        }
    }

    /// The stanza's bytes without `to` (with `from`), shared by every recipient of a broadcast; nil until
    /// `prepareBroadcast`. Changing `from` or the body drops them; changing `to` keeps them.
    public var serialized: StanzaBytes? { self.storage.serialized }

    /// This stanza for one recipient of a broadcast: the same storage but for `to` (and the same bytes).
    public func addressed(to recipient: JID) -> Stanza {
        var copy = self
        copy.to = recipient
        return copy
    }

    /// Serializes once so that each recipient's copy only splices in its `to`.
    public mutating func prepareBroadcast() {
        guard self.storage.serialized == nil else { return }
        let storage = self.mutableStorage
        storage.serialized = StanzaBytes(storage.body, from: storage.from)
    }

    /// Takes `bytes` as this stanza's serialized form, made by its caller from another stanza's (a MUC self-presence
    /// from the copy others get, `StanzaBytes.inserting(_:beforeClosing:)`). They must be what `prepareBroadcast`
    /// would write; debug builds, which run the tests, check it.
    public mutating func useSerialized(_ bytes: StanzaBytes) {
        let storage = self.mutableStorage
        assert(StanzaBytes(storage.body, from: storage.from) == bytes, "serialized bytes differ from the stanza")
        storage.serialized = bytes
    }

    public var to: JID? {
        get { self.storage.to }
        set { self.mutableStorage.to = newValue }
    }

    public var id: String? { self.storage.body[attribute: "id"] }
    public var type: String? { self.storage.body[attribute: "type"] }

    /// Validates a top-level element as a stanza (RFC 6120 §8.1–8.2):
    /// the name, `to`/`from` JIDs (`jid-malformed`), and the IQ shape (`bad-request`: an id, a known type,
    /// exactly one child for get and set). Throws `nil`-free: a non-stanza element gives `.unsupported`.
    public init(_ element: XMLElement) throws(StanzaValidationError) {
        guard element.namespace == Namespace.client || element.namespace.isEmpty,
            let kind = Kind(rawValue: element.name)
        else { throw .notAStanza }
        let to: JID?
        let from: JID?
        do {
            to = try element[attribute: "to"].map { s throws(JIDError) in try JID(s) }
            from = try element[attribute: "from"].map { s throws(JIDError) in try JID(s) }
        } catch {
            throw .invalid(StanzaError(.jidMalformed, text: "Invalid address: \(error)"), element)
        }
        self.storage = Storage(kind: kind, body: Stanza.withoutAddresses(element), from: from, to: to)
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
    /// `element`'s own `to` and `from`, if any, are dropped: the addresses are `from` and `to`.
    public init(unchecked element: XMLElement, kind: Kind, from: JID?, to: JID?) {
        self.storage = Storage(kind: kind, body: Stanza.withoutAddresses(element), from: from, to: to)
    }

    private static func withoutAddresses(_ element: XMLElement) -> XMLElement {
        guard element.attributes.contains(where: { ($0.name == "to" || $0.name == "from") && $0.namespace.isEmpty })
        else { return element }
        var body = element
        body.attributes.removeAll { ($0.name == "to" || $0.name == "from") && $0.namespace.isEmpty }
        return body
    }

    /// The single payload child of an IQ get/set.
    public var payload: XMLElement? { self.storage.body.elements.first }

    public var isError: Bool { self.type == "error" }
    public var isIQRequest: Bool { self.kind == .iq && (self.type == "get" || self.type == "set") }

    /// Rewrites the body (children and attributes other than the addresses, which are `to` and `from`).
    public mutating func withElement(_ body: (inout XMLElement) -> Void) {
        let storage = self.mutableStorage
        storage.serialized = nil
        body(&storage.body)
        storage.body = Stanza.withoutAddresses(storage.body)
    }

    /// The error reply RFC 6120 §8.3.1 prescribes: same kind and id, addresses swapped, `type='error'`.
    /// Never call this for a stanza that is itself an error (callers check `isError`).
    public func errorReply(_ error: StanzaError) -> Stanza {
        var reply = XMLElement(name: self.storage.body.name, namespace: Namespace.client)
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

extension Stanza {
    /// Equal when the kind, addresses and element (as written out) are.
    public static func == (a: Stanza, b: Stanza) -> Bool {
        a.kind == b.kind && a.from == b.from && a.to == b.to && a.body == b.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.kind)
        hasher.combine(self.to)
        hasher.combine(self.storage.body.name)
    }
}

/// Why an element is not a valid stanza.
public enum StanzaValidationError: Error, Sendable, Hashable {
    /// Not `message`, `presence` or `iq` in `jabber:client`: a stream-level `unsupported-stanza-type`.
    case notAStanza
    /// A stanza that is invalid; answer with this error (unless the element is itself of type error).
    case invalid(StanzaError, XMLElement)
}
