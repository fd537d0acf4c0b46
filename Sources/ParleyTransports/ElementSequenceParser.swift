import ParleyCore
import ParleyXML

/// One XML parser that reads many small documents of one element each, one after the other: the WebSocket frames
/// of every session on one event loop (RFC 7395 §3.3.3: a text frame is one complete element), or the BOSH request
/// bodies (XEP-0124 §4: a request is one `<body/>`).
///
/// A fresh expat parser per document costs more than parsing it (creating it, reading a root, freeing it: some
/// 35,000 instructions, a fifth of a WebSocket login+join), and one parser per session costs memory for as long
/// as the session is idle. So one streaming parser per loop reads the documents in turn, each as a child of one
/// synthetic root, whichever session sent it. Documents are decoded one at a time on the loop, so one never meets
/// another session's bytes.
///
/// A document that is anything but one whole element (bad XML, two elements, half of one, text, the root's end
/// tag) is read again by a parser of its own (`isolated`), so its element or its error is exactly what a fresh
/// parser gives for it alone, and the shared parser starts over. expat keeps every element and attribute name it
/// has seen until its document ends, so the parser also starts a new document every `framesPerDocument` elements
/// or `bytesPerDocument` bytes: what one loop keeps stays bounded whatever clients send.
///
/// Loop-bound: used only on its event loop (`WebSocketXMPPCodec.decode(frame:with:)`, `BOSHBodyParser`).
public final class ElementSequenceParser {
    /// The root WebSocket frames are read under: what a client stream declares (RFC 7395 §3.3.3).
    public static let streamRoot = Array(
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>".utf8
    )
    /// A root that declares nothing, for documents that declare their own namespaces (BOSH bodies).
    public static let plainRoot = Array("<documents>".utf8)
    static let framesPerDocument = 256
    static let bytesPerDocument = 64 * 1024

    private let parser = XMLStreamParser()
    private let root: [UInt8]
    private var rooted = false
    private var frames = 0
    private var bytes = 0
    /// The element of the frame being decoded, and how many the frame held.
    private var element: XMLElement?
    private var elementCount = 0
    private var closedRoot = false
    /// Frames that were read again by a parser of their own because the shared one refused them (tests).
    private(set) var framesReadAlone = 0

    public init(root: [UInt8] = ElementSequenceParser.streamRoot) { self.root = root }

    /// The one element `frame` carries, parsed under `configuration`'s limits: by the shared parser, or, when it
    /// does not take the frame whole, by a parser of the frame's own (its element, or the error with the frame's
    /// own line and column).
    func element(
        of frame: UnsafeRawBufferPointer,
        configuration: XMLStreamParser.Configuration
    ) throws -> XMLElement {
        if let element = self.sharedElement(of: frame, configuration: configuration) { return element }
        self.framesReadAlone += 1
        return try ElementSequenceParser.isolated(frame, root: self.root, configuration: configuration)
    }

    /// The one element `frame` carries, read by the shared parser; nil when it is anything else (and the parser
    /// starts a new document for the next frame). Callers with a fallback of their own (`BOSHBodyParser`) use this.
    func sharedElement(of frame: UnsafeRawBufferPointer, configuration: XMLStreamParser.Configuration) -> XMLElement? {
        if !self.rooted || self.frames >= Self.framesPerDocument || self.bytes >= Self.bytesPerDocument {
            guard (try? self.startDocument()) != nil else {
                self.rooted = false
                return nil
            }
        }
        self.parser.configuration = configuration
        self.element = nil
        self.elementCount = 0
        self.closedRoot = false
        self.parser.sawTextBetweenElements = false
        self.frames += 1
        self.bytes += frame.count
        defer { self.element = nil }
        do {
            try self.parser.feed(frame) { event in
                switch event {
                case .element(let element):
                    self.element = element
                    self.elementCount += 1
                case .streamClosed: self.closedRoot = true
                case .streamOpened: break
                }
            }
        } catch {
            self.rooted = false
            return nil
        }
        // Text beside the element (before or after it in the frame) is left to the parse of the frame alone,
        // which refuses it where the frame is a document of its own (a BOSH body: XML 1.0 §2.1).
        guard self.parser.depth == 1, !self.closedRoot, self.elementCount == 1, !self.parser.sawTextBetweenElements,
            let element = self.element
        else {
            self.rooted = false
            return nil
        }
        return element
    }

    private func startDocument() throws {
        self.parser.reset()
        self.frames = 0
        self.bytes = 0
        try self.parser.feed(self.root) { _ in }
        self.rooted = true
    }

    static let notOneElement = XMLStreamError(
        .notWellFormed,
        "A WebSocket frame must carry exactly one complete element (RFC 7395 §3.3.3)"
    )

    /// `frame` read by a parser of its own, as one document under the synthetic root: its element, or the error
    /// that frame alone gives.
    static func isolated(
        _ frame: UnsafeRawBufferPointer,
        root: [UInt8] = ElementSequenceParser.streamRoot,
        configuration: XMLStreamParser.Configuration
    ) throws -> XMLElement {
        let parser = XMLStreamParser(configuration: configuration)
        try parser.feed(root) { _ in }
        var elements: [XMLElement] = []
        try parser.feed(frame) { event in
            if case .element(let element) = event { elements.append(element) }
        }
        guard parser.depth == 1, elements.count == 1, let element = elements.first else { throw Self.notOneElement }
        return element
    }
}

@available(*, unavailable)
extension ElementSequenceParser: Sendable {}
