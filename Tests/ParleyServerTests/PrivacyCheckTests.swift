import Testing

@testable import ParleyServer

/// `parley check --privacy`: each exposure is a warning at its YAML line with a recommended value (issue 14.7).
@Suite("Privacy check")
struct PrivacyCheckTests {
    @Test("the preset and an empty file expose nothing")
    func presetIsPrivate() {
        #expect(PrivacyCheck.check(yaml: "", path: "p.yaml").isEmpty)
        #expect(PrivacyCheck.check(yaml: "log_level: info\n", path: "p.yaml").isEmpty)
    }

    @Test("every exposure at its line, with the recommended value and the line's comment")
    func findings() {
        let yaml = """
            log_level: debug
            log_addresses: true
            log_room_names: true
            listen: { address: 0.0.0.0 }
            c2s:
              require_encryption: false
              advertise_version: true   # asked for by monitoring
            hosts:
              - { domain: meet.jitsi, authentication: anonymous, require_encryption: false }
              - { domain: auth.meet.jitsi, authentication: internal_hashed }
            muc:
              - { domain: muc.meet.jitsi, history_length: 5 }
            room_names:
              refuse_phone: false
            external_services:
              secret: s
              services:
                - { type: turn, host: turn.example.org, transport: udp, secret: true }
            """
        let issues = PrivacyCheck.check(yaml: yaml, path: "p.yaml")
        let lines = issues.map { "\($0.line ?? 0) \($0.keyPath)" }
        #expect(
            lines == [
                "1 log_level", "2 log_addresses", "3 log_room_names", "4 listen.address", "6 c2s.require_encryption",
                "7 c2s.advertise_version", "9 hosts[0].require_encryption", "12 muc[0].history_length",
                "14 room_names.refuse_phone", "18 external_services.services[0]",
            ]
        )
        #expect(issues.allSatisfy { $0.severity == .warning && $0.message.contains("; recommended: ") })
        let version = issues.first { $0.keyPath == "c2s.advertise_version" }
        #expect(version?.message.hasSuffix("recommended: false (the file says: asked for by monitoring)") == true)
        #expect(issues.first { $0.keyPath == "muc[0].history_length" }?.description.hasPrefix("p.yaml:12:") == true)
    }

    @Test("room names off, and TURN with a TCP or TLS relay is not 'UDP only'")
    func policyOffAndTURN() {
        let yaml = """
            room_names: { enabled: false }
            external_services:
              secret: s
              services:
                - { type: turn, host: t.example.org, transport: udp, secret: true }
                - { type: turns, host: t.example.org, port: 443, transport: tcp, secret: true }
            """
        #expect(PrivacyCheck.check(yaml: yaml, path: "p.yaml").map(\.keyPath) == ["room_names.enabled"])
    }

    @Test("/metrics and occupancy beyond loopback, and occupancy with names")
    func endpoints() {
        let yaml = """
            operations:
              openmetrics_allow_cidr: 172.16.0.0/12
              occupancy_allow_cidr: [10.0.0.0/8]
              occupancy_identities: true
            """
        let issues = PrivacyCheck.check(yaml: yaml, path: "p.yaml")
        #expect(
            issues.map { "\($0.line ?? 0) \($0.keyPath)" } == [
                "2 operations.openmetrics_allow_cidr", "3 operations.occupancy_allow_cidr",
                "4 operations.occupancy_identities",
            ]
        )
        let off = "operations: { metrics: false, occupancy: false, openmetrics_allow_cidr: 10.0.0.0/8 }\n"
        #expect(PrivacyCheck.check(yaml: off, path: "p.yaml").isEmpty)
    }

    @Test("the control API on, and its token in the file")
    func controlAPI() {
        let yaml = """
            control:
              enabled: true
              token: s3cret-token-long-enough-0123
            """
        let issues = PrivacyCheck.check(yaml: yaml, path: "p.yaml")
        #expect(issues.map { "\($0.line ?? 0) \($0.keyPath)" } == ["2 control.enabled", "3 control.token"])
        let fromEnvironment = "control:\n  enabled: true\n  token_env: PARLEY_CONTROL_TOKEN\n"
        #expect(PrivacyCheck.check(yaml: fromEnvironment, path: "p.yaml").map(\.keyPath) == ["control.enabled"])
        #expect(
            PrivacyCheck.check(
                yaml: "control: { enabled: false, token: s3cret-token-long-enough-0123 }\n",
                path: "p.yaml"
            ).isEmpty
        )
    }

    @Test("a file with errors gives its errors, not findings")
    func errorsFirst() {
        let issues = PrivacyCheck.check(yaml: "listen: { c2s_port: 99999 }\n", path: "p.yaml")
        #expect(issues.count == 1 && issues[0].isError)
    }
}
