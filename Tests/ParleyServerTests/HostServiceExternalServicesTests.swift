import ParleyCore
import ParleyXML
import Testing

@testable import ParleyServer

/// XEP-0215 through a real server: advertised by every host, answered to a signed-in session over TLS.
@Suite struct HostServiceExternalServicesTests {
    static let services = ExternalServiceDiscovery(
        services: [
            ExternalService(kind: .stun, host: "127.0.0.1", port: 3478, transport: .udp),
            ExternalService(
                kind: .turn,
                host: "127.0.0.1",
                port: 3478,
                transport: .udp,
                credentials: .timeLimited(user: nil)
            ),
        ],
        secret: "north",
        defaultTTL: 3600
    )

    @Test func advertisedAndAnswered() async throws {
        let server = try TestServer { $0.externalServices = Self.services }
        defer { server.shutdown() }
        let client = try await server.client()
        _ = try await client.login(host: "meet.jitsi")

        try await client.send("<iq type='get' id='d1' to='meet.jitsi'><query xmlns='\(Namespace.discoInfo)'/></iq>")
        let info = try await client.expect { $0[attribute: "id"] == "d1" }
        let features = info.child("query")?.elements.compactMap { $0[attribute: "var"] } ?? []
        #expect(features.contains("urn:xmpp:extdisco:2") && features.contains("urn:xmpp:extdisco:1"))

        for (id, namespace) in [("s2", "urn:xmpp:extdisco:2"), ("s1", "urn:xmpp:extdisco:1")] {
            try await client.send("<iq type='get' id='\(id)' to='meet.jitsi'><services xmlns='\(namespace)'/></iq>")
            let reply = try await client.expect { $0[attribute: "id"] == id }
            #expect(reply[attribute: "type"] == "result")
            let services = reply.child("services", namespace: namespace)?.elements ?? []
            #expect(services.map { $0[attribute: "type"] } == ["stun", "turn"])
            let turn = try #require(services.last)
            let username = try #require(turn[attribute: "username"])
            #expect(Int(username).map { $0 > 0 } == true)
            #expect(
                turn[attribute: "password"]
                    == TURNRESTCredential(secret: Array("north".utf8), expiry: Int(username) ?? 0).password
            )
            #expect(turn[attribute: "restricted"] == "1" && turn[attribute: "expires"] != nil)
        }

        try await client.send("<iq type='get' id='x1' to='meet.jitsi'><nonsense xmlns='urn:xmpp:extdisco:2'/></iq>")
        let unknown = try await client.expect { $0[attribute: "id"] == "x1" }
        #expect(unknown.child("error")?.child("feature-not-implemented") != nil)
        await client.close()
    }

    @Test func notConfiguredIsNotAdvertised() async throws {
        let server = try TestServer()
        defer { server.shutdown() }
        let client = try await server.client()
        _ = try await client.login(host: "meet.jitsi")
        try await client.send("<iq type='get' id='d1' to='meet.jitsi'><query xmlns='\(Namespace.discoInfo)'/></iq>")
        let info = try await client.expect { $0[attribute: "id"] == "d1" }
        let features = info.child("query")?.elements.compactMap { $0[attribute: "var"] } ?? []
        #expect(!features.contains("urn:xmpp:extdisco:2"))
        try await client.send("<iq type='get' id='s2' to='meet.jitsi'><services xmlns='urn:xmpp:extdisco:2'/></iq>")
        let reply = try await client.expect { $0[attribute: "id"] == "s2" }
        #expect(reply.child("error")?.child("service-unavailable") != nil)
        await client.close()
    }
}
