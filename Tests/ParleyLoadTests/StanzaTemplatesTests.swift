import Foundation
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

    @Test func largeJitsiPresenceIsAboutOnePointFiveKilobytes() {
        var configuration = LoadConfiguration(scenario: .join, transport: .websocket)
        configuration.presence = .jitsiLarge
        let templates = StanzaTemplates(configuration: configuration)
        #expect((1400...1600).contains(templates.joinPresenceBytes))
        #expect(String(decoding: templates.presenceOpen, as: UTF8.self).contains("xmlns='jabber:client'"))
    }

    /// A fixture presence's children as a browser puts them on the wire: no whitespace between tags, without the
    /// `<presence>` start and end tags.
    private func wireChildren(_ name: String) -> String {
        let file = String(decoding: Fixtures.bytes(name), as: UTF8.self)
        let wire = file.replacing(/>\s+</, with: "><").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let start = wire.firstIndex(of: ">"), wire.hasSuffix("</presence>") else { return "" }
        return String(wire[wire.index(after: start)..<wire.index(wire.endIndex, offsetBy: -"</presence>".count)])
    }

    @Test func jitsiPresenceIsTheBrowserFixture() {
        var configuration = LoadConfiguration(scenario: .fanout, transport: .websocket)
        configuration.presence = .jitsi
        let templates = StanzaTemplates(configuration: configuration)
        let join = wireChildren("participant-join-presence.xml")
        let update = wireChildren("participant-presence-update.xml")
        #expect(join.hasPrefix("<x xmlns=\"http://jabber.org/protocol/muc\"/><stats-id>"))
        #expect(String(decoding: templates.joinPayload, as: UTF8.self) == join)
        let updates = templates.updatePayloads.map { String(decoding: $0, as: UTF8.self) }
        #expect(updates.count == 5)
        #expect(updates.contains(update))
        // Every update differs from the one before (mute, unmute, camera, screen share, a property).
        for index in updates.indices {
            #expect(updates[index] != updates[(index + 1) % updates.count])
            #expect(!updates[index].contains("protocol/muc\""))
        }
        // The README's wire size of the join (673 bytes) plus the addressing.
        #expect((650...800).contains(templates.joinPresenceBytes))
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
