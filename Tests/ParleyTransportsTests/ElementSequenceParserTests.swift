import ParleyCore
import ParleyTestSupport
import ParleyXML
import Testing

@testable import ParleyTransports

/// One loop's shared frame parser gives, frame by frame, exactly what a parser of each frame alone gives: the same
/// element, or the same error, whatever came before it from other sessions.
@Suite struct ElementSequenceParserTests {
    private static let configuration = XMLStreamParser.Configuration(maxStanzaBytes: 4_096, maxDepth: 20)

    /// The shared parser's answer and the isolated one's, as text to compare.
    private func outcomes(_ parser: ElementSequenceParser, _ frame: [UInt8]) -> (shared: String, alone: String) {
        func describe(_ body: () throws -> XMLElement) -> String {
            do {
                return "element " + String(decoding: try body().serialized(inheritedNamespace: ""), as: UTF8.self)
            } catch {
                return "error \(error)"
            }
        }
        return frame.withUnsafeBytes { bytes in
            (
                describe { try parser.element(of: bytes, configuration: Self.configuration) },
                describe { try ElementSequenceParser.isolated(bytes, configuration: Self.configuration) }
            )
        }
    }

    @Test func framesFromManySessionsDecodeAsAlone() {
        let parser = ElementSequenceParser()
        let good = Fixtures.names.map(Fixtures.bytes).filter { $0.count < 4_000 }
        #expect(good.count >= 10)
        let bad = [
            "<message xmlns='jabber:client'>",  // half an element
            "<message xmlns='jabber:client'/><presence xmlns='jabber:client'/>",  // two
            "<mess",  // half a tag
            "hello",  // text only
            "",  // nothing
            "</stream:stream>",  // the synthetic root's end
            "<a xmlns='x'><b></a>",  // mismatched tags
            "<?xml version='1.0'?><message xmlns='jabber:client'/>",  // a declaration inside the stream
            "<message xmlns='jabber:client'><!-- c --></message>",  // a comment (RFC 6120 §11.1)
            "<p:x xmlns:p='urn:p'/>",  // a prefix declared on the element itself
            "<y:x/>",  // an undeclared prefix: must not see the previous frame's
            "<message xmlns='jabber:client'><body>" + String(repeating: "x", count: 5_000) + "</body></message>",
        ].map { Array($0.utf8) }
        var rounds = 0
        for index in 0..<600 {
            let frame = index % 3 == 2 ? bad[(index / 3) % bad.count] : good[index % good.count]
            let (shared, alone) = self.outcomes(parser, frame)
            #expect(shared == alone, "frame \(index)")
            if index % 3 == 2 { #expect(shared.hasPrefix("error") || frame == Array("<p:x xmlns:p='urn:p'/>".utf8)) }
            rounds += 1
        }
        #expect(rounds == 600)
        // Only the bad frames were read again alone: every good one, after whatever bad frame, took the shared path.
        #expect(parser.framesReadAlone == 200 - 200 / bad.count)
    }

    @Test func aNewDocumentStartsAfterSoManyFrames() {
        let parser = ElementSequenceParser()
        let frame = Array("<presence xmlns='jabber:client'><x xmlns='urn:y'/></presence>".utf8)
        for index in 0..<(ElementSequenceParser.framesPerDocument * 3 + 5) {
            let (shared, alone) = self.outcomes(parser, frame)
            #expect(shared == alone && shared.hasPrefix("element"), "frame \(index)")
        }
        #expect(parser.framesReadAlone == 0)
    }

    @Test func theCodecDecodesWithTheSharedParser() throws {
        let codec = WebSocketXMPPCodec(maxStanzaBytes: 10_000)
        let parser = ElementSequenceParser()
        func decode(_ text: String) throws -> XMLStreamEvent {
            try Array(text.utf8).withUnsafeBytes { try codec.decode(frame: $0, with: parser) }
        }
        guard case .streamOpened = try decode("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='meet.jitsi'/>")
        else {
            Issue.record("no header")
            return
        }
        #expect(throws: XMLStreamError.self) { try decode("<message xmlns='jabber:client'>") }
        guard case .element(let message) = try decode("<message xmlns='jabber:client'><body>x</body></message>")
        else {
            Issue.record("no element")
            return
        }
        #expect(message.child("body")?.text == "x")
        #expect(try decode("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>") == .streamClosed)
    }
}
