import ParleyCore
import Testing

@testable import ParleyServer

/// The `tenants` section (Jitsi's `mod_muc_domain_mapper`) and its docker defaults.
@Suite struct TenantsConfigurationTests {
    @Test func thePresetMapsTheConferenceMUC() {
        #expect(ServerConfiguration.jitsiPreset.tenants == .init(base: "meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(XMPPServer.Configuration(.jitsiPreset).tenants?.mucDomain == "muc.meet.jitsi")
    }

    @Test func nullTurnsItOffAndAFileWithOtherDomainsGetsItsOwn() throws {
        let off = try ConfigurationLoader.load(yaml: "tenants: null\n", path: "t.yaml", environment: [:])
        #expect(off.tenants == nil && XMPPServer.Configuration(off).tenants == nil)
        let debian = try ConfigurationLoader.load(
            yaml: """
                hosts:
                  - { domain: example.com, authentication: anonymous }
                  - { domain: auth.example.com, authentication: internal_hashed }
                accounts: []
                admins: []
                focus_proxy: null
                muc:
                  - { domain: conference.example.com, focus_lock: true }
                  - { domain: internal.auth.example.com }
                end_conference: null
                av_moderation: null
                speaker_stats: null
                polls: null
                room_metadata: null
                conference_duration: null
                lobby: null

                """,
            path: "debian.yaml",
            environment: [:]
        )
        #expect(debian.tenants == .init(base: "example.com", muc: "conference.example.com"))
        #expect(XMPPServer.Configuration(debian).tenants?.prefix == "conference")
    }

    @Test func aMUCThatIsNotOneLabelBeforeTheBaseIsAnError() {
        #expect {
            try ConfigurationLoader.load(
                yaml: "tenants:\n  base: meet.jitsi\n  muc: internal-muc.auth.meet.jitsi\n",
                path: "bad.yaml",
                environment: [:]
            )
        } throws: { error in
            (error as? ConfigurationError)?.errors.map(\.keyPath) == ["tenants.muc"]
        }
        #expect {
            try ConfigurationLoader.load(
                yaml: "tenants:\n  base: other.jitsi\n  muc: muc.other.jitsi\n",
                path: "bad.yaml",
                environment: [:]
            )
        } throws: { error in
            (error as? ConfigurationError)?.description.contains("is not one of the muc services") == true
        }
    }

    @Test func dockerMapsTheTenantsOfItsDomain() {
        let (c, notes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["XMPP_DOMAIN": "example.org", "XMPP_MUC_DOMAIN": "conference.example.org"]
        )
        #expect(c.tenants == .init(base: "example.org", muc: "conference.example.org"))
        #expect(notes.allSatisfy { !$0.contains("tenant") })
        let (odd, oddNotes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["XMPP_DOMAIN": "example.org", "XMPP_MUC_DOMAIN": "rooms.example.net"]
        )
        #expect(odd.tenants == nil)
        #expect(oddNotes.contains { $0.contains("/<tenant>/ URLs are off") })
    }

    @Test func tokenSubjectsMayNameTenantsWhenTenantsExist() {
        let token = ServerConfiguration.TokenAuthentication(appID: "app", verifySubject: true)
        #expect(token.verifierConfiguration(domain: "meet.jitsi", tenants: true).acceptsTenantSubjects)
        #expect(!token.verifierConfiguration(domain: "meet.jitsi").acceptsTenantSubjects)
    }
}

/// The prosody image's server variables: ports, encryption, admins, subdomains.
@Suite struct JitsiEnvironmentServerTests {
    @Test func portsEncryptionAdminsAndSubdomains() throws {
        let (c, notes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: [
                "XMPP_PORT": "15222", "PROSODY_HTTP_PORT": "15280", "PROSODY_C2S_REQUIRE_ENCRYPTION": "0",
                "PROSODY_ADMINS": "ops@auth.meet.jitsi, nonsense@@, focus@auth.meet.jitsi",
                "ENABLE_SUBDOMAINS": "false",
            ]
        )
        #expect(c.listen.c2sPort == 15222 && c.listen.httpPort == 15280)
        #expect(!c.c2s.requireEncryption)
        #expect(c.admins.map(\.description) == ["focus@auth.meet.jitsi", "ops@auth.meet.jitsi"])
        #expect(notes.contains { $0.contains("nonsense@@") })
        #expect(c.tenants == nil)
        let (bad, badNotes) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["XMPP_PORT": "99999"])
        #expect(bad.listen.c2sPort == 5222 && badNotes.contains { $0.contains("XMPP_PORT=99999 is not a port") })
        let (plain, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["XMPP_DOMAIN": "meet.jitsi"])
        #expect(plain.c2s.requireEncryption && plain.tenants != nil)
    }
}
