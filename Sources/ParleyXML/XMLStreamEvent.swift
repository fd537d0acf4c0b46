/// What the stream parser reports, in order (the shape of Prosody's `xmppstream` callbacks):
/// the root opened, each complete top-level child, the root closed.
public enum XMLStreamEvent: Sendable, Hashable {
    /// The root element's start tag: `<stream:stream …>` on TCP, `<body …>` for a BOSH request.
    case streamOpened(XMLStreamHeader)
    /// A complete child of the root: a stanza or a stream-level element.
    case element(XMLElement)
    /// The root's end tag.
    case streamClosed
}

/// The root element's start tag, with the namespace declarations it made.
public struct XMLStreamHeader: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var attributes: [XMLAttribute]
    /// The default namespace declared on the root (`jabber:client` for c2s), or empty.
    public var defaultNamespace: String
    /// Prefixes the root declared, e.g. `stream` → `http://etherx.jabber.org/streams`.
    public var prefixes: [String: String]

    public init(
        name: String,
        namespace: String,
        attributes: [XMLAttribute],
        defaultNamespace: String,
        prefixes: [String: String]
    ) {
        self.name = name
        self.namespace = namespace
        self.attributes = attributes
        self.defaultNamespace = defaultNamespace
        self.prefixes = prefixes
    }

    public subscript(attribute name: String) -> String? {
        self.attributes.first { $0.name == name && $0.namespace.isEmpty }?.value
    }
}

/// Why the parser refused its input. The session layer maps each kind to the stream error RFC 6120 names.
public struct XMLStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Not well-formed XML (RFC 6120 §4.9.3.13 `not-well-formed`).
        case notWellFormed
        /// A comment, processing instruction, DOCTYPE or entity declaration (§11.1, `restricted-xml`).
        case restrictedXML
        /// A top-level element over the size limit (§4.9.3.16 `policy-violation`).
        case stanzaTooLarge
        /// Elements nested past the depth limit (`policy-violation`).
        case tooDeep
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { self.message }
}
