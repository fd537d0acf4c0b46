import ParleyTestSupport
import Testing

@testable import ParleyXML

private let streamOpen = Array(
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='meet.jitsi' version='1.0'>"
        .utf8
)

/// Parses `bytes` in the given chunk sizes (cycled) and returns the events.
private func parse(
    _ bytes: [UInt8],
    chunks: [Int] = [],
    configuration: XMLStreamParser.Configuration = .init()
)
    throws -> [XMLStreamEvent]
{
    let parser = XMLStreamParser(configuration: configuration)
    var events: [XMLStreamEvent] = []
    if chunks.isEmpty {
        try parser.feed(bytes) { events.append($0) }
        return events
    }
    var index = 0
    var c = 0
    while index < bytes.count {
        let size = max(1, chunks[c % chunks.count])
        c += 1
        let end = min(bytes.count, index + size)
        try parser.feed(Array(bytes[index..<end])) { events.append($0) }
        index = end
    }
    return events
}

private func stream(_ body: String) -> [UInt8] { streamOpen + Array(body.utf8) }

@Suite struct XMLStreamParserTests {
    @Test func streamHeaderAndNamespaces() throws {
        let events = try parse(stream("<message to='a@b'><body>hi</body></message></stream:stream>"))
        #expect(events.count == 3)
        guard case .streamOpened(let header) = events[0] else {
            Issue.record("no header")
            return
        }
        #expect(header.name == "stream")
        #expect(header.namespace == "http://etherx.jabber.org/streams")
        #expect(header.defaultNamespace == "jabber:client")
        #expect(header.prefixes["stream"] == "http://etherx.jabber.org/streams")
        #expect(header[attribute: "to"] == "meet.jitsi")
        guard case .element(let message) = events[1] else {
            Issue.record("no element")
            return
        }
        #expect(message.name == "message")
        #expect(message.namespace == "jabber:client")
        #expect(message.child("body")?.text == "hi")
        #expect(message.child("body")?.namespace == "jabber:client")
        #expect(events[2] == .streamClosed)
    }

    @Test func commonNamespacesAreSharedAndOthersKeptExactly() throws {
        // Same length as the table's muc#user, one byte different; a prefix of a common one; a long unknown one.
        let events = try parse(
            stream(
                "<presence><x xmlns='http://jabber.org/protocol/muc#user'/><x xmlns='http://jabber.org/protocol/muc#usex'/>"
                    + "<x xmlns='http://jabber.org/protocol/mu'/><x xmlns='urn:example:a-namespace-nobody-uses:1'/></presence>"
            )
        )
        guard case .element(let presence) = events[1] else {
            Issue.record("no element")
            return
        }
        #expect(
            presence.elements.map(\.namespace) == [
                "http://jabber.org/protocol/muc#user", "http://jabber.org/protocol/muc#usex",
                "http://jabber.org/protocol/mu",
                "urn:example:a-namespace-nobody-uses:1",
            ]
        )
    }

    @Test(arguments: Fixtures.names)
    func jitsiFixtureParsesTheSameInAnySplit(_ name: String) throws {
        let body = Fixtures.bytes(name)
        #expect(!body.isEmpty)
        let input = streamOpen + body + Array("</stream:stream>".utf8)
        let whole = try parse(input)
        #expect(whole.count == 3, "\(name)")
        #expect(try parse(input, chunks: [1]) == whole, "byte by byte: \(name)")
        var generator = SplitMix64(seed: UInt64(name.utf8.count))
        for _ in 0..<5 {
            let sizes = (0..<16).map { _ in Int(generator.next() % 97) + 1 }
            #expect(try parse(input, chunks: sizes) == whole, "random split of \(name)")
        }
    }

    @Test(arguments: Fixtures.names)
    func jitsiFixtureRoundTrips(_ name: String) throws {
        let input = streamOpen + Fixtures.bytes(name)
        let events = try parse(input)
        guard events.count == 2, case .element(let element) = events[1] else {
            Issue.record("\(name) did not parse to one element")
            return
        }
        // parse → serialize → parse gives the same tree, both inside a stream and stand-alone.
        let inStream = try parse(streamOpen + element.serialized(inheritedNamespace: "jabber:client"))
        #expect(inStream[1] == .element(element))
        let standalone = try parse(streamOpen + element.serialized(inheritedNamespace: ""))
        #expect(standalone[1] == .element(element))
    }

    @Test func escapingRoundTrips() throws {
        var element = XMLElement(name: "message", namespace: "jabber:client")
        element[attribute: "id"] = "a'b\"c<d>&e"
        var body = XMLElement(name: "body", namespace: "jabber:client")
        body.append(text: "1 < 2 && 3 > 2 'quoted' \"double\" \r\n tab\t ü 🎉 ]]>")
        element.append(body)
        var lang = XMLElement(name: "x", namespace: "urn:x")
        lang.attributes.append(XMLAttribute(name: "lang", namespace: XMLAttribute.xmlNamespace, value: "de"))
        lang.attributes.append(XMLAttribute(name: "a", namespace: "urn:other", value: "v"))
        element.append(lang)
        let events = try parse(streamOpen + element.serialized(inheritedNamespace: "jabber:client"))
        #expect(events[1] == .element(element))
    }

    /// Each character that needs escaping alone in its string: the fast path that copies a string unescaped
    /// must not take it (a lone carriage return, or a tab or line feed in an attribute, would come back changed).
    @Test(arguments: ["\r", "\t", "\n", "'", "\"", "<", ">", "&", "a\rb", "x\ty"])
    func loneSpecialCharactersRoundTrip(_ special: String) throws {
        var element = XMLElement(name: "message", namespace: "jabber:client")
        element[attribute: "id"] = special
        var body = XMLElement(name: "body", namespace: "jabber:client")
        body.append(text: special)
        element.append(body)
        let events = try parse(streamOpen + element.serialized(inheritedNamespace: "jabber:client"))
        #expect(events[1] == .element(element))
    }

    @Test func quotesInTextAreWrittenAsThemselves() {
        var body = XMLElement(name: "json-message", namespace: "http://jitsi.org/jitmeet")
        body.append(text: "{\"type\":\"x\"}")
        #expect(body.xmlString() == "<json-message xmlns='http://jitsi.org/jitmeet'>{\"type\":\"x\"}</json-message>")
    }

    @Test func controlCharactersAreDroppedSoOutputStaysWellFormed() throws {
        var element = XMLElement(name: "body", namespace: "jabber:client")
        element.append(text: "a\u{01}b")
        let events = try parse(streamOpen + element.serialized(inheritedNamespace: "jabber:client"))
        guard case .element(let parsed) = events[1] else {
            Issue.record("no element")
            return
        }
        #expect(parsed.text == "ab")
    }

    @Test func whitespaceKeepalivesBetweenStanzasAreIgnored() throws {
        let events = try parse(stream(" \n <presence/> \n\t <presence/> "), chunks: [3])
        #expect(events.count == 3)
    }

    @Test(arguments: [
        ("<!-- hi --><message/>", XMLStreamError.Kind.restrictedXML),
        ("<?php echo 1 ?>", .restrictedXML),
        ("<message><!-- inner --></message>", .restrictedXML),
        ("<message><body>&unknown;</body></message>", .notWellFormed),
        ("<message></mesage>", .notWellFormed),
        ("<message a='1' a='2'/>", .notWellFormed),
        ("<a:message/>", .notWellFormed),
    ])
    func refusedInput(_ body: String, _ kind: XMLStreamError.Kind) throws {
        #expect {
            _ = try parse(stream(body))
        } throws: { error in
            (error as? XMLStreamError)?.kind == kind
        }
    }

    @Test func doctypeWithEntityBombIsRefusedBeforeAnyExpansion() throws {
        var bomb = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        for i in 1...9 {
            bomb +=
                "<!ENTITY lol\(i) '" + String(repeating: "&lol\(i - 1 == 0 ? "" : String(i - 1));", count: 10) + "'>"
        }
        bomb +=
            "]><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message>&lol9;</message>"
        #expect {
            _ = try parse(Array(bomb.utf8))
        } throws: { error in
            (error as? XMLStreamError)?.kind == .restrictedXML
        }
    }

    @Test func oversizedStanzaIsRefused() throws {
        let configuration = XMLStreamParser.Configuration(maxStanzaBytes: 1000)
        let big = "<message><body>" + String(repeating: "x", count: 2000) + "</body></message>"
        for chunks in [[], [1], [100], [4096]] {
            #expect {
                _ = try parse(stream(big), chunks: chunks, configuration: configuration)
            } throws: { error in
                (error as? XMLStreamError)?.kind == .stanzaTooLarge
            }
        }
        // An endless start tag is caught too, without any callback having fired.
        let endlessTag = "<message " + String(repeating: "a", count: 2000)
        #expect {
            _ = try parse(stream(endlessTag), chunks: [64], configuration: configuration)
        } throws: { error in
            (error as? XMLStreamError)?.kind == .stanzaTooLarge
        }
        // Many stanzas each under the limit are fine, whatever their total.
        let many = String(
            repeating: "<message><body>" + String(repeating: "y", count: 500) + "</body></message>",
            count: 50
        )
        #expect(try parse(stream(many), chunks: [333], configuration: configuration).count == 51)
    }

    @Test func deepNestingIsRefused() throws {
        let deep = String(repeating: "<a>", count: 200)
        #expect {
            _ = try parse(stream("<message>" + deep), configuration: .init(maxDepth: 50))
        } throws: { error in
            (error as? XMLStreamError)?.kind == .tooDeep
        }
    }

    @Test func resetInsideTheHandlerFeedsTheRestToAFreshParser() throws {
        let parser = XMLStreamParser()
        var events: [XMLStreamEvent] = []
        // SASL success then a new stream header in the same chunk (pipelined restart).
        let input = stream("<auth/>") + streamOpen + Array("<iq id='1'/>".utf8)
        try parser.feed(input) { event in
            events.append(event)
            if case .element(let e) = event, e.name == "auth" { parser.reset() }
        }
        #expect(events.count == 4)
        guard case .streamOpened = events[2], case .element(let iq) = events[3] else {
            Issue.record("restart not seen: \(events)")
            return
        }
        #expect(iq[attribute: "id"] == "1")
    }

    @Test func elementsAreReportedAsSoonAsTheyAreComplete() throws {
        let parser = XMLStreamParser()
        var events: [XMLStreamEvent] = []
        try parser.feed(stream("<presence/>")) { events.append($0) }
        #expect(events.count == 2)
    }

    @Test func boshBodyIsADocument() throws {
        let body =
            "<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'/></body>"
        let events = try parse(Array(body.utf8))
        #expect(events.count == 3)
        guard case .streamOpened(let header) = events[0] else {
            Issue.record("no body")
            return
        }
        #expect(header.name == "body")
        #expect(header[attribute: "rid"] == "1")
    }
}

/// A small deterministic generator for random splits.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct XMLStreamParserEmptyRootTests {
    /// expat reports an empty root's start and end in one token: both events must come out.
    @Test func emptyRootGivesOpenedAndClosed() throws {
        let events = try XMLStreamParser().feed(
            Array("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>".utf8)
        )
        #expect(events.count == 2)
        guard case .streamOpened(let header) = events.first else {
            Issue.record("no header")
            return
        }
        #expect(header[attribute: "rid"] == "1")
        #expect(events.last == .streamClosed)
    }
}
