import Testing

@testable import ParleyMUC

/// At least 40 identifiers in each category, each refused with the right category (wire forms: lower case,
/// percent-encoded, `@` and `+` stripped by Jitsi's client, tenant and room-JID forms).
@Suite("RoomName identifiers")
struct RoomNameIdentifierTests {
    let policy = RoomNamePolicyFixtures.policy()

    static let emailAddresses = [
        "alice%40example.com", "alice@example.org", "aliceexample.com", "bob.smithgmail.com", "j.doecompany.co.uk",
        "john.doe%40outlook.com", "johndoeoutlook.com", "maria.rossilibero.it", "hans.muellerweb.de",
        "hansmuellergmx.de", "jeanne.dupontorange.fr", "pierrefree.fr", "alice.protonmail.com", "aliceproton.me",
        "bob.pm.me", "janeyahoo.co.uk", "kimnaver.com", "wang.wei163.com", "priyarediffmail.com", "tomicloud.com",
        "tom.me.com", "alice%2btag%40example.com", "alicetagexample.com", "aliceexample.de",
        "a.b.smithuniversity.edu", "studentuni-heidelberg.de", "alice.smithcompany.io", "aliceexample.io",
        "developerstartup.dev", "mariacompany.com.br", "kenjicompany.co.jp", "lee%40company.com.sg",
        "meeting-with-aliceexample.com", "aliceexample.com-call", "info%40acme-corp.com", "salesacme-corp.com",
        "support%40example.net", "jdoeexample.org", "firstname.lastnamecompany.ch", "annamail.ru",
        "olga.ivanovayandex.ru", "example.com", "sven%40posteo.de", "alice%40localhost", "Alice%40Example.COM",
        "ALICEEXAMPLE.COM", "alice%ef%bc%a0example.com", "[acme]aliceexample.com", "m%c3%bcller%40example.de",
        "m%c3%bcllerexample.de", "alice.hotmail.fr", "tutanota-usertuta.io", "kevin%40mailbox.org",
    ]

    static let phoneNumbers = [
        "+4917612345678", "4917612345678", "0176-1234-5678", "030.1234567", "555123-4567",
        "tel%3a%2b15551234567", "tel15551234567", "%2b4917612345678", "004917612345678", "0049-176-12345678",
        "%2b1-555-123-4567", "1-555-123-4567", "15551234567", "555-123-4567", "%28555%29123-4567", "555.123.4567",
        "020%207946%200958", "02079460958", "442079460958", "07700900123", "07700-900-123", "01-23-45-67-89",
        "0123456789", "33123456789", "06.12.34.56.78", "030_12345678", "089%2f1234567", "0043-664-1234567",
        "41791234567", "079-123-45-67", "393123456789", "34612345678", "61412345678", "0412-345-678",
        "81-90-1234-5678", "8613812345678", "919876543210", "98765-43210", "5511987654321", "7-912-345-67-89",
        "alice4917612345678", "call-0176-1234-5678", "bob-15551234567", "1234567", "91234567",
        "standup-4917612345678-notes", "tel%3a%2b49-176-1234-5678", "[acme]4917612345678",
        "4917612345678@muc.meet.jitsi",
    ]

    static let xmppAddresses = [
        "focusauth.meet.jitsi", "alice%40meet.jitsi", "user@meet.jitsi", "jvbauth.meet.jitsi",
        "focus%40auth.meet.jitsi", "alicemeet.jitsi", "alice.meet.jitsi", "meet.jitsi", "auth.meet.jitsi",
        "alice@example.org/phone", "alice%40example.org%2fphone", "recorderhidden.meet.jitsi",
        "transcriber%40hidden.meet.jitsi", "jibriauth.meet.jitsi", "jigasi%40auth.meet.jitsi",
        "guestguest.meet.jitsi", "3c7a9f%40meet.jitsi", "3c7a9fmeet.jitsi", "focus.meet.jitsi", "muc.meet.jitsi",
        "weeklymuc.meet.jitsi", "weekly%40muc.meet.jitsi", "alice%40meet.jitsi%2fmobile", "alicemeet.jitsi%2fmobile",
        "bob@meet.jitsi/abc", "[acme]focusauth.meet.jitsi", "xmpp%3aalice%40meet.jitsi", "xmppalicemeet.jitsi",
        "alice%40lobby.meet.jitsi", "ALICE%40MEET.JITSI", "someone@jabber.org/laptop",
        "user%40xmpp.example.net%2fgajim", "john.doe%40meet.jitsi", "john.doemeet.jitsi", "4f1e%40guest.meet.jitsi",
        "roomname%40internal-muc.meet.jitsi", "alice@example.com@muc.meet.jitsi", "jvbbreweryinternal-muc.meet.jitsi",
        "focus.meet.jitsi%2ffocus",
        "carol%40breakout.meet.jitsi", "davemeet.jitsi%2fweb", "eve%40auth.meet.jitsi%2fjicofo",
        "x%40muc.meet.jitsi%2fnick", "[focusauth.meet.jitsi]standup", "alicemeet.jitsi@muc.meet.jitsi",
    ]

    /// Inputs whose normalised room part (or tenant) is a username in `RoomNamePolicyFixtures.accounts`.
    static let accountNames =
        RoomNamePolicyFixtures.accounts.sorted().map { name in
            name == "müller" ? "m%c3%bcller" : name
        } + [
            "ALICE", "Focus", "[acme]alice", "[jvb]standup", "alice@muc.meet.jitsi", "[acme]bob@muc.meet.jitsi",
            "M%C3%9CLLER", "maria.rossi@muc.meet.jitsi",
        ]

    @Test(arguments: Self.emailAddresses)
    func emailAddress(_ name: String) {
        self.expect(name, .emailAddress)
    }

    @Test(arguments: Self.phoneNumbers)
    func phoneNumber(_ name: String) {
        self.expect(name, .phoneNumber)
    }

    @Test(arguments: Self.xmppAddresses)
    func xmppAddress(_ name: String) {
        self.expect(name, .xmppAddress)
    }

    @Test(arguments: Self.accountNames)
    func accountName(_ name: String) {
        self.expect(name, .accountName)
    }

    @Test func everyCategoryHasAtLeastFortyIdentifiers() {
        for table in [Self.emailAddresses, Self.phoneNumbers, Self.xmppAddresses, Self.accountNames] {
            #expect(Set(table).count >= 40)
        }
    }

    @Test func accountNamesAreExact() {
        for name in ["alice2", "alice-and-bob", "focus-group", "jvbbrewery", "emma-watson-fanclub", "bobby"] {
            #expect(self.policy.evaluate(name).isAllowed, "\(name)")
        }
    }

    @Test(arguments: [
        ("aliceexample.com", "domain under '.com'"), ("bob.smithgmail.com", "'gmail.com'"),
        ("alice%40example.com", "'@'"),
        ("aliceexample.io", "10 or more"), ("0176-1234-5678", "12 digits"), ("alice4917612345678", "13 digits"),
        ("focusauth.meet.jitsi", "'auth.meet.jitsi'"), ("user%40meet.jitsi", "address on this server's domain"),
        ("alice@example.org/phone", "full JID"), ("alice", "username of an account"),
    ])
    func explanationSaysWhichRuleMatched(_ name: String, _ fragment: String) {
        let explanation = self.policy.evaluate(name).explanation
        #expect(explanation.contains(fragment), "\(explanation)")
    }

    private func expect(_ name: String, _ category: RoomNameCategory, sourceLocation: SourceLocation = #_sourceLocation)
    {
        let verdict = self.policy.evaluate(name)
        #expect(
            verdict.category == category,
            "\(name) → \(verdict.normalizedName): \(verdict.explanation)",
            sourceLocation: sourceLocation
        )
    }
}
