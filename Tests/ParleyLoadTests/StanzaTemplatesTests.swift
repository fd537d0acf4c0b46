import NIOCore
import ParleyTestSupport
import Testing

@testable import ParleyLoad

@Suite struct StanzaTemplatesTests {
    @Test(arguments: LoadTransport.allCases, PresenceProfile.allCases)
    func templatesAreWellFormed(transport: LoadTransport, presence: PresenceProfile) throws {
        var configuration = LoadConfiguration(scenario: .jitsi, transport: transport)
        configuration.presence = presence
        try StanzaTemplates(configuration: configuration).check()
    }

    @Test func joinPresenceAddressesTheOccupant() {
        var configuration = LoadConfiguration(scenario: .join)
        configuration.roomPrefix = "bench"
        let templates = StanzaTemplates(configuration: configuration)
        let buffer = templates.presence(
            room: 12,
            client: 1234,
            payload: templates.joinPayload,
            allocator: ByteBufferAllocator()
        )
        #expect(
            String(buffer: buffer)
                == "<presence to='bench12@muc.meet.jitsi/u1234'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        )
        #expect(templates.occupantJID(room: 0, client: 7) == Array("bench0@muc.meet.jitsi/u7".utf8))
    }

    @Test func jitsiPresenceIsAboutOnePointFiveKilobytes() {
        var configuration = LoadConfiguration(scenario: .join, transport: .websocket)
        configuration.presence = .jitsi
        let templates = StanzaTemplates(configuration: configuration)
        #expect((1400...1600).contains(templates.joinPresenceBytes))
        #expect(String(decoding: templates.presenceOpen, as: UTF8.self).contains("xmlns='jabber:client'"))
    }

    @Test func jitsiPresenceCarriesTheFixtureExtensions() throws {
        // Every child of the fixture's presence appears, by element name, in the generator's Jitsi presence.
        let fixture = String(decoding: Fixtures.bytes("participant-join-presence.xml"), as: UTF8.self)
        #expect(!fixture.isEmpty)
        let payload = JitsiPresence.extensions(sourceInfo: 0)
        for name in [
            "stats-id", "<c ", "<features>", "jitsi_participant_region", "jitsi_participant_codecList", "<email>",
            "<nick ", "SourceInfo",
        ] {
            #expect(fixture.contains(name) && payload.contains(name), "\(name)")
        }
    }

    @Test func decimalWriter() {
        for value in [0, 7, 10, 99, 100, 123_456, 9_999_999_999] {
            var buffer = ByteBuffer()
            StanzaTemplates.writeDecimal(value, into: &buffer)
            #expect(String(buffer: buffer) == String(value))
        }
    }

    @Test func base64() {
        #expect(String(decoding: Base64.encode(Array("\u{0}user\u{0}pass".utf8)), as: UTF8.self) == "AHVzZXIAcGFzcw==")
        #expect(String(decoding: Base64.encode(Array("ab".utf8)), as: UTF8.self) == "YWI=")
        #expect(String(decoding: Base64.encode([]), as: UTF8.self) == "")
    }
}
