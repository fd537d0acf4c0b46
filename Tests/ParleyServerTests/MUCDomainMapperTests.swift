import ParleyCore
import ParleyXML
import Testing

@testable import ParleyServer

/// Tenants (Jitsi's `mod_muc_domain_mapper`): virtual `room@muc.<tenant>.meet.jitsi` ⇄ real `[tenant]room@muc.meet.jitsi`.
@Suite struct MUCDomainMapperTests {
    static let mapper = MUCDomainMapper(base: "meet.jitsi", muc: "muc.meet.jitsi")

    @Test func theRealMUCMustBeOneLabelBeforeTheBase() throws {
        let mapper = try #require(Self.mapper)
        #expect(mapper.prefix == "muc" && mapper.mucDomain == "muc.meet.jitsi")
        #expect(MUCDomainMapper(base: "example.com", muc: "conference.example.com")?.prefix == "conference")
        #expect(MUCDomainMapper(base: "meet.jitsi", muc: "muc.other.jitsi") == nil)
        #expect(MUCDomainMapper(base: "meet.jitsi", muc: "a.b.meet.jitsi") == nil)
        #expect(MUCDomainMapper(base: "meet.jitsi", muc: "meet.jitsi") == nil)
        #expect(MUCDomainMapper(base: "", muc: "muc.") == nil)
    }

    @Test func tenantsOfVirtualDomains() throws {
        let mapper = try #require(Self.mapper)
        #expect(mapper.tenant(ofVirtualDomain: "muc.acme.meet.jitsi") == "acme")
        #expect(mapper.tenant(ofVirtualDomain: "muc.a.meet.jitsi") == "a")
        for domain in [
            "muc.meet.jitsi", "meet.jitsi", "muc..meet.jitsi", "muc.a.b.meet.jitsi", "mucx.acme.meet.jitsi",
            "muc.acme.meet.jitsix", "muc.acme.xmeet.jitsi", "focus.meet.jitsi", "lobby.acme.meet.jitsi", "", "m",
        ] {
            #expect(mapper.tenant(ofVirtualDomain: domain) == nil, "\(domain)")
        }
    }

    @Test func addressesBothWays() throws {
        let mapper = try #require(Self.mapper)
        let virtual = try JID("standup@muc.acme.meet.jitsi/alice")
        let real = try JID("[acme]standup@muc.meet.jitsi/alice")
        #expect(mapper.real(virtual) == .real(real))
        #expect(mapper.virtual(real) == virtual)
        #expect(mapper.real(try JID("muc.acme.meet.jitsi")) == .real(try JID("muc.meet.jitsi")))
        #expect(mapper.real(real) == .unchanged)
        #expect(mapper.real(try JID("user@meet.jitsi/r")) == .unchanged)
        // Only a tenant's room on the real MUC domain maps back.
        #expect(mapper.virtual(try JID("standup@muc.meet.jitsi/alice")) == nil)
        #expect(mapper.virtual(try JID("[acme]standup@lobby.meet.jitsi")) == nil)
        #expect(mapper.virtual(try JID("[]standup@muc.meet.jitsi")) == nil)
        #expect(mapper.virtual(try JID("[acme]@muc.meet.jitsi")) == nil)
        #expect(mapper.virtual(try JID("[a.b]x@muc.meet.jitsi")) == nil)
        // A room name that fits in a virtual address but not with its tenant in front.
        let long = String(repeating: "a", count: 1020)
        #expect(mapper.real(try JID("\(long)@muc.acme.meet.jitsi")) == .unrepresentable)
    }

    @Test func aSessionMapsWhatItSentAndOnlyThenWhatItGets() throws {
        let mapper = try #require(Self.mapper)
        var addressing = TenantAddressing(mapper: mapper)
        // Nothing maps back before the client used a virtual domain (Jicofo joins the real room).
        var early = try Self.stanza("<presence from='[acme]standup@muc.meet.jitsi/bob' to='u@meet.jitsi/r'/>")
        addressing.outbound(&early)
        #expect(early.from?.description == "[acme]standup@muc.meet.jitsi/bob")

        var join = try Self.stanza("<presence from='u@meet.jitsi/r' to='standup@muc.acme.meet.jitsi/alice'/>")
        #expect(addressing.inbound(&join) == nil)
        #expect(join.to?.description == "[acme]standup@muc.meet.jitsi/alice")
        #expect(addressing.isActive)

        var presence = try Self.stanza(
            "<presence from='[acme]standup@muc.meet.jitsi/bob' to='u@meet.jitsi/r'><x xmlns='http://jabber.org/protocol/muc#user'><item jid='[acme]standup@muc.meet.jitsi'/></x></presence>"
        )
        addressing.outbound(&presence)
        #expect(presence.from?.description == "standup@muc.acme.meet.jitsi/bob")
        // Nowhere else in payloads.
        #expect(
            presence.body.child("x")?.child("item")?[attribute: "jid"] == "[acme]standup@muc.meet.jitsi"
        )

        var other = try Self.stanza("<message from='other@muc.meet.jitsi/x' to='u@meet.jitsi/r' type='groupchat'/>")
        addressing.outbound(&other)
        #expect(other.from?.description == "other@muc.meet.jitsi/x")
    }

    @Test func theConferenceIQAndItsAnswer() throws {
        let mapper = try #require(Self.mapper)
        var addressing = TenantAddressing(mapper: mapper)
        var request = try Self.stanza(
            "<iq type='set' id='c1' from='u@meet.jitsi/r' to='focus.meet.jitsi'><conference xmlns='http://jitsi.org/protocol/focus' room='standup@muc.acme.meet.jitsi' machine-uid='m'><property name='x' value='y'/></conference></iq>"
        )
        #expect(addressing.inbound(&request) == nil)
        #expect(request.to?.description == "focus.meet.jitsi")
        #expect(request.payload?[attribute: "room"] == "[acme]standup@muc.meet.jitsi")
        #expect(request.payload?[attribute: "machine-uid"] == "m")
        #expect(request.payload?.elements.count == 1)

        var answer = try Self.stanza(
            "<iq type='result' id='c1' from='focus.meet.jitsi' to='u@meet.jitsi/r'><conference xmlns='http://jitsi.org/protocol/focus' room='[acme]standup@muc.meet.jitsi' ready='true'/></iq>"
        )
        addressing.outbound(&answer)
        #expect(answer.payload?[attribute: "room"] == "standup@muc.acme.meet.jitsi")
        #expect(answer.payload?[attribute: "ready"] == "true")
    }

    @Test func roomlessIQsAreAnsweredFromTheVirtualDomain() throws {
        let mapper = try #require(Self.mapper)
        var addressing = TenantAddressing(mapper: mapper)
        var disco = try Self.stanza(
            "<iq type='get' id='d1' from='u@meet.jitsi/r' to='muc.acme.meet.jitsi'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
        )
        #expect(addressing.inbound(&disco) == nil)
        #expect(disco.to?.description == "muc.meet.jitsi")
        var result = try Self.stanza("<iq type='result' id='d1' from='muc.meet.jitsi' to='u@meet.jitsi/r'/>")
        addressing.outbound(&result)
        #expect(result.from?.description == "muc.acme.meet.jitsi")
        // Once only.
        var again = try Self.stanza("<iq type='result' id='d1' from='muc.meet.jitsi' to='u@meet.jitsi/r'/>")
        addressing.outbound(&again)
        #expect(again.from?.description == "muc.meet.jitsi")
        // Bounded: the oldest of too many outstanding IQs is forgotten.
        for index in 0...TenantAddressing.maximumPending {
            var iq = try Self.stanza(
                "<iq type='get' id='q\(index)' from='u@meet.jitsi/r' to='muc.acme.meet.jitsi'><ping xmlns='urn:xmpp:ping'/></iq>"
            )
            _ = addressing.inbound(&iq)
        }
        var oldest = try Self.stanza("<iq type='result' id='q0' from='muc.meet.jitsi' to='u@meet.jitsi/r'/>")
        addressing.outbound(&oldest)
        #expect(oldest.from?.description == "muc.meet.jitsi")
        var newest = try Self.stanza(
            "<iq type='error' id='q\(TenantAddressing.maximumPending)' from='muc.meet.jitsi' to='u@meet.jitsi/r'/>"
        )
        addressing.outbound(&newest)
        #expect(newest.from?.description == "muc.acme.meet.jitsi")
    }

    @Test func anAddressWithNoRealFormIsRefused() throws {
        let mapper = try #require(Self.mapper)
        var addressing = TenantAddressing(mapper: mapper)
        let long = String(repeating: "a", count: 1020)
        var join = try Self.stanza("<presence from='u@meet.jitsi/r' to='\(long)@muc.acme.meet.jitsi/n'/>")
        #expect(addressing.inbound(&join)?.condition == .jidMalformed)
    }

    static func stanza(_ xml: String) throws -> Stanza {
        try Stanza(try #require(try parseElement(xml)))
    }
}
