import ParleyCore
import ParleyXML

/// One BOSH request body (XEP-0124 §4, XEP-0206 §5): the `<body/>` wrapper's attributes and the elements
/// it carries.
///
/// ```
/// <body rid='1573741820' to='meet.jitsi' wait='60' hold='1' ver='1.6' xmpp:version='1.0'
///       xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>
/// ```
public struct BOSHBody: Sendable {
    public static let namespace = "http://jabber.org/protocol/httpbind"
    public static let xmppNamespace = "urn:xmpp:xbosh"

    public var attributes: [XMLAttribute]
    public var elements: [XMLElement]

    init(attributes: [XMLAttribute], elements: [XMLElement]) {
        self.attributes = attributes
        self.elements = elements
    }

    public subscript(attribute name: String) -> String? {
        self.attributes.first { $0.name == name && $0.namespace.isEmpty }?.value
    }

    /// An attribute in XEP-0206's `urn:xmpp:xbosh` namespace (`xmpp:version`, `xmpp:restart`).
    public subscript(xmpp name: String) -> String? {
        self.attributes.first { $0.name == name && $0.namespace == BOSHBody.xmppNamespace }?.value
    }

    public var rid: UInt64? { self[attribute: "rid"].flatMap { UInt64($0) } }
    public var sid: String? { self[attribute: "sid"] }
    public var isRestart: Bool { self[xmpp: "restart"] == "true" }
    public var isTerminate: Bool { self[attribute: "type"] == "terminate" }

    /// Parses a request body: exactly one `<body/>` in the httpbind namespace.
    public init(parsing bytes: UnsafeRawBufferPointer, maxBytes: Int) throws {
        let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: maxBytes, maxDepth: 100))
        var header: XMLStreamHeader?
        var elements: [XMLElement] = []
        var closed = false
        try parser.feed(bytes) { event in
            switch event {
            case .streamOpened(let h): header = h
            case .element(let e): elements.append(e)
            case .streamClosed: closed = true
            }
        }
        guard let header, closed, header.name == "body", header.namespace == BOSHBody.namespace else {
            throw XMLStreamError(.notWellFormed, "A BOSH request is one <body xmlns='\(BOSHBody.namespace)'/>")
        }
        self.attributes = header.attributes
        self.elements = elements
    }

    // MARK: - Encoding

    /// A response body with these attributes and already-encoded children, written into one buffer. (Built from
    /// interpolated strings, each turned into an array, it cost ~6,000 instructions a response: eight a BOSH login
    /// and join.)
    public static func response(attributes: [(String, String)], payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(BOSHBody.responseOpening.count + 40 * attributes.count + payload.count + 7)
        out.append(contentsOf: BOSHBody.responseOpening)
        for (name, value) in attributes {
            out.append(UInt8(ascii: " "))
            out.appendUTF8(name)
            out.appendUTF8("='")
            XMLEscaping.appendEscaped(value, into: &out)
            out.append(UInt8(ascii: "'"))
        }
        if payload.isEmpty {
            out.appendUTF8("/>")
        } else {
            out.append(UInt8(ascii: ">"))
            out.append(contentsOf: payload)
            out.appendUTF8("</body>")
        }
        return out
    }

    /// `<body` with the namespaces every response declares.
    private static let responseOpening: [UInt8] = Array(
        "<body xmlns='\(BOSHBody.namespace)' xmlns:xmpp='\(BOSHBody.xmppNamespace)' xmlns:stream='\(Namespace.streams)'"
            .utf8
    )

    /// `<body type='terminate' condition='…'/>` (XEP-0124 §17).
    public static func terminate(condition: String?, payload: [UInt8] = []) -> [UInt8] {
        var attributes = [("type", "terminate")]
        if let condition { attributes.append(("condition", condition)) }
        return self.response(attributes: attributes, payload: payload)
    }
}
