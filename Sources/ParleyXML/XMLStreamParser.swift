internal import CExpat

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming XML parser on libexpat: bytes in any split → `XMLStreamEvent`s.
///
/// The root element opens the stream (`<stream:stream>`, or `<body>` for a BOSH request), each complete child
/// of the root is reported as one `XMLElement`, and the root's end tag closes the stream. Namespaces are
/// resolved (names arrive as `uri\u{1}local`, Prosody's separator), so prefixes never matter.
///
/// Restricted XML (RFC 6120 §11.1): comments, processing instructions, DOCTYPE and entity declarations
/// are refused, so no entity can ever be expanded. Each top-level element is bounded in bytes and depth.
///
/// After each event the parser suspends, hands the event to the caller, and resumes. A caller may therefore
/// `reset()` from inside its event handler (stream restart after STARTTLS or SASL, RFC 6120 §4.3.3): the
/// bytes after that event are then fed to the fresh parser, not to the old one.
public final class XMLStreamParser {
    /// Limits applied to every top-level element.
    public struct Configuration: Sendable, Hashable {
        /// The most bytes one top-level element (a stanza) may take on the wire. Prosody's default: 256 KiB.
        public var maxStanzaBytes: Int
        /// The deepest nesting allowed, counting the root as depth 1.
        public var maxDepth: Int

        public init(maxStanzaBytes: Int = 256 * 1024, maxDepth: Int = 100) {
            self.maxStanzaBytes = maxStanzaBytes
            self.maxDepth = maxDepth
        }
    }

    public var configuration: Configuration

    private var parser: XML_Parser?
    private var elementDepth = 0
    private var stack: [XMLElement] = []
    private var text: [UInt8] = []
    private var rootPrefixes: [String: String] = [:]
    private var rootDefaultNamespace = ""
    /// Events of the current token: usually one; two for an empty root element (`<body/>`).
    private var pending: [XMLStreamEvent] = []
    private var failure: XMLStreamError?
    /// Absolute byte index (in this parser's input) where the current top-level element started,
    /// or where the last event ended when between elements.
    private var markIndex: Int = 0
    /// Where the last suspended event ended.
    private var suspendedEnd: Int = 0
    private var bytesFed: Int = 0
    private var resetRequested = false
    private var insideFeed = false
    /// Whether character data other than whitespace came between the root's children (it is not an event: a stream
    /// drops it). `ElementSequenceParser` clears it before each document it reads under its synthetic root, where
    /// such text would have been outside the document's element, which a parse of that document alone refuses.
    public var sawTextBetweenElements = false

    /// Whether expat's reparse deferral is turned off (always, but for the test that shows `ExpatLibrary`'s probe
    /// catches a parser that defers).
    private let disablesReparseDeferral: Bool

    public convenience init(configuration: Configuration = Configuration()) {
        self.init(configuration: configuration, disablesReparseDeferral: true)
    }

    init(configuration: Configuration, disablesReparseDeferral: Bool) {
        self.configuration = configuration
        self.parser = nil
        self.disablesReparseDeferral = disablesReparseDeferral
        self.makeParser()
    }

    deinit {
        if let parser = self.parser { XML_ParserFree(parser) }
    }

    /// The current element depth: 0 before the root, 1 between top-level elements, more inside one.
    public var depth: Int { self.elementDepth }

    /// Starts over with a fresh parser, as a stream restart requires. Safe to call from an event handler.
    public func reset() {
        if self.insideFeed {
            self.resetRequested = true
        } else {
            self.makeParser()
        }
    }

    /// Feeds bytes; calls `onEvent` for every event they complete, in order. Throws the first error;
    /// after an error the parser must be reset or dropped.
    public func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: (XMLStreamEvent) throws -> Void) throws {
        var remaining = bytes
        self.insideFeed = true
        defer { self.insideFeed = false }
        while !remaining.isEmpty {
            guard let parser = self.parser else { return }
            if let failure = self.failure { throw failure }
            let start = self.bytesFed
            self.bytesFed += remaining.count
            var status = remaining.withMemoryRebound(to: CChar.self) { chars in
                XML_Parse(parser, chars.baseAddress, Int32(clamping: chars.count), 0)
            }
            while true {
                if let failure = self.failure { throw failure }
                if status == XML_STATUS_ERROR { throw self.expatError(parser) }
                if !self.pending.isEmpty {
                    let events = self.pending
                    self.pending.removeAll(keepingCapacity: true)
                    for event in events { try onEvent(event) }
                }
                if status == XML_STATUS_SUSPENDED {
                    if self.resetRequested {
                        self.resetRequested = false
                        let consumed = self.suspendedEnd - start
                        remaining = UnsafeRawBufferPointer(
                            rebasing: remaining[min(max(consumed, 0), remaining.count)...]
                        )
                        self.makeParser()
                        break
                    }
                    status = XML_ResumeParser(parser)
                    continue
                }
                remaining = UnsafeRawBufferPointer(start: nil, count: 0)
                break
            }
            if self.resetRequested {
                self.resetRequested = false
                self.makeParser()
            }
        }
        // An unfinished start tag or text run can grow without any callback firing: bound it here too.
        if self.elementDepth >= 1, self.bytesFed - self.markIndex > self.configuration.maxStanzaBytes {
            let error = XMLStreamError(.stanzaTooLarge, "Stanza exceeds \(self.configuration.maxStanzaBytes) bytes")
            self.failure = error
            throw error
        }
    }

    /// Feeds a byte array (tests and small callers).
    public func feed(_ bytes: [UInt8], _ onEvent: (XMLStreamEvent) throws -> Void) throws {
        try bytes.withUnsafeBytes { try self.feed($0, onEvent) }
    }

    /// Feeds bytes and returns the events (tests and small callers).
    public func feed(_ bytes: [UInt8]) throws -> [XMLStreamEvent] {
        var events: [XMLStreamEvent] = []
        try self.feed(bytes) { events.append($0) }
        return events
    }

    // MARK: - Parser set-up

    private func makeParser() {
        self.elementDepth = 0
        self.stack.removeAll(keepingCapacity: true)
        self.text.removeAll(keepingCapacity: true)
        self.rootPrefixes = [:]
        self.rootDefaultNamespace = ""
        self.pending.removeAll()
        self.failure = nil
        self.markIndex = 0
        self.suspendedEnd = 0
        self.bytesFed = 0
        self.sawTextBetweenElements = false
        // A stream restart (RFC 6120 §4.3.3, after STARTTLS and SASL) reuses the parser's memory: expat's
        // XML_ParserReset starts a new document and clears every handler, which are set again below.
        let parser: XML_Parser
        if let old = self.parser, XML_ParserReset(old, "UTF-8") == XML_TRUE {
            parser = old
        } else {
            if let old = self.parser { XML_ParserFree(old) }
            guard let created = XML_ParserCreateNS("UTF-8", 0x01) else {
                self.parser = nil
                self.failure = XMLStreamError(.notWellFormed, "Out of memory creating the XML parser")
                return
            }
            parser = created
        }
        self.parser = parser
        if self.disablesReparseDeferral { _ = CExpat_disableReparseDeferral(parser) }
        CExpat_limitAmplification(parser)
        CExpat_setHashSalt(parser)
        XML_SetUserData(parser, Unmanaged.passUnretained(self).toOpaque())
        XML_SetElementHandler(parser, parleyStartElement, parleyEndElement)
        XML_SetCharacterDataHandler(parser, parleyCharacterData)
        XML_SetStartNamespaceDeclHandler(parser, parleyNamespaceDecl)
        XML_SetCommentHandler(parser, parleyComment)
        XML_SetProcessingInstructionHandler(parser, parleyProcessingInstruction)
        XML_SetStartDoctypeDeclHandler(parser, parleyDoctype)
        XML_SetEntityDeclHandler(parser, parleyEntityDecl)
        XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER)
    }

    private func expatError(_ parser: XML_Parser) -> XMLStreamError {
        let code = XML_GetErrorCode(parser)
        let reason = XML_ErrorString(code).map { String(cString: $0) } ?? "error \(code.rawValue)"
        let line = XML_GetCurrentLineNumber(parser)
        let column = XML_GetCurrentColumnNumber(parser)
        let error = XMLStreamError(.notWellFormed, "XML not well-formed: \(reason) at line \(line), column \(column)")
        self.failure = error
        return error
    }

    fileprivate func fail(_ kind: XMLStreamError.Kind, _ message: String) {
        if self.failure == nil { self.failure = XMLStreamError(kind, message) }
        if let parser = self.parser { XML_StopParser(parser, 0) }
    }

    private func suspend(afterEventOf parser: XML_Parser) {
        self.suspendedEnd = XML_GetCurrentByteIndex(parser) + Int(XML_GetCurrentByteCount(parser))
        self.markIndex = self.suspendedEnd
        XML_StopParser(parser, 1)
    }

    // MARK: - Callbacks

    fileprivate func startElement(_ name: UnsafePointer<CChar>, _ attrs: UnsafeMutablePointer<UnsafePointer<CChar>?>?) {
        guard self.failure == nil, let parser = self.parser else { return }
        self.elementDepth += 1
        if self.elementDepth > self.configuration.maxDepth {
            self.fail(.tooDeep, "Elements nested deeper than \(self.configuration.maxDepth)")
            return
        }
        if self.elementDepth == 2 {
            self.markIndex = XML_GetCurrentByteIndex(parser)
        } else if self.elementDepth > 2 {
            if self.checkSize(parser) == false { return }
            self.flushText()
        }
        let (namespace, local) = XMLStreamParser.split(name)
        var attributes: [XMLAttribute] = []
        if var cursor = attrs {
            // expat hands a NULL-terminated list of name/value pairs: one allocation for all of them.
            var count = 0
            while cursor[count] != nil { count += 1 }
            attributes.reserveCapacity(count / 2)
            while let key = cursor.pointee, let value = cursor.successor().pointee {
                let (ans, alocal) = XMLStreamParser.split(key)
                attributes.append(XMLAttribute(name: alocal, namespace: ans, value: String(cString: value)))
                cursor = cursor.successor().successor()
            }
        }
        if self.elementDepth == 1 {
            self.pending.append(
                .streamOpened(
                    XMLStreamHeader(
                        name: local,
                        namespace: namespace,
                        attributes: attributes,
                        defaultNamespace: self.rootDefaultNamespace,
                        prefixes: self.rootPrefixes
                    )
                )
            )
            self.suspend(afterEventOf: parser)
        } else {
            self.stack.append(XMLElement(name: local, namespace: namespace, attributes: attributes))
        }
    }

    fileprivate func endElement() {
        guard self.failure == nil, let parser = self.parser else { return }
        defer { self.elementDepth -= 1 }
        if self.elementDepth == 1 {
            self.pending.append(.streamClosed)
            self.suspend(afterEventOf: parser)
            return
        }
        self.flushText()
        guard let element = self.stack.popLast() else { return }
        if self.elementDepth == 2 {
            if XML_GetCurrentByteIndex(parser) + Int(XML_GetCurrentByteCount(parser)) - self.markIndex
                > self.configuration.maxStanzaBytes
            {
                self.fail(.stanzaTooLarge, "Stanza exceeds \(self.configuration.maxStanzaBytes) bytes")
                return
            }
            self.pending.append(.element(element))
            self.suspend(afterEventOf: parser)
        } else if !self.stack.isEmpty {
            self.stack[self.stack.count - 1].children.append(.element(element))
        }
    }

    fileprivate func characterData(_ s: UnsafePointer<CChar>, _ length: Int32) {
        if self.elementDepth == 1, !self.sawTextBetweenElements, length > 0 {
            // Between the root's children: whitespace keep-alives on a stream, dropped; anything else is noted.
            let bytes = UnsafeRawBufferPointer(start: s, count: Int(length))
            self.sawTextBetweenElements = bytes.contains { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
        }
        guard self.failure == nil, self.elementDepth >= 2, length > 0, let parser = self.parser else { return }
        guard self.checkSize(parser) else { return }
        s.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            self.text.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
        }
    }

    fileprivate func namespaceDeclaration(prefix: UnsafePointer<CChar>?, uri: UnsafePointer<CChar>?) {
        guard self.elementDepth == 0 else { return }  // only the root's declarations are kept
        let value = uri.map { String(cString: $0) } ?? ""
        if let prefix {
            self.rootPrefixes[String(cString: prefix)] = value
        } else {
            self.rootDefaultNamespace = value
        }
    }

    private func checkSize(_ parser: XML_Parser) -> Bool {
        if XML_GetCurrentByteIndex(parser) - self.markIndex > self.configuration.maxStanzaBytes {
            self.fail(.stanzaTooLarge, "Stanza exceeds \(self.configuration.maxStanzaBytes) bytes")
            return false
        }
        return true
    }

    private func flushText() {
        guard !self.text.isEmpty, !self.stack.isEmpty else {
            self.text.removeAll(keepingCapacity: true)
            return
        }
        self.stack[self.stack.count - 1].children.append(.text(String(decoding: self.text, as: UTF8.self)))
        self.text.removeAll(keepingCapacity: true)
    }

    /// Splits expat's `uri\u{1}local` into its namespace and local name. The length and the separator are found by
    /// libc's `strlen` and `memchr`, which read a word at a time: every element and attribute name goes through here.
    private static func split(_ name: UnsafePointer<CChar>) -> (String, String) {
        let length = strlen(name)
        return name.withMemoryRebound(to: UInt8.self, capacity: length) { p in
            let buffer = UnsafeBufferPointer(start: p, count: length)
            if let found = memchr(p, 0x01, length) {
                let sep = UnsafeRawPointer(found) - UnsafeRawPointer(p)
                return (
                    XMLStreamParser.namespace(UnsafeBufferPointer(rebasing: buffer[..<sep])),
                    String(decoding: UnsafeBufferPointer(rebasing: buffer[(sep + 1)...]), as: UTF8.self)
                )
            }
            return ("", String(decoding: buffer, as: UTF8.self))
        }
    }

    /// A namespace URI as a `String`, shared with the table of the ones XMPP and Jitsi use on every stream,
    /// so the common case costs a comparison instead of an allocation (URIs over 15 bytes are not inline).
    private static func namespace(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count > 15, let base = bytes.baseAddress {
            for (known, utf8) in XMLStreamParser.commonNamespaces where utf8.count == bytes.count {
                if utf8.withUnsafeBufferPointer({ $0.baseAddress.map { memcmp($0, base, bytes.count) == 0 } ?? false })
                {
                    return known
                }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let commonNamespaces: [(String, [UInt8])] = [
        "http://etherx.jabber.org/streams", "urn:ietf:params:xml:ns:xmpp-sasl", "urn:ietf:params:xml:ns:xmpp-bind",
        "urn:ietf:params:xml:ns:xmpp-session", "urn:ietf:params:xml:ns:xmpp-tls", "urn:ietf:params:xml:ns:xmpp-stanzas",
        "urn:ietf:params:xml:ns:xmpp-framing", "http://jabber.org/protocol/muc", "http://jabber.org/protocol/muc#user",
        "http://jabber.org/protocol/muc#owner", "http://jabber.org/protocol/muc#admin",
        "http://jabber.org/protocol/caps",
        "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
        "http://jabber.org/protocol/nick",
        "http://jitsi.org/protocol/focus", "http://jitsi.org/jitmeet/audio", "http://jitsi.org/jitmeet/video",
        "http://jitsi.org/jitmeet/stats-id", "http://jitsi.org/jitmeet/user-agent", "http://jitsi.org/jitmeet",
        "http://jitsi.org/protocol/colibri", "urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:rtp:1",
        "urn:xmpp:jingle:apps:rtp:rtcp-fb:0", "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0",
        "urn:xmpp:jingle:apps:rtp:ssma:0",
        "urn:xmpp:jingle:apps:dtls:0", "urn:xmpp:jingle:apps:grouping:0", "urn:xmpp:jingle:transports:ice-udp:1",
        "http://jabber.org/protocol/xdata-validate",
    ].map { ($0, Array($0.utf8)) }

    fileprivate static func from(_ userData: UnsafeMutableRawPointer?) -> XMLStreamParser? {
        guard let userData else { return nil }
        return Unmanaged<XMLStreamParser>.fromOpaque(userData).takeUnretainedValue()
    }
}

@available(*, unavailable)
extension XMLStreamParser: Sendable {}

// MARK: - C callbacks (no captures; `self` comes back through the user data)

private let parleyStartElement: XML_StartElementHandler = { userData, name, attrs in
    guard let name else { return }
    XMLStreamParser.from(userData)?.startElement(name, attrs)
}

private let parleyEndElement: XML_EndElementHandler = { userData, _ in
    XMLStreamParser.from(userData)?.endElement()
}

private let parleyCharacterData: XML_CharacterDataHandler = { userData, s, length in
    guard let s else { return }
    XMLStreamParser.from(userData)?.characterData(s, length)
}

private let parleyNamespaceDecl: XML_StartNamespaceDeclHandler = { userData, prefix, uri in
    XMLStreamParser.from(userData)?.namespaceDeclaration(prefix: prefix, uri: uri)
}

private let parleyComment: XML_CommentHandler = { userData, _ in
    XMLStreamParser.from(userData)?.fail(.restrictedXML, "Comments are not allowed in XMPP (RFC 6120 §11.1)")
}

private let parleyProcessingInstruction: XML_ProcessingInstructionHandler = { userData, _, _ in
    XMLStreamParser.from(userData)?.fail(
        .restrictedXML,
        "Processing instructions are not allowed in XMPP (RFC 6120 §11.1)"
    )
}

private let parleyDoctype: XML_StartDoctypeDeclHandler = { userData, _, _, _, _ in
    XMLStreamParser.from(userData)?.fail(.restrictedXML, "DOCTYPE is not allowed in XMPP (RFC 6120 §11.1)")
}

private let parleyEntityDecl: XML_EntityDeclHandler = { userData, _, _, _, _, _, _, _, _ in
    XMLStreamParser.from(userData)?.fail(.restrictedXML, "Entity declarations are not allowed (RFC 6120 §11.1)")
}
