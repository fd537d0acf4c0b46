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
    private final class Storage: @unchecked Sendable {
        // @unchecked: mutated only through `Stanza.mutableStorage`, i.e. when uniquely referenced.
        let kind: Kind
        /// For a broadcast copy made by `addressed(to:)` the element's `to` attribute is stale
        /// (`elementToIsStale`): the shared bytes carry no `to`, and each copy is only written out.
        var element: XMLElement
        var elementToIsStale = false
        var to: JID?
        var from: JID?
        var serialized: StanzaBytes?

        init(kind: Kind, element: XMLElement) {
            self.kind = kind
            self.element = element
        }

        func copy() -> Storage {
            let copy = Storage(kind: self.kind, element: self.element)
            copy.elementToIsStale = self.elementToIsStale
            copy.to = self.to
            copy.from = self.from
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

    /// The element, with `from`/`to` in step with the typed fields.
    public var element: XMLElement {
        guard self.storage.elementToIsStale else { return self.storage.element }
        var element = self.storage.element
        element[attribute: "to"] = self.storage.to?.description
        return element
    }

    public var from: JID? {
        get { self.storage.from }
        set {
            let storage = self.mutableStorage
            storage.from = newValue
            storage.element[attribute: "from"] = newValue?.description
            storage.serialized = nil
        }
    }

    /// The stanza's bytes without `to`, shared by every recipient of a broadcast; nil until `prepareBroadcast`.
    /// Changing `from` or the element drops it; changing `to` keeps it (the bytes have no `to`).
    public var serialized: StanzaBytes? { self.storage.serialized }

    /// This stanza for one recipient of a broadcast: the same bytes, another `to`. With the bytes
    /// prepared, the copy shares the element untouched (no per-recipient copy of its attributes).
    public func addressed(to recipient: JID) -> Stanza {
        var copy = self
        if self.storage.serialized != nil {
            let storage = copy.mutableStorage
            storage.to = recipient
            storage.elementToIsStale = true
        } else {
            copy.to = recipient
        }
        return copy
    }

    /// Serializes once so that each recipient's copy only splices in its `to`.
    public mutating func prepareBroadcast() {
        guard self.storage.serialized == nil else { return }
        let storage = self.mutableStorage
        storage.serialized = StanzaBytes(storage.element)
    }

    public var to: JID? {
        get { self.storage.to }
        set {
            let storage = self.mutableStorage
            storage.to = newValue
            storage.element[attribute: "to"] = newValue?.description
            storage.elementToIsStale = false
        }
    }

    public var id: String? { self.storage.element[attribute: "id"] }
    public var type: String? { self.storage.element[attribute: "type"] }

    /// Validates a top-level element as a stanza (RFC 6120 §8.1–8.2):
    /// the name, `to`/`from` JIDs (`jid-malformed`), and the IQ shape (`bad-request`: an id, a known type,
    /// exactly one child for get and set). Throws `nil`-free: a non-stanza element gives `.unsupported`.
    public init(_ element: XMLElement) throws(StanzaValidationError) {
        guard element.namespace == Namespace.client || element.namespace.isEmpty,
            let kind = Kind(rawValue: element.name)
        else { throw .notAStanza }
        let storage = Storage(kind: kind, element: element)
        self.storage = storage
        do {
            storage.to = try element[attribute: "to"].map { s throws(JIDError) in try JID(s) }
            storage.from = try element[attribute: "from"].map { s throws(JIDError) in try JID(s) }
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
        let storage = Storage(kind: kind, element: element)
        storage.from = from
        storage.to = to
        storage.element[attribute: "from"] = from?.description
        storage.element[attribute: "to"] = to?.description
        self.storage = storage
    }

    /// The single payload child of an IQ get/set.
    public var payload: XMLElement? { self.storage.element.elements.first }

    public var isError: Bool { self.type == "error" }
    public var isIQRequest: Bool { self.kind == .iq && (self.type == "get" || self.type == "set") }

    /// Replaces the element's children (for server-side rewrites).
    public mutating func withElement(_ body: (inout XMLElement) -> Void) {
        let storage = self.mutableStorage
        storage.serialized = nil
        body(&storage.element)
        storage.element[attribute: "from"] = storage.from?.description
        storage.element[attribute: "to"] = storage.to?.description
        storage.elementToIsStale = false
    }

    /// The error reply RFC 6120 §8.3.1 prescribes: same kind and id, addresses swapped, `type='error'`.
    /// Never call this for a stanza that is itself an error (callers check `isError`).
    public func errorReply(_ error: StanzaError) -> Stanza {
        var reply = XMLElement(name: self.storage.element.name, namespace: Namespace.client)
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
        a.kind == b.kind && a.from == b.from && a.to == b.to && a.element == b.element
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.kind)
        hasher.combine(self.to)
        hasher.combine(self.storage.element.name)
    }
}

/// Why an element is not a valid stanza.
public enum StanzaValidationError: Error, Sendable, Hashable {
    /// Not `message`, `presence` or `iq` in `jabber:client`: a stream-level `unsupported-stanza-type`.
    case notAStanza
    /// A stanza that is invalid; answer with this error (unless the element is itself of type error).
    case invalid(StanzaError, XMLElement)
}
