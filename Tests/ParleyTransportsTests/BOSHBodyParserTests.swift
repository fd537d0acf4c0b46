import ParleyCore
import ParleyTestSupport
import ParleyXML
import Testing

@testable import ParleyTransports

/// One loop's reused body parser reads every body as a parser made for it alone would: same attributes, same
/// elements, same error, whatever the previous body was.
@Suite struct BOSHBodyParserTests {
    private func describe(_ body: () throws -> BOSHBody) -> String {
        do {
            let parsed = try body()
            let elements = parsed.elements.map {
                String(decoding: $0.serialized(inheritedNamespace: ""), as: UTF8.self)
            }
            return "body \(parsed.attributes.map { "\($0.name)=\($0.value)" }) \(elements)"
        } catch {
            return "error \(error)"
        }
    }

    @Test func bodiesReadAsByAFreshParser() {
        let parser = BOSHBodyParser()
        let open = "<body xmlns='http://jabber.org/protocol/httpbind'"
        let stanzas = Fixtures.names.map { String(decoding: Fixtures.bytes($0), as: UTF8.self) }.filter {
            $0.count < 3_000
        }
        #expect(stanzas.count >= 10)
        var bodies: [String] = stanzas.enumerated().map {
            "\(open) rid='\($0.offset + 1)' sid='s'>\($0.element)</body>"
        }
        bodies += [
            "\(open) rid='1' to='meet.jitsi' wait='60' hold='1' ver='1.6' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>",
            "\(open) rid='2'>",  // unclosed
            "<body xmlns='jabber:client'/>",  // wrong namespace
            "\(open) rid='3'><message xmlns='jabber:client'><!-- no --></message></body>",  // a comment
            "\(open) rid='4'><p:x xmlns:p='urn:p'/></body>",  // a prefix of its own
            "\(open) rid='5'><p:x/></body>",  // must not see the previous body's prefix
            "\(open) rid='6'>" + String(repeating: "<a/>", count: 2_000) + "</body>",  // over the size limit
            "POST /http-bind HTTP/1.1\r\n\r\n\(open) rid='7'/>",  // text before the body (found by the fuzzer)
            "\(open) rid='8'/>junk",  // text after it
            " \r\n\t\(open) rid='9'/>\n",  // whitespace around it: a document may have that
            "",
        ]
        for round in 0..<3 {
            for (index, text) in bodies.enumerated() {
                let bytes = Array(text.utf8)
                let shared = bytes.withUnsafeBytes { raw in
                    self.describe { try parser.body(parsing: raw, maxBytes: 4_096) }
                }
                let alone = bytes.withUnsafeBytes { raw in self.describe { try BOSHBody(parsing: raw, maxBytes: 4_096) }
                }
                #expect(shared == alone, "round \(round), body \(index)")
            }
        }
        // Only the eight bodies the shared parser cannot take were read alone; every good one took the shared path.
        #expect(parser.bodiesReadAlone == 3 * 8)
    }
}
