import ParleyTestSupport
import ParleyXML
import Testing

@testable import ParleyLoad

private func parse(_ bytes: [UInt8]) -> XMLElement {
    let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 1 << 20))
    var found: XMLElement?
    try? parser.feed(
        Array("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>".utf8) + bytes
    ) {
        if case .element(let e) = $0 { found = e }
    }
    return found ?? XMLElement(name: "invalid", namespace: "")
}

/// Jicofo's first allocation on a new bridge conference (Tests/Fixtures/jitsi), as the bridge receives it.
private func request(create: Bool = true, meeting: String? = nil) -> XMLElement {
    var iq = parse(Fixtures.bytes("colibri2-conference-modify.xml"))
    iq[attribute: "from"] = "jvbbrewery@internal-muc.meet.jitsi/focus"
    if !create || meeting != nil {
        iq.children = iq.children.map { node in
            guard case .element(var modify) = node else { return node }
            if !create { modify[attribute: "create"] = nil }
            if let meeting { modify[attribute: "meeting-id"] = meeting }
            return .element(modify)
        }
    }
    return iq
}

private func condition(_ reply: XMLElement) -> String? {
    reply.child("error")?.elements.first { $0.name != "text" }?.name
}

@Suite("Fake bridge: Colibri2 answers")
struct ColibriBridgeTests {
    @Test("a new conference: feedback sources, and per endpoint an ICE-UDP transport with SCTP")
    func allocation() throws {
        var bridge = ColibriBridge(name: "bridge1", seed: 1)
        #expect(ColibriBridge.isRequest(request()))
        let (reply, report) = bridge.handle(request())
        #expect(reply[attribute: "type"] == "result" && reply[attribute: "id"] == "Jv4Qx-305")
        #expect(reply[attribute: "to"] == "jvbbrewery@internal-muc.meet.jitsi/focus")
        let modified = try #require(reply.child("conference-modified", namespace: "jitsi:colibri2"))
        let sources = modified.child("sources")?.elements ?? []
        #expect(sources.map { $0[attribute: "id"] } == ["jvb-a0", "jvb-v0"])
        let endpoint = try #require(modified.child("endpoint"))
        #expect(endpoint[attribute: "id"] == "3f9a1c7e")
        let ice = try #require(endpoint.child("transport")?.child(namespace: "urn:xmpp:jingle:transports:ice-udp:1"))
        #expect(ice[attribute: "ufrag"]?.count == 14 && ice[attribute: "pwd"]?.count == 26)
        #expect(ice.child("fingerprint")?.text.split(separator: ":").count == 32)
        #expect(ice.child("web-socket")?[attribute: "url"]?.hasPrefix("wss://127.0.0.1/colibri-ws/bridge1/") == true)
        #expect(endpoint.child("transport")?.child("sctp")?[attribute: "role"] == "server")
        #expect(report.created && report.endpointsCreated == ["3f9a1c7e"] && report.error == nil)
        #expect(report.conferenceName == "weeklysync@muc.meet.jitsi")
        #expect(bridge.endpointCount == 1)
    }

    @Test("the same seed gives the same credentials and SSRCs; another seed others")
    func seeded() {
        var a = ColibriBridge(name: "b", seed: 42)
        var b = ColibriBridge(name: "b", seed: 42)
        var c = ColibriBridge(name: "b", seed: 43)
        let first = a.handle(request()).reply.xmlString()
        #expect(first == b.handle(request()).reply.xmlString())
        #expect(first != c.handle(request()).reply.xmlString())
    }

    @Test("conflicts, unknown conferences and endpoints, expiry as the bridge answers them")
    func errors() {
        var bridge = ColibriBridge(name: "b", seed: 1)
        _ = bridge.handle(request())
        #expect(condition(bridge.handle(request()).reply) == "conflict")
        #expect(condition(bridge.handle(request(create: false, meeting: "nope")).reply) == "item-not-found")
        // The same endpoint created again in the existing conference.
        #expect(condition(bridge.handle(request(create: false)).reply) == "conflict")
        var expire = XMLElement("iq", ns: "jabber:client", [("type", "set"), ("id", "x"), ("from", "f")])
        var modify = XMLElement(
            "conference-modify",
            ns: "jitsi:colibri2",
            [("meeting-id", "a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab")]
        )
        modify.append(XMLElement("endpoint", ns: "jitsi:colibri2", [("id", "3f9a1c7e"), ("expire", "true")]))
        expire.append(modify)
        let (reply, report) = bridge.handle(expire)
        #expect(reply[attribute: "type"] == "result")
        #expect(report.endpointsExpired == ["3f9a1c7e"] && report.expired)
        #expect(bridge.conferences.isEmpty)
        let noID = XMLElement("iq", ns: "jabber:client", [("type", "get"), ("id", "y")])
        #expect(!ColibriBridge.isRequest(noID))
    }

    @Test("the stats presence: the brewery join carries the MUC element, the counts follow the conferences")
    func stats() {
        var bridge = ColibriBridge(name: "b", seed: 1)
        let join = bridge.statsPresence(to: "jvbbrewery@internal-muc.meet.jitsi/b", join: true, region: "eu")
        #expect(join.child("x", namespace: "http://jabber.org/protocol/muc") != nil)
        _ = bridge.handle(request())
        let later = bridge.statsPresence(to: "jvbbrewery@internal-muc.meet.jitsi/b", join: false, region: nil)
        let stats = Dictionary(
            uniqueKeysWithValues: (later.child("stats")?.elements ?? []).compactMap { stat in
                stat[attribute: "name"].map { ($0, stat[attribute: "value"] ?? "") }
            }
        )
        #expect(later.child("x", namespace: "http://jabber.org/protocol/muc") == nil)
        #expect(stats["conferences"] == "1" && stats["endpoints"] == "1" && stats["healthy"] == "true")
        #expect(stats["region"] == nil)
    }
}
