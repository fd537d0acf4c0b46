import ParleyXML

/// The XML parser that reads the BOSH request bodies of one event loop (XEP-0124 §4: each request is one `<body/>`
/// document). A fresh expat parser per request cost some 45,000 instructions, more than parsing the body, and
/// resetting one per body still re-learnt every name; so bodies are read in turn by one `ElementSequenceParser`
/// under a root that declares nothing, each `<body/>` declaring its own namespaces as a document would.
///
/// A body that parser does not read as one whole `<body xmlns='http://jabber.org/protocol/httpbind'>` (an XML
/// declaration in front, a stanza over the size limit, anything malformed) is read by a parser of its own, as
/// `BOSHBody(parsing:maxBytes:)` always did: what a client gets never depends on the shared parser.
/// Loop-bound: used only on its event loop.
public final class BOSHBodyParser {
    private let bodies = ElementSequenceParser(root: ElementSequenceParser.plainRoot)
    /// Bodies read by a parser of their own because the shared one did not take them (tests).
    private(set) var bodiesReadAlone = 0

    public init() {}

    /// The body in `bytes`, exactly as `BOSHBody(parsing:maxBytes:)` reads it.
    public func body(parsing bytes: UnsafeRawBufferPointer, maxBytes: Int) throws -> BOSHBody {
        // The whole body within `maxBytes` (each stanza is then within it too, the limit the document parse
        // applies), one level deeper than the document parse counts (the synthetic root).
        let configuration = XMLStreamParser.Configuration(maxStanzaBytes: maxBytes, maxDepth: 101)
        if let body = self.bodies.sharedElement(of: bytes, configuration: configuration),
            body.name == "body", body.namespace == BOSHBody.namespace
        {
            return BOSHBody(attributes: body.attributes, elements: body.elements)
        }
        self.bodiesReadAlone += 1
        return try BOSHBody(parsing: bytes, maxBytes: maxBytes)
    }
}

@available(*, unavailable)
extension BOSHBodyParser: Sendable {}
