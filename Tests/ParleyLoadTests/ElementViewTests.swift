import Testing

@testable import ParleyLoad

private func view<T>(_ text: String, _ body: (ElementView) -> T) -> T {
    Array(text.utf8).withUnsafeBytes { body(ElementView($0)) }
}

@Suite struct ElementViewTests {
    @Test func namesDropPrefixes() {
        #expect(view("<stream:features/>") { $0.name } == "features")
        #expect(view("<presence to='a'>") { $0.isNamed("presence") })
        #expect(view("<iq\ntype='get'/>") { $0.name } == "iq")
    }

    @Test func attributesInEitherQuoteStyle() {
        let text = "<presence from=\"r@m/n\" type='unavailable' to='u@h/r'><x type='not-this'/></presence>"
        #expect(view(text) { $0.attributeString("from") } == "r@m/n")
        #expect(view(text) { $0.attribute("type", is: "unavailable") })
        #expect(view(text) { $0.attributeString("id") } == nil)
        // `to` must not match inside another attribute's name or value.
        #expect(view("<a xto='1' to='2'/>") { $0.attributeString("to") } == "2")
        #expect(view("<a title='to=3' to='4'/>") { $0.attributeString("to") } == "4")
    }

    @Test func statusCodes() {
        #expect(view("<presence><x><status code='110'/></x></presence>") { $0.hasStatusCode("110") })
        #expect(view("<presence><x><status code=\"110\"/></x></presence>") { $0.hasStatusCode("110") })
        #expect(
            !view("<presence><x><status code='1100'/><status code='210'/></x></presence>") { $0.hasStatusCode("110") }
        )
    }

    @Test func descendantAttributes() {
        let iq =
            "<iq type='set' id='q'><conference xmlns='http://jitsi.org/protocol/focus' room='r7@muc' machine-uid='a'/></iq>"
        #expect(view(iq) { $0.descendantAttribute("room").map { String(decoding: $0, as: UTF8.self) } } == "r7@muc")
        #expect(
            view("<iq><c xroom='no' room=\"yes\"/></iq>") {
                $0.descendantAttribute("room").map { String(decoding: $0, as: UTF8.self) }
            } == "yes"
        )
    }
}
