import Foundation
import NIOCore
import ParleyCore
import ParleyTestSupport
import ParleyXML
import Testing

@testable import ParleyServer

/// In-process integration: a real server on ephemeral ports, real sockets, real TLS.
@Suite struct C2SIntegrationTests {
    @Test func anonymousLoginPingAndDisco() async throws {
        let server = try TestServer()
        defer { server.shutdown() }
        let client = try await server.client()
        let jid = try await client.login(host: "meet.jitsi")
        #expect(jid.domainpart == "meet.jitsi")
        #expect(jid.localpart?.allSatisfy { $0.isLowercase || $0.isNumber } == true)

        try await client.send("<iq type='get' id='p1' to='meet.jitsi'><ping xmlns='urn:xmpp:ping'/></iq>")
        let pong = try await client.expect { $0[attribute: "id"] == "p1" }
        #expect(pong[attribute: "type"] == "result")
        #expect(pong[attribute: "from"] == "meet.jitsi")

        try await client.send("<iq type='get' id='d1' to='meet.jitsi'><query xmlns='\(Namespace.discoInfo)'/></iq>")
        let info = try await client.expect { $0[attribute: "id"] == "d1" }
        let features =
            info.child("query")?.elements.filter { $0.name == "feature" }.compactMap { $0[attribute: "var"] } ?? []
        #expect(features.contains(Namespace.ping))
        #expect(!features.contains(Namespace.version))

        try await client.send("<iq type='get' id='u1' to='meet.jitsi'><query xmlns='urn:unknown'/></iq>")
        let unknown = try await client.expect { $0[attribute: "id"] == "u1" }
        #expect(unknown.child("error")?.child("service-unavailable") != nil)

        // The legacy session IQ, without `to`, as Strophe sends it after binding (RFC 3921 §3).
        try await client.send("<iq type='set' id='s1'><session xmlns='\(Namespace.session)'/></iq>")
        let session = try await client.expect { $0[attribute: "id"] == "s1" }
        #expect(session[attribute: "type"] == "result")

        try await client.send("<iq type='get' id='r1'><query xmlns='\(Namespace.roster)'/></iq>")
        let roster = try await client.expect { $0[attribute: "id"] == "r1" }
        #expect(roster[attribute: "type"] == "result")
        #expect(roster.child("query")?.elements.isEmpty == true)
        await client.close()
    }

    @Test func messagesAndIQsBetweenTwoClientsWithJitsiPayloads() async throws {
        let server = try TestServer(accounts: ["focus": "focuspass"])
        defer { server.shutdown() }
        let alice = try await server.client()
        let aliceJID = try await alice.login(host: "meet.jitsi")
        let focus = try await server.client()
        let focusJID = try await focus.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "focus",
            password: "focuspass",
            resource: "focus"
        )
        #expect(focusJID.description == "focus@auth.meet.jitsi/focus")

        // A Jingle source-add, as a browser sends it (fixture), addressed to focus's full JID.
        let fixture = String(decoding: Fixtures.bytes("jingle-source-add.xml"), as: UTF8.self)
        let parsedFixture = try #require(try parseElement(fixture))
        var iq = parsedFixture
        iq[attribute: "to"] = focusJID.description
        try await alice.send(iq.xmlString(inheritedNamespace: "jabber:client"))
        let received = try await focus.expect { $0.name == "iq" }
        #expect(received[attribute: "from"] == aliceJID.description)
        #expect(received.children == parsedFixture.children)
        try await focus.send("<iq type='result' id='\(received[attribute: "id"]!)' to='\(aliceJID)'/>")
        let result = try await alice.expect { $0.name == "iq" }
        #expect(result[attribute: "type"] == "result")
        #expect(result[attribute: "from"] == focusJID.description)

        try await focus.send("<message to='\(aliceJID)' type='chat'><body>hello &amp; welcome</body></message>")
        let message = try await alice.expect(name: "message")
        #expect(message.child("body")?.text == "hello & welcome")

        try await alice.send("<iq type='get' id='gone' to='\(focusJID.bare)/nobody'><ping xmlns='urn:xmpp:ping'/></iq>")
        let gone = try await alice.expect { $0[attribute: "id"] == "gone" }
        #expect(gone.child("error")?.child("service-unavailable") != nil)
        await alice.close()
        await focus.close()
    }

    @Test func aConflictingBindReplacesTheOldSession() async throws {
        let server = try TestServer(accounts: ["jvb": "jvbpass"])
        defer { server.shutdown() }
        let first = try await server.client()
        _ = try await first.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "jvb",
            password: "jvbpass",
            resource: "r"
        )
        let second = try await server.client()
        _ = try await second.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "jvb",
            password: "jvbpass",
            resource: "r"
        )
        #expect(try await first.expectStreamError() == "conflict")
        try await second.send("<iq type='get' id='p' to='auth.meet.jitsi'><ping xmlns='urn:xmpp:ping'/></iq>")
        _ = try await second.expect { $0[attribute: "id"] == "p" }
        await second.close()
    }

    /// SQLite lookups run off the event loop (`SASLCredentialLookup.mayBlock`) and their answer comes back to the
    /// session: PLAIN and a wrong password over a real SQLite store.
    @Test func accountsInSQLiteAreLookedUpOffTheEventLoop() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "parley-sqlite-\(UInt64.random(in: 0...UInt64.max))"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteAccountStore(dataDirectory: directory.path)
        try store.setPassword("jvbpass", username: "jvb", host: "auth.meet.jitsi")
        #expect(HostCredentialLookup(store: store, host: "auth.meet.jitsi").mayBlock)
        let server = try TestServer(store: store)
        defer { server.shutdown() }
        let good = try await server.client()
        let jid = try await good.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "jvb",
            password: "jvbpass",
            resource: "r"
        )
        #expect(jid.description == "jvb@auth.meet.jitsi/r")
        await good.close()
        let bad = try await server.client()
        try await bad.openStream(to: "auth.meet.jitsi")
        _ = try await bad.expect(name: "features")
        try await bad.startTLS(host: "auth.meet.jitsi")
        _ = try await bad.expect(name: "features")
        let payload = Base64.encode([0] + Array("jvb".utf8) + [0] + Array("wrong".utf8))
        try await bad.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>\(payload)</auth>")
        let failure = try await bad.expect(name: "failure")
        #expect(failure.child("not-authorized") != nil)
        await bad.close()
    }

    @Test func directedPresenceRecipientsGetUnavailableWhenTheSessionEnds() async throws {
        let server = try TestServer()
        defer { server.shutdown() }
        let watcher = try await server.client()
        let watcherJID = try await watcher.login(host: "meet.jitsi")
        try await watcher.send("<presence/>")
        // RFC 6121 §4.2.2: initial presence comes back to the resource that sent it.
        let echo = try await watcher.expect(name: "presence")
        #expect(echo[attribute: "from"] == watcherJID.description)
        #expect(echo[attribute: "to"] == watcherJID.description)
        let leaver = try await server.client()
        let leaverJID = try await leaver.login(host: "meet.jitsi")
        try await leaver.send("<presence to='\(watcherJID)'><status>here</status></presence>")
        let available = try await watcher.expect(name: "presence")
        #expect(available[attribute: "from"] == leaverJID.description)
        await leaver.close()
        let unavailable = try await watcher.expect(name: "presence")
        #expect(unavailable[attribute: "type"] == "unavailable")
        #expect(unavailable[attribute: "from"] == leaverJID.description)
        await watcher.close()
    }

    @Test func badInputClosesOnlyThatStream() async throws {
        let server = try TestServer { $0.maxStanzaBytes = 4096 }
        defer { server.shutdown() }
        let bystander = try await server.client()
        _ = try await bystander.login(host: "meet.jitsi")

        let cases: [(String, String)] = [
            ("<message><body>unclosed</mesage>", "not-well-formed"),
            ("<!-- comment -->", "restricted-xml"),
            ("<message><body>" + String(repeating: "x", count: 5000) + "</body></message>", "policy-violation"),
        ]
        for (bytes, condition) in cases {
            let bad = try await server.client()
            _ = try await bad.login(host: "meet.jitsi")
            try await bad.send(bytes)
            #expect(try await bad.expectStreamError() == condition, "\(bytes.prefix(40))")
        }
        let doctype = try await server.client()
        try await doctype.send(
            "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='meet.jitsi' version='1.0'>"
        )
        #expect(try await doctype.expectStreamError() == "restricted-xml")

        let wrongNamespace = try await server.client()
        try await wrongNamespace.send(
            "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='meet.jitsi' version='1.0'>"
        )
        #expect(try await wrongNamespace.expectStreamError() == "invalid-namespace")

        try await bystander.send("<iq type='get' id='still' to='meet.jitsi'><ping xmlns='urn:xmpp:ping'/></iq>")
        _ = try await bystander.expect { $0[attribute: "id"] == "still" }
        await bystander.close()
    }

    @Test func silentConnectionsTimeOut() async throws {
        let server = try TestServer { $0.negotiationTimeout = .milliseconds(300) }
        defer { server.shutdown() }
        let silent = try await server.client()
        #expect(try await silent.expectStreamError(timeout: .seconds(5)) == "connection-timeout")
    }

    @Test func unlimitedServiceAccountsMaySendLargeStanzas() async throws {
        let server = try TestServer(accounts: ["focus": "pw", "other": "pw"]) {
            $0.maxStanzaBytes = 4096
            $0.unlimitedJIDs = [try! JID("focus@auth.meet.jitsi")]
        }
        defer { server.shutdown() }
        let focus = try await server.client()
        _ = try await focus.login(
            host: "auth.meet.jitsi",
            mechanism: "PLAIN",
            username: "focus",
            password: "pw",
            resource: "focus"
        )
        let big = String(repeating: "x", count: 20_000)
        try await focus.send(
            "<iq type='get' id='big' to='auth.meet.jitsi'><ping xmlns='urn:xmpp:ping'>\(big)</ping></iq>"
        )
        _ = try await focus.expect { $0[attribute: "id"] == "big" }
        let other = try await server.client()
        _ = try await other.login(host: "auth.meet.jitsi", mechanism: "PLAIN", username: "other", password: "pw")
        try await other.send(
            "<iq type='get' id='big' to='auth.meet.jitsi'><ping xmlns='urn:xmpp:ping'>\(big)</ping></iq>"
        )
        #expect(try await other.expectStreamError() == "policy-violation")
        await focus.close()
    }
}

func parseElement(_ xml: String) throws -> XMLElement? {
    let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 1 << 24))
    var found: XMLElement?
    try parser.feed(
        Array(("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + xml).utf8)
    ) { event in
        if case .element(let e) = event { found = e }
    }
    return found
}
