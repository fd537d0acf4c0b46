import ParleyCore
import Testing

@testable import ParleyMUC

/// Ordinary names pass; the options, the verdict's privacy and the refusal's stanza error.
@Suite("RoomNamePolicy")
struct RoomNamePolicyTests {
    let policy = RoomNamePolicyFixtures.policy()

    /// Names people and Jitsi pick. None identifies a person, so all must pass with the defaults.
    static let ordinaryNames = [
        "weekly-standup", "projectx2025", "abc123", "team.sync", "gentleflowersattenddoubtfully",
        "[acme]weekly-standup", "caf%c3%a9-meeting", "release-1.2.3", "q3-2025-review",
        "__jicofo-health-check-1234abcd", "__jicofo-health-check-7fffffffffffff01", "meeting.notes", "project.x",
        "v2.0", "weekly.dev", "my.app", "check.in", "talk.to", "join.us", "people.hr", "all-hands", "daily_scrum",
        "design-review-2025-11-22", "2025-11-22", "20251122", "22.11.2025", "standup-2025-11-22-1430",
        "sprint42-retro", "room2024", "board-meeting~q4", "550e8400-e29b-41d4-a716-446655440000",
        "x7f3k9q2m1", "onboarding", "marketing%20sync", "%e6%9c%83%e8%ad%b0", "stra%c3%9fe-fest",
        "coffee-chat", "book-club-march", "family-call", "interview-round-2", "support", "hackathon-2025",
        "tuesday.review", "[engineering]architecture-sync", "jvbbrewery", "ops-oncall-handover", "alice-and-bob",
        "focus-group", "conferenceroom-3b", "e2e-test", "k8s-upgrade", "rfc6120-reading-group", "123456",
        "room-123-456", "%f0%9f%8e%89-party", "invalid%zzescape", "hungryelephantsjumpquickly",
        "weekly-standup@muc.meet.jitsi", "[acme]weekly-standup@muc.meet.jitsi", "planning@muc.acme.meet.jitsi",
        "%ef%bd%97%ef%bd%85%ef%bd%85%ef%bd%8b%ef%bd%8c%ef%bd%99", "retro.2025.q3", "office-hours",
        "3c1e0b7a-9f0d-4c55-8a5e-2b8e6f1d9c77", "bread-baking-club", "sales.info", "12.30-13.45", "call.me",
        "meet-at-3pm.me",
    ]

    @Test(arguments: Self.ordinaryNames)
    func ordinaryNamePasses(_ name: String) {
        let verdict = self.policy.evaluate(name)
        #expect(verdict.isAllowed, "\(name): \(verdict.explanation)")
    }

    @Test func theTableIsLargeEnough() {
        #expect(Self.ordinaryNames.count >= 40)
    }

    // MARK: - Trade-offs (Docs/RoomNamePolicy.md)

    /// Names ending in a word-like or project top-level domain pass unless the label before it is long.
    @Test(arguments: ["weekly.dev", "my.app", "check.in", "talk.to", "join.us", "standup.at", "sales.info", "call.me"])
    func wordLikeTopLevelDomainsPass(_ name: String) {
        #expect(self.policy.evaluate(name).isAllowed)
    }

    @Test(arguments: ["aliceexample.dev", "firstname.lastnamecompany.app", "aliceproton.me", "maria.rossilibero.it"])
    func wordLikeTopLevelDomainsAfterALongLabelOrAProviderAreRefused(_ name: String) {
        #expect(self.policy.evaluate(name).category == .emailAddress)
    }

    /// Accepted false positives: these identify nobody but look exactly like an identifier.
    @Test(arguments: [
        ("example.com", RoomNameCategory.emailAddress), ("acme.com", .emailAddress), ("berlin.de", .emailAddress),
        ("class.es", .emailAddress), ("isbn9783161484100", .phoneNumber), ("order-4711-0815-42", .phoneNumber),
        ("room-123-456-789", .phoneNumber), ("0800-1234567", .phoneNumber),
    ])
    func acceptedFalsePositives(_ name: String, _ category: RoomNameCategory) {
        #expect(self.policy.evaluate(name).category == category)
    }

    /// Accepted false negatives: addresses the rules cannot tell from ordinary names.
    @Test(arguments: [
        "bobacme.io", "bob.smithacme.io", "bobpm.me", "alice-smithacme.team", "10.0.0.1", "1234567890123456",
        "alice-4917-6123",
    ])
    func acceptedFalseNegatives(_ name: String) {
        #expect(self.policy.evaluate(name).isAllowed)
    }

    // MARK: - Normalisation

    @Test(arguments: [
        ("caf%c3%a9-meeting", "café-meeting"),
        ("alice%40example.com", "alice@example.com"),
        ("alice%2Btag%40Example.COM", "alice+tag@example.com"),
        ("[acme]weekly-standup", "[acme]weekly-standup"),
        ("[Acme]Weekly%2DStandup", "[acme]weekly-standup"),
        ("weekly-standup@muc.meet.jitsi", "weekly-standup"),
        ("weekly-standup@MUC.Meet.Jitsi", "weekly-standup"),
        ("planning@muc.acme.meet.jitsi", "[acme]planning"),
        ("%ef%bd%97%ef%bd%85%ef%bd%85%ef%bd%8b%ef%bd%8c%ef%bd%99", "weekly"),
        ("invalid%zzescape%4", "invalid%zzescape%4"),
        ("[]room", "[]room"),
        ("[acme]", "[acme]"),
        ("%ff", "\u{FFFD}"),
        ("", ""),
    ])
    func normalises(_ input: String, _ expected: String) {
        #expect(self.policy.evaluate(input).normalizedName == expected)
    }

    @Test func aRoomJIDOnlyDropsAMUCDomain() {
        // A MUC domain is dropped; any other domain makes the whole input the name.
        #expect(self.policy.evaluate("weekly@muc.meet.jitsi").isAllowed)
        #expect(self.policy.evaluate("alice@example.com").category == .emailAddress)
        #expect(self.policy.evaluate("user@meet.jitsi").category == .xmppAddress)
        // Without MUC domains, every local domain and its subdomains is accepted as a room JID's domain.
        let lenient = RoomNamePolicyFixtures.policy(mucDomains: nil)
        #expect(lenient.evaluate("user@meet.jitsi").isAllowed)
        #expect(lenient.evaluate("weekly@muc.meet.jitsi").isAllowed)
        #expect(lenient.evaluate("alice@meet.jitsi").category == .accountName)
        #expect(lenient.evaluate("alice@example.com").category == .emailAddress)
    }

    // MARK: - Tenants

    @Test(arguments: [
        ("[aliceexample.com]standup", RoomNameCategory.emailAddress),
        ("[aliceexample_com]standup", .emailAddress),
        ("[4917612345678]standup", .phoneNumber),
        ("[alice]standup", .accountName),
        ("[focusauth.meet.jitsi]standup", .xmppAddress),
        ("[acme]aliceexample.com", .emailAddress),
        ("standup@muc.aliceexample_com.meet.jitsi", .emailAddress),
    ])
    func tenantIsJudgedToo(_ name: String, _ category: RoomNameCategory) {
        #expect(self.policy.evaluate(name).category == category)
    }

    @Test func explanationNamesThePart() {
        #expect(self.policy.evaluate("[alice]standup").explanation.contains("the tenant 'alice'"))
        #expect(self.policy.evaluate("[acme]alice").explanation.contains("the room name 'alice'"))
    }

    // MARK: - Options

    @Test func allowListWinsOverEveryRule() {
        let policy = RoomNamePolicyFixtures.policy(
            .init(
                allow: ["Example.COM", "alice", "[acme]4917612345678"],
                denyPatterns: ["example"],
                minimumLength: 30,
                randomLookingOnly: true
            )
        )
        #expect(policy.evaluate("example.com").isAllowed)
        #expect(policy.evaluate("alice").isAllowed)
        #expect(policy.evaluate("[acme]4917612345678").isAllowed)
        #expect(policy.evaluate("[acme]alice").isAllowed)
        // An allowed room does not excuse its tenant.
        #expect(policy.evaluate("[bob]alice").category == .accountName)
        #expect(policy.evaluate("[bob]alice").explanation.contains("the tenant"))
        #expect(policy.evaluate("weekly-standup").category == .tooShort)
    }

    @Test func disabledAllowsEverything() {
        let policy = RoomNamePolicyFixtures.policy(.init(enabled: false, minimumLength: 10, randomLookingOnly: true))
        for name in ["alice%40example.com", "4917612345678", "focus", "focusauth.meet.jitsi", "x"] {
            #expect(policy.evaluate(name).isAllowed)
        }
        #expect(policy.evaluate("x").explanation.contains("enabled: false"))
    }

    @Test func eachCategoryCanBeTurnedOff() {
        let off = RoomNamePolicyFixtures.policy(
            .init(refuseEmail: false, refusePhone: false, refuseJID: false, refuseAccountNames: false)
        )
        for name in ["aliceexample.com", "4917612345678", "focusauth.meet.jitsi", "alice", "user%40meet.jitsi"] {
            #expect(off.evaluate(name).isAllowed, "\(name)")
        }
        // With refuse_jid off, an address on a local domain is still an e-mail address.
        let noJID = RoomNamePolicyFixtures.policy(.init(refuseJID: false))
        #expect(noJID.evaluate("user%40meet.jitsi").category == .emailAddress)
    }

    @Test func minimumLengthCountsCharactersOfTheRoomPart() {
        let policy = RoomNamePolicyFixtures.policy(.init(minimumLength: 6))
        #expect(policy.evaluate("abc12").category == .tooShort)
        #expect(policy.evaluate("abc123").isAllowed)
        #expect(policy.evaluate("[longtenant]abc12").category == .tooShort)
        // Characters after decoding: `cafés` is five (six bytes).
        #expect(policy.evaluate("caf%c3%a9s").category == .tooShort)
        #expect(policy.evaluate("caf%c3%a9s!").isAllowed)
        #expect(policy.evaluate("abc12").explanation.contains("5 characters"))
    }

    @Test func denyPatternsMatchAnywhereCaseInsensitively() {
        let policy = RoomNamePolicyFixtures.policy(.init(denyPatterns: ["^emp[0-9]{6}$", "Secret", "^acme$"]))
        #expect(policy.evaluate("emp123456").category == .denyPattern)
        #expect(policy.evaluate("emp1234567").isAllowed)
        #expect(policy.evaluate("top-secret-plans").category == .denyPattern)
        #expect(policy.evaluate("[acme]standup").category == .denyPattern)
        #expect(policy.evaluate("acme-standup").isAllowed)
        #expect(policy.evaluate("top-secret-plans").explanation.contains("'Secret'"))
    }

    @Test func anInvalidDenyPatternFailsClosed() {
        #expect(RoomNamePolicy.Configuration.patternError("(unclosed") != nil)
        #expect(RoomNamePolicy.Configuration.patternError("^emp[0-9]{6}$") == nil)
        let policy = RoomNamePolicyFixtures.policy(.init(denyPatterns: ["(unclosed"]))
        #expect(policy.evaluate("weekly-standup").category == .denyPattern)
    }

    static let jitsiGeneratedNames = [
        "gentleflowersattenddoubtfully", "hungryelephantsjumpquickly", "remarkableconversationsdriftloudly",
        "suspiciousbananasreflectbriefly", "tropicalgalaxiesdebateeagerly", "vibrantcommitteesvisitslowly",
        "ancientbreakthroughsreturnrapidly", "steadyhorizonsexplainopenly", "responsiblecandlesreinforcenowadays",
        "surprisingcommissionsbreathepolitely",
    ]

    @Test(
        arguments: Self.jitsiGeneratedNames + [
            "550e8400-e29b-41d4-a716-446655440000", "3c1e0b7a9f0d4c558a5e2b8e6f1d9c77", "x7f3k9q2m1", "k3j9-x2pq-7v",
            "a8f2k4m9z1q7", "[acme]x7f3k9q2m1",
        ]
    )
    func randomLookingOnlyAcceptsRandomNames(_ name: String) {
        let verdict = RoomNamePolicyFixtures.policy(.init(randomLookingOnly: true)).evaluate(name)
        #expect(verdict.isAllowed, "\(name): \(verdict.explanation)")
        #expect(verdict.explanation.contains("looks random"))
    }

    @Test(arguments: [
        "weekly-standup", "projectx2025", "abc123", "team.sync", "room2024", "weeklystandup", "standup",
        "aaaaaaaaaaaaaaaaaaaaaaaa", "zzzzzzzzzzzzzzzzzzzzzzzzz", "q3-2025-review", "board-meeting",
        "abababababababababababab", "a1b2c3d4", "mississippimississippi", "[x7f3k9q2m1]weekly",
    ])
    func randomLookingOnlyRefusesChosenNames(_ name: String) {
        let verdict = RoomNamePolicyFixtures.policy(.init(randomLookingOnly: true)).evaluate(name)
        #expect(verdict.category == .notRandom, "\(name): \(verdict.explanation)")
    }

    @Test func randomLookingOnlyStillRefusesIdentifiersFirst() {
        let policy = RoomNamePolicyFixtures.policy(.init(randomLookingOnly: true))
        #expect(policy.evaluate("alice4917612345678").category == .phoneNumber)
        #expect(policy.evaluate("__jicofo-health-check-0123456789abcdef").isAllowed)
    }

    // MARK: - Privacy of the verdict

    @Test(arguments: [
        "alice%40example.com", "aliceexample.com", "4917612345678", "focusauth.meet.jitsi", "alice",
        "weekly-standup", "[acme]secretproject", "emp123456",
    ])
    func verdictDescriptionsNeverContainTheName(_ name: String) {
        let policy = RoomNamePolicyFixtures.policy(.init(denyPatterns: ["^emp"]))
        let verdict = policy.evaluate(name)
        let normalized = verdict.normalizedName
        var dumped = ""
        dump(verdict, to: &dumped)
        for text in [
            verdict.description, verdict.debugDescription, String(describing: verdict), String(reflecting: verdict),
            "\(verdict)", dumped, verdict.stanzaError?.description ?? "",
        ] {
            #expect(!text.contains(normalized), "\(text)")
            #expect(!text.contains(name), "\(text)")
        }
        // The explanation, for the local CLI, does name it.
        #expect(verdict.explanation.contains(normalized))
    }

    @Test func refusalIsCancelNotAllowedWithTheCategoryText() {
        for category in RoomNameCategory.allCases {
            let error = category.stanzaError
            #expect(error.type == .cancel)
            #expect(error.condition == .notAllowed)
            #expect(error.text == category.refusalText)
            #expect(category.refusalText.hasPrefix("room name "))
        }
        let verdict = self.policy.evaluate("alice%40example.com")
        #expect(
            verdict.stanzaError
                == StanzaError(.notAllowed, type: .cancel, text: "room name looks like an e-mail address")
        )
        #expect(verdict.description == "refused (email): room name looks like an e-mail address")
        #expect(self.policy.evaluate("weekly-standup").stanzaError == nil)
        #expect(self.policy.evaluate("weekly-standup").description == "allowed")
    }

    // MARK: - Robustness and cost

    @Test func arbitraryInputNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aZ09.-_~%@[]/+()# :xX\u{e9}\u{FF20}\u{1F389}cfmo")
        let policies = [
            self.policy,
            RoomNamePolicyFixtures.policy(.init(minimumLength: 5, randomLookingOnly: true), mucDomains: nil),
        ]
        for _ in 0..<3000 {
            let length = Int.random(in: 0...40, using: &generator)
            let name = String((0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
            for policy in policies {
                _ = policy.evaluate(name).explanation
            }
        }
        for name in [
            "%", "%4", "%%", "@", "@@", "[", "]", "[]", "[a]", "a@", "@a", "a@b/", "/", ".", "..com", ".com",
            "+", "tel", "tel:", "00", "0", "[[a]]b", "a@muc.meet.jitsi@x", String(repeating: "9", count: 2000),
            String(repeating: "a.", count: 500), String(repeating: "1-", count: 500),
        ] {
            for policy in policies { _ = policy.evaluate(name).explanation }
        }
    }

    @Test func costPerEvaluation() {
        let names = [
            "weekly-standup", "gentleflowersattenddoubtfully", "[acme]weekly-standup", "projectx2025",
            "caf%c3%a9-meeting", "aliceexample.com", "weekly-standup@muc.meet.jitsi",
        ]
        let clock = ContinuousClock()
        let rounds = 5_000
        for name in names {
            var allowed = 0
            let elapsed = clock.measure {
                for _ in 0..<rounds where self.policy.evaluate(name).isAllowed {
                    allowed += 1
                }
            }
            let nanoseconds = Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9
            // Printed only: timing on a shared machine is no assertion.
            print("RoomNamePolicy.evaluate(\(name)): \(Int(nanoseconds / Double(rounds))) ns (\(allowed) allowed)")
        }
    }
}
