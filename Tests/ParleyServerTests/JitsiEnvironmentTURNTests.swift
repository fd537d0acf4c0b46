import ParleyCore
import Testing

@testable import ParleyServer

/// docker-jitsi-meet's STUN/TURN variables, rendered as its Prosody template does (`prosody.cfg.lua`'s
/// `external_services`).
@Suite struct JitsiEnvironmentTURNTests {
    func apply(_ environment: [String: String]) -> (ServerConfiguration.ExternalServices, [String]) {
        let (configuration, notes) = JitsiEnvironment.apply(to: .jitsiPreset, environment: environment)
        return (configuration.externalServices, notes)
    }

    @Test func theTemplatesDefaults() {
        // TURN_PORT and TURNS_PORT 443, TURN_TRANSPORT tcp, TURN_TTL 86400.
        let (section, notes) = self.apply([
            "TURN_HOST": "turn.example.org", "TURNS_HOST": "turns.example.org", "TURN_CREDENTIALS": "north",
        ])
        #expect(
            section.services == [
                ExternalService(
                    kind: .turn,
                    host: "turn.example.org",
                    port: 443,
                    transport: .tcp,
                    credentials: .timeLimited(user: nil)
                ),
                ExternalService(
                    kind: .turns,
                    host: "turns.example.org",
                    port: 443,
                    transport: .tcp,
                    credentials: .timeLimited(user: nil)
                ),
            ]
        )
        #expect(section.secretEnvironment == "TURN_CREDENTIALS" && section.secret == nil && section.ttl == 86_400)
        #expect(!notes.joined().contains("north"))
        let (discovery, warnings) = section.discovery(environment: ["TURN_CREDENTIALS": "north"])
        #expect(discovery?.services.count == 2 && warnings.isEmpty)
    }

    @Test func everyVariable() {
        let (section, notes) = self.apply([
            "STUN_HOST": "stun.example.org", "STUN_PORT": "3478", "TURN_HOST": "a.example.org, b.example.org",
            "TURN_PORT": "3478", "TURN_TRANSPORT": "udp,tcp", "TURNS_HOST": "a.example.org", "TURNS_PORT": "5349",
            "TURN_TTL": "600", "TURN_CREDENTIALS": "north", "TURN_USERNAME": "jitsi",
        ])
        #expect(notes.filter { !$0.contains("listening on all interfaces") }.isEmpty)
        #expect(section.ttl == 600)
        #expect(
            section.services.map(\.description) == [
                "stun:stun.example.org:3478?transport=udp",
                "turn:a.example.org:3478?transport=udp (time-limited credentials)",
                "turn:a.example.org:3478?transport=tcp (time-limited credentials)",
                "turn:b.example.org:3478?transport=udp (time-limited credentials)",
                "turn:b.example.org:3478?transport=tcp (time-limited credentials)",
                "turns:a.example.org:5349?transport=tcp (time-limited credentials)",
            ]
        )
        // TURN_USERNAME with TURN_CREDENTIALS: `<expiry>:jitsi` (Prosody's item username).
        #expect(section.services[1].credentials == .timeLimited(user: "jitsi"))
    }

    @Test func staticCredentials() {
        let (section, _) = self.apply(["TURN_HOST": "turn.example.org", "TURN_USERNAME": "u", "TURN_PASSWORD": "p"])
        #expect(section.services.map(\.credentials) == [.fixed(username: "u", password: "p")])
        #expect(section.secretEnvironment == nil)
        // The shared secret wins over a static password, as in Prosody (the secret's credentials replace it).
        let (both, _) = self.apply([
            "TURN_HOST": "t", "TURN_USERNAME": "u", "TURN_PASSWORD": "p", "TURN_CREDENTIALS": "s",
        ])
        #expect(both.services.map(\.credentials) == [.timeLimited(user: "u")])
    }

    @Test func stunAloneIsNotServed() {
        // The template enables mod_external_services only with TURN_HOST or TURNS_HOST.
        let (section, notes) = self.apply(["STUN_HOST": "stun.example.org"])
        #expect(section.services.isEmpty)
        #expect(notes.contains { $0.contains("STUN_HOST") })
        let (none, _) = self.apply([:])
        #expect(none == .init())
    }

    @Test func badValuesAreNotedAndDefaulted() {
        let (section, notes) = self.apply([
            "TURN_HOST": "turn.example.org", "TURN_PORT": "https", "TURN_TRANSPORT": "sctp,udp", "TURN_TTL": "-5",
        ])
        #expect(section.services.map(\.description) == ["turn:turn.example.org:443?transport=udp"])
        #expect(section.ttl == 86_400)
        #expect(notes.contains { $0.contains("TURN_PORT") } && notes.contains { $0.contains("sctp") })
        #expect(notes.contains { $0.contains("TURN_TTL") } && notes.contains { $0.contains("no TURN credentials") })
    }
}
