import ParleyCore
import Testing

@testable import ParleyServer

@Suite struct JitsiEnvironmentTests {
    @Test func noVariablesIsThePresetOnLoopback() {
        let (c, notes) = JitsiEnvironment.apply(to: .jitsiPreset, environment: [:])
        #expect(c.hosts.map(\.domain) == ["meet.jitsi", "auth.meet.jitsi"])
        #expect(c.muc.map(\.domain) == ["muc.meet.jitsi", "internal-muc.meet.jitsi"])
        #expect(c.focusProxy?.domain == "focus.meet.jitsi")
        #expect(c.listen.address == "127.0.0.1")
        #expect(notes.isEmpty)
    }

    @Test func dockerVariablesRenameEverything() throws {
        let env = [
            "XMPP_DOMAIN": "meet.example.org", "XMPP_AUTH_DOMAIN": "auth.meet.example.org",
            "XMPP_MUC_DOMAIN": "conference.meet.example.org",
            "XMPP_INTERNAL_MUC_DOMAIN": "internal.auth.meet.example.org",
            "JICOFO_AUTH_USER": "jicofo", "JICOFO_AUTH_PASSWORD": "p1", "JVB_AUTH_PASSWORD": "p2",
            "JIBRI_XMPP_PASSWORD": "p3", "MAX_PARTICIPANTS": "50", "LOG_LEVEL": "debug",
        ]
        let (c, notes) = JitsiEnvironment.apply(to: .jitsiPreset, environment: env)
        #expect(c.hosts.map(\.domain) == ["meet.example.org", "auth.meet.example.org"])
        #expect(c.hosts[0].authentication == .anonymous)
        #expect(
            c.accounts.map(\.jid.description) == [
                "jicofo@auth.meet.example.org", "jvb@auth.meet.example.org", "jibri@auth.meet.example.org",
            ]
        )
        #expect(c.accounts[0].resolvedPassword(environment: env) == "p1")
        #expect(c.admins == [try JID("jicofo@auth.meet.example.org")])
        #expect(c.muc[0].domain == "conference.meet.example.org" && c.muc[0].focusLock && c.muc[0].maxOccupants == 50)
        #expect(c.muc[1].domain == "internal.auth.meet.example.org")
        #expect(c.muc[1].admins.map(\.description) == ["jvb@auth.meet.example.org", "jibri@auth.meet.example.org"])
        // docker's muc_filter_whitelist: only the auth domain enters the breweries.
        #expect(c.muc[1].allowedDomains == ["auth.meet.example.org"])
        #expect(c.muc[0].allowedDomains.isEmpty)
        // docker's muc_access_whitelist with MAX_PARTICIPANTS: focus (and the recorder, when there is one).
        #expect(c.muc[0].maxOccupantsExempt.map(\.description) == ["jicofo@auth.meet.example.org"])
        #expect(
            c.focusProxy == .init(domain: "focus.meet.example.org", target: try JID("jicofo@auth.meet.example.org"))
        )
        #expect(c.c2s.unlimitedJIDs.count == 3)
        #expect(c.logLevel == .debug)
        #expect(c.listen.address == "0.0.0.0")
        #expect(notes.count == 1)
        #expect(!notes.joined().contains("p1"))
    }

    @Test func maxParticipantsExemptsFocusAndTheRecorder() {
        let env = [
            "MAX_PARTICIPANTS": "10", "JIBRI_RECORDER_PASSWORD": "r", "XMPP_RECORDER_DOMAIN": "recorder.meet.jitsi",
        ]
        let (c, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: env)
        #expect(c.muc[0].maxOccupants == 10)
        #expect(
            c.muc[0].maxOccupantsExempt.map(\.description) == ["focus@auth.meet.jitsi", "recorder@recorder.meet.jitsi"]
        )
        #expect(
            c.muc[0].passwordExempt.map(\.description) == ["focus@auth.meet.jitsi", "recorder@recorder.meet.jitsi"]
        )
        let (none, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: [:])
        #expect(none.muc[0].maxOccupants == nil && none.muc[0].maxOccupantsExempt.isEmpty)
    }

    @Test func recorderAndTranscriberLiveOnTheHiddenDomainAndSkipLocksLimitsAndTheLobby() {
        let env = [
            "JIBRI_RECORDER_PASSWORD": "r", "JIGASI_TRANSCRIBER_PASSWORD": "t", "MAX_PARTICIPANTS": "5",
            "PARLEY_LISTEN_ADDRESS": "127.0.0.1",
        ]
        let (c, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: env)
        #expect(c.hosts.map(\.domain).contains("hidden.meet.jitsi"))
        let hidden = c.accounts.map(\.jid.description).filter { $0.hasSuffix("@hidden.meet.jitsi") }
        #expect(hidden == ["recorder@hidden.meet.jitsi", "transcriber@hidden.meet.jitsi"])
        #expect(c.accounts.first { $0.jid.localpart == "transcriber" }?.resolvedPassword(environment: env) == "t")
        let exempt = Set(hidden).union(["focus@auth.meet.jitsi"])
        #expect(Set(c.muc[0].maxOccupantsExempt.map(\.description)) == exempt)
        #expect(Set(c.muc[0].passwordExempt.map(\.description)) == exempt)
        #expect(c.lobby?.whitelist.map(\.description) == ["hidden.meet.jitsi"])
        let (custom, _) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["XMPP_HIDDEN_DOMAIN": "recorder.example.org", "JIGASI_TRANSCRIBER_PASSWORD": "t"]
        )
        #expect(custom.accounts.contains { $0.jid.description == "transcriber@recorder.example.org" })
    }

    @Test func secureDomainWithGuests() {
        let (c, _) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["ENABLE_AUTH": "1", "ENABLE_GUESTS": "1", "PARLEY_LISTEN_ADDRESS": "127.0.0.1"]
        )
        #expect(c.hosts.map(\.domain) == ["meet.jitsi", "guest.meet.jitsi", "auth.meet.jitsi"])
        #expect(c.hosts.map(\.authentication) == [.internalHashed, .anonymous, .internalHashed])
        #expect(c.listen.address == "127.0.0.1")
    }
}
