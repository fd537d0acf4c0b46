import ParleyXML

/// The XML parser that reads the BOSH request bodies of one event loop (XEP-0124 §4: each request is one `<body/>`
/// document), reset for each body instead of made and freed for each: a fresh expat parser cost a BOSH request
/// some 45,000 instructions, more than parsing its body. `XML_ParserReset` keeps the parser's memory and forgets
/// the previous document, so no body sees another's names or state. Loop-bound: used only on its event loop.
public final class BOSHBodyParser {
    private let parser = XMLStreamParser()

    public init() {}

    /// The body in `bytes`, exactly as `BOSHBody(parsing:maxBytes:)` reads it.
    public func body(parsing bytes: UnsafeRawBufferPointer, maxBytes: Int) throws -> BOSHBody {
        self.parser.reset()
        self.parser.configuration = .init(maxStanzaBytes: maxBytes, maxDepth: 100)
        return try BOSHBody(parsing: bytes, with: self.parser)
    }
}

@available(*, unavailable)
extension BOSHBodyParser: Sendable {}
