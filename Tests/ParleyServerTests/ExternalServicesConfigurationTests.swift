import ParleyCore
import Testing

@testable import ParleyServer

/// The `external_services` section of the YAML file, and what `parley check` says about it.
@Suite("Configuration: external_services")
struct ExternalServicesConfigurationTests {
    /// The preset accounts' passwords, so that their warnings stay out of the way.
    static let accounts = ["JICOFO_AUTH_PASSWORD": "f", "JVB_AUTH_PASSWORD": "j"]

    /// Issues as `line:column severity keyPath`.
    private func summary(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        ConfigurationLoader.check(
            yaml: yaml,
            path: "t.yaml",
            environment: environment.merging(Self.accounts) { a, _ in a }
        ).map {
            "\($0.line ?? 0):\($0.column ?? 0) \($0.severity.rawValue) \($0.keyPath)"
        }
    }

    @Test func aFullSection() throws {
        let yaml = """
            external_services:
              secret_env: TURN_SECRET
              ttl: 3600
              access: [focus@auth.meet.jitsi, meet.jitsi]
              services:
                - { type: stun, host: turn.example.org, port: 3478 }
                - { type: turn, host: turn.example.org, transport: udp, secret: true }
                - { type: turns, host: 192.0.2.7, port: 443, transport: tcp, secret: true, username: jitsi, ttl: 60 }
                - { type: turn, host: relay.example.org, username: u, password: p }
            """
        let outcome = ConfigurationLoader.parse(
            yaml: yaml,
            path: "t.yaml",
            environment: Self.accounts.merging(["TURN_SECRET": "north"]) { a, _ in a }
        )
        #expect(outcome.issues.isEmpty)
        let section = try #require(outcome.configuration?.externalServices)
        #expect(section.secretEnvironment == "TURN_SECRET" && section.secret == nil && section.ttl == 3600)
        #expect(section.access.map(\.description) == ["focus@auth.meet.jitsi", "meet.jitsi"])
        #expect(
            section.services == [
                ExternalService(kind: .stun, host: "turn.example.org", port: 3478),
                ExternalService(
                    kind: .turn,
                    host: "turn.example.org",
                    port: 3478,
                    transport: .udp,
                    credentials: .timeLimited(user: nil)
                ),
                ExternalService(
                    kind: .turns,
                    host: "192.0.2.7",
                    port: 443,
                    transport: .tcp,
                    credentials: .timeLimited(user: "jitsi"),
                    ttl: 60
                ),
                ExternalService(
                    kind: .turn,
                    host: "relay.example.org",
                    credentials: .fixed(username: "u", password: "p")
                ),
            ]
        )
        #expect(section.resolvedSecret(environment: ["TURN_SECRET": "north"]) == "north")
        #expect(!section.description.contains("north"))

        let (discovery, warnings) = section.discovery(environment: ["TURN_SECRET": "north"])
        #expect(discovery?.services.count == 4 && discovery?.defaultTTL == 3600 && warnings.isEmpty)
        // Without the secret, the time-limited services are left out, with a warning each.
        let (partial, missing) = section.discovery(environment: [:])
        #expect(partial?.services.map(\.kind) == [.stun, .turn])
        #expect(missing.count == 2 && missing.allSatisfy { $0.contains("TURN_SECRET is not set") })
    }

    @Test func noSectionServesNothing() throws {
        let configuration = try ConfigurationLoader.load(yaml: "log_level: info\n", path: "t.yaml", environment: [:])
        #expect(configuration.externalServices == .init())
        #expect(XMPPServer.Configuration(configuration).externalServices == nil)
    }

    @Test func aLiteralSecretReachesTheServer() throws {
        let yaml = """
            external_services:
              secret: north
              services:
                - { type: turn, host: 127.0.0.1, secret: true }
            """
        #expect(self.summary(yaml) == ["2:11 warning external_services.secret"])
        let configuration = try ConfigurationLoader.load(yaml: yaml, path: "t.yaml", environment: [:])
        #expect(XMPPServer.Configuration(configuration).externalServices?.services.count == 1)
    }

    @Test("every bad value is reported with its line and column")
    func badValues() {
        let yaml = """
            external_services:
              secret: a
              secret_env: B
              ttl: 0
              access: [not a jid@x]
              servces: []
              services:
                - { type: turm, host: turn.example.org }
                - { type: turn, port: 70000 }
                - { type: stun, host: stun.example.org, secret: true }
                - { type: turn, host: turn.example.org, transport: sctp }
                - { type: turn, host: turn.example.org, password: p }
                - { type: turn, host: turn.example.org, secret: true, password: p }
                - { type: turn, host: "bad host!" }
                - { type: turn, host: turn.example.org }
                - { type: turn, host: turn.example.org, ttl: 5, username: u, password: p }
                - just text
            """
        #expect(
            self.summary(yaml, environment: ["B": "b"]) == [
                "2:11 error external_services.secret",
                "4:8 error external_services.ttl",
                "5:12 error external_services.access[0]",
                "6:3 error external_services.servces",
                "8:15 error external_services.services[0].type",
                "9:7 error external_services.services[1]",
                "9:27 error external_services.services[1].port",
                "10:53 error external_services.services[2].secret",
                "11:56 error external_services.services[3].transport",
                "12:55 error external_services.services[4].password",
                "13:69 error external_services.services[5].password",
                "14:27 error external_services.services[6].host",
                "15:7 warning external_services.services[7]",
                "16:50 warning external_services.services[8].ttl",
                "17:7 error external_services.services[9]",
            ]
        )
    }

    @Test func timeLimitedCredentialsNeedASecret() {
        let yaml = """
            external_services:
              services:
                - { type: turn, host: turn.example.org, secret: true }
            """
        #expect(self.summary(yaml) == ["3:53 error external_services.services[0].secret"])
        let unset = """
            external_services:
              secret_env: TURN_CREDENTIALS
              services:
                - { type: turn, host: turn.example.org, secret: true }
            """
        #expect(self.summary(unset) == ["2:15 warning external_services.secret_env"])
    }
}
