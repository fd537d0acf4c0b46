import Testing

@testable import ParleyCore

@Suite struct JIDTests {
    @Test(arguments: [
        ("user@meet.jitsi/res", "user", "meet.jitsi", "res"),
        ("User@Meet.Jitsi/Res", "user", "meet.jitsi", "Res"),
        ("meet.jitsi", nil, "meet.jitsi", nil),
        ("meet.jitsi.", nil, "meet.jitsi", nil),
        ("weeklysync@muc.meet.jitsi/3f9a1c7e", "weeklysync", "muc.meet.jitsi", "3f9a1c7e"),
        ("[tenant]room@muc.meet.jitsi", "[tenant]room", "muc.meet.jitsi", nil),
        ("caf%c3%a9~x_y.z-1@muc.meet.jitsi", "caf%c3%a9~x_y.z-1", "muc.meet.jitsi", nil),
        ("focus.meet.jitsi/abc@meet.jitsi/res", nil, "focus.meet.jitsi", "abc@meet.jitsi/res"),
        ("a@b/c/d@e", "a", "b", "c/d@e"),
        ("Ĳ@example.com", "ĳ", "example.com", nil),
        ("user@[::1]/r", "user", "[::1]", "r"),
        ("jvbbrewery@internal-muc.meet.jitsi/5d8e3c1f2a9b", "jvbbrewery", "internal-muc.meet.jitsi", "5d8e3c1f2a9b"),
    ])
    func valid(_ input: String, _ local: String?, _ domain: String, _ resource: String?) throws {
        let jid = try JID(input)
        #expect(jid.localpart == local)
        #expect(jid.domainpart == domain)
        #expect(jid.resourcepart == resource)
        #expect(try JID(jid.description) == jid)
        let expected =
            (local.map { $0 + "@" } ?? "") + domain + (resource.map { "/" + $0 } ?? "")
        #expect(jid.description == expected)
    }

    @Test func descriptionOfEveryForm() throws {
        #expect(try JID("meet.jitsi").description == "meet.jitsi")
        #expect(try JID("a@meet.jitsi").description == "a@meet.jitsi")
        #expect(try JID("meet.jitsi/r").description == "meet.jitsi/r")
        #expect(try JID("ĳ@ëxample.com/Grüße 🎉").description == "ĳ@ëxample.com/Grüße 🎉")
        let long = String(repeating: "r", count: 1023)
        #expect(try JID("a@meet.jitsi/" + long).description == "a@meet.jitsi/" + long)
    }

    @Test(arguments: [
        "a@b@c", "@meet.jitsi", "user@", "user@meet.jitsi/", "", "us er@meet.jitsi", "a\"b@meet.jitsi",
        "a:b@meet.jitsi", "a<b@meet.jitsi", "user@meet..jitsi", "user@-/", "user@meet jitsi", "x@[::1", "a&b@c",
        "user@meet.jitsi/\u{0}", "user@exa!mple.com",
    ])
    func invalid(_ input: String) {
        #expect(throws: JIDError.self) { try JID(input) }
    }

    @Test func partLengthsAreBoundedAt1023Bytes() throws {
        let ok = String(repeating: "a", count: 1023)
        #expect(try JID("\(ok)@meet.jitsi").localpart == ok)
        #expect(throws: JIDError.localpartTooLong) { try JID(ok + "a@meet.jitsi") }
        #expect(throws: JIDError.resourcepartTooLong) { try JID("u@meet.jitsi/" + ok + "é") }
        // Multi-byte characters count in bytes, not characters.
        #expect(throws: JIDError.localpartTooLong) { try JID(String(repeating: "é", count: 512) + "@meet.jitsi") }
    }

    @Test func domainLabelsAreBoundedAt63Bytes() throws {
        let label = String(repeating: "x", count: 63)
        #expect(try JID("u@\(label).meet.jitsi").domainpart == "\(label).meet.jitsi")
        #expect(try JID("u@\(label.uppercased()).Meet.Jitsi").domainpart == "\(label).meet.jitsi")
        #expect(throws: JIDError.invalidCharacter(part: "domainpart")) { try JID("u@\(label)x.meet.jitsi") }
        #expect(throws: JIDError.invalidCharacter(part: "domainpart")) { try JID("u@meet.jitsi..") }
        #expect(throws: JIDError.invalidCharacter(part: "domainpart")) { try JID("u@.meet.jitsi") }
        #expect(throws: JIDError.domainpartTooLong) {
            try JID("u@" + Array(repeating: label, count: 17).joined(separator: "."))
        }
    }

    @Test func separatorsAreCodePointsNotCharacters() throws {
        // RFC 7622 §3.1 splits at the first "/" code point, even where a combining mark follows it.
        let jid = try JID("u@meet.jitsi/\u{301}x")
        #expect(jid.domainpart == "meet.jitsi")
        #expect(jid.resourcepart == "\u{301}x")
    }

    @Test func bareAndEquality() throws {
        let full = try JID("alice@meet.jitsi/phone")
        #expect(full.bare == (try JID("ALICE@meet.jitsi")))
        #expect(full.bare.isBare && full.isFull)
        #expect(full.domain.description == "meet.jitsi")
        #expect(try full.bare.with(resource: "laptop").description == "alice@meet.jitsi/laptop")
    }
}
