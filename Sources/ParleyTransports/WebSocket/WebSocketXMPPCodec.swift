import ParleyCore
import ParleyXML

/// XMPP over WebSocket (RFC 7395): each text frame carries one complete top-level element; the stream
/// is opened and closed with `<open/>` and `<close/>` in `urn:ietf:params:xml:ns:xmpp-framing`.
///
/// ```
/// C: <open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="meet.jitsi" version="1.0"/>
/// S: <open xmlns="urn:ietf:params:xml:ns:xmpp-framing" from="meet.jitsi" id="…" version="1.0"/>
/// S: <stream:features xmlns:stream="http://etherx.jabber.org/streams">…</stream:features>
/// C: <message xmlns="jabber:client" to="…">…</message>
/// C: <close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>
/// ```
///
/// Decoding turns frames into the same `XMLStreamEvent`s the TCP parser gives, so the session layer
/// cannot tell the transports apart.
public struct WebSocketXMPPCodec {
    private var configuration: XMLStreamParser.Configuration
    public init(maxStanzaBytes: Int, maxDepth: Int = 100) {
        self.configuration = .init(maxStanzaBytes: maxStanzaBytes, maxDepth: maxDepth)
    }

    /// Allows larger frames for service accounts.
    public mutating func raiseLimit(to bytes: Int) { self.configuration.maxStanzaBytes = bytes }

    /// Decodes one text frame with the loop's shared parser (`ElementSequenceParser`). Throws `XMLStreamError` for
    /// bad XML or a frame that is not exactly one element.
    public func decode(frame bytes: UnsafeRawBufferPointer, with parser: ElementSequenceParser) throws -> XMLStreamEvent
    {
        Self.event(for: try parser.element(of: bytes, configuration: self.configuration))
    }

    /// Decodes one text frame with a parser of its own (tests, and callers without a loop's parser).
    public func decode(frame bytes: UnsafeRawBufferPointer) throws -> XMLStreamEvent {
        Self.event(for: try ElementSequenceParser.isolated(bytes, configuration: self.configuration))
    }

    /// The stream event a frame's element stands for: `<open/>` and `<close/>` open and close the stream.
    private static func event(for element: XMLElement) -> XMLStreamEvent {
        if element.namespace == Namespace.framing {
            switch element.name {
            case "open":
                // The same header the TCP parser reports for <stream:stream>.
                return .streamOpened(
                    XMLStreamHeader(
                        name: "stream",
                        namespace: Namespace.streams,
                        attributes: element.attributes.filter { $0.name != "xmlns" },
                        defaultNamespace: Namespace.client,
                        prefixes: ["stream": Namespace.streams]
                    )
                )
            case "close":
                return .streamClosed
            default:
                break
            }
        }
        return .element(element)
    }

    // MARK: - Encoding

    /// `<open/>` answering the client's (RFC 7395 §3.3.2).
    /// Written from its parts: an interpolated string cost ~7,000 instructions a stream, twice a login.
    public static func open(id: String, from host: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(WebSocketXMPPCodec.openParts.0.count + host.utf8.count + id.utf8.count + 48)
        out.append(contentsOf: WebSocketXMPPCodec.openParts.0)
        XMLEscaping.appendEscaped(host, into: &out)
        out.append(contentsOf: WebSocketXMPPCodec.openParts.1)
        XMLEscaping.appendEscaped(id, into: &out)
        out.append(contentsOf: WebSocketXMPPCodec.openParts.2)
        return out
    }

    private static let openParts = (
        Array("<open xmlns='\(Namespace.framing)' from='".utf8),
        Array("' id='".utf8),
        Array("' version='1.0' xml:lang='en'/>".utf8)
    )

    /// `<close/>` (RFC 7395 §3.6).
    public static let close = Array("<close xmlns='\(Namespace.framing)'/>".utf8)

    /// One element as a frame: stanzas carry `xmlns='jabber:client'`; stream-level elements keep the `stream:`
    /// prefix with its declaration (RFC 7395 §3.3.3, §3.4).
    public static func encode(_ element: XMLElement) -> [UInt8] {
        guard element.namespace == Namespace.streams else {
            return element.serialized(inheritedNamespace: "")
        }
        return StreamElementEncoding.encode(element, declarePrefix: true)
    }
}
