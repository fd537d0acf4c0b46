import NIOCore
import Testing

@testable import ParleyLoad

/// Feeds `text` in chunks of the given sizes (cycled) and records what the framer reports.
private func frame(_ text: String, rootDepth: Int = 1, chunks: [Int] = [], restartAfter: Set<String> = []) -> [String] {
    var framer = XMLFramer(rootDepth: rootDepth)
    var events: [String] = []
    let bytes = Array(text.utf8)
    var index = 0
    var chunk = 0
    while index < bytes.count {
        let size = chunks.isEmpty ? bytes.count : max(1, chunks[chunk % chunks.count])
        chunk += 1
        let end = min(bytes.count, index + size)
        bytes[index..<end].withUnsafeBytes { framer.append($0) }
        index = end
        let valid = framer.process { event in
            switch event {
            case .streamOpened(let view):
                events.append("open:" + view.name)
                return .proceed
            case .element(let view):
                let text = String(decoding: view.bytes, as: UTF8.self)
                events.append(text)
                return restartAfter.contains(view.name) ? .restart : .proceed
            case .streamClosed:
                events.append("close")
                return .stop
            }
        }
        if !valid { events.append("invalid") }
    }
    return events
}

private let header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    + "id='x' from='meet.jitsi' version='1.0'>"

@Suite struct XMLFramerTests {
    @Test(arguments: [[], [1], [2, 3], [7], [64]])
    func streamInAnySplit(chunks: [Int]) {
        let text =
            header
            + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>ANONYMOUS</mechanism>"
            + "</mechanisms></stream:features><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
            + "<presence from='r@m/a&apos;b' to='x'><status code=\"110\"/><x a='1 > 0'/></presence></stream:stream>"
        let events = frame(text, chunks: chunks)
        #expect(events.count == 5)
        #expect(events[0] == "open:stream")
        #expect(events[1].hasPrefix("<stream:features>") && events[1].hasSuffix("</stream:features>"))
        #expect(events[2] == "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
        #expect(events[3].hasPrefix("<presence") && events[3].hasSuffix("</presence>"))
        #expect(events[4] == "close")
    }

    @Test func restartStartsANewDocument() {
        let text =
            header + "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + header
            + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        let events = frame(text, chunks: [5], restartAfter: ["success"])
        #expect(
            events == [
                "open:stream", "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", "open:stream",
                "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
            ]
        )
    }

    @Test func commentsCDATAAndDeclarationsAreSkipped() {
        let text = header + "<!-- a > b --><message><body><![CDATA[<not/> a tag]]></body></message>"
        let events = frame(text, chunks: [3])
        #expect(events == ["open:stream", "<message><body><![CDATA[<not/> a tag]]></body></message>"])
    }

    @Test func webSocketFramesHaveNoRoot() {
        let events = frame(
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='meet.jitsi' version='1.0'/>"
                + "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>",
            rootDepth: 0
        )
        #expect(events.count == 2)
        #expect(events[0].hasPrefix("<open "))
        #expect(events[1].hasPrefix("<stream:features"))
    }

    @Test func boshBodyIsTheRoot() {
        let events = frame(
            "<body xmlns='http://jabber.org/protocol/httpbind' sid='s1'><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
                + "<iq type='result' id='bind'/></body>"
        )
        #expect(
            events == [
                "open:body", "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", "<iq type='result' id='bind'/>",
                "close",
            ]
        )
    }

    @Test func unbalancedEndTagIsInvalid() {
        #expect(frame("</a>", rootDepth: 0) == ["invalid"])
    }

    @Test func partialElementWaitsForMore() {
        var framer = XMLFramer(rootDepth: 0)
        Array("<presence><x".utf8).withUnsafeBytes { framer.append($0) }
        var count = 0
        framer.process { _ in
            count += 1
            return .proceed
        }
        #expect(count == 0)
        #expect(framer.bufferedByteCount == 12)
        Array("/></presence>".utf8).withUnsafeBytes { framer.append($0) }
        framer.process { _ in
            count += 1
            return .proceed
        }
        #expect(count == 1)
        #expect(framer.bufferedByteCount == 0)
    }
}

@Suite struct XMLFramerEmptyRootTests {
    @Test func emptyBOSHBodyOpensAndCloses() {
        let events = frame(
            "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='internal-server-error'/>"
        )
        #expect(events == ["open:body", "close"])
    }
}
