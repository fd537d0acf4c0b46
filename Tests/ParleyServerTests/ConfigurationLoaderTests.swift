import Foundation
import Logging
import ParleyCore
import ParleyServer
import Testing

@Suite("Configuration loading")
struct ConfigurationLoaderTests {
    static let fullFile = """
        data_directory: /var/lib/parley
        log_level: debug
        log_addresses: true
        log_room_names: true
        event_loops: 4
        listen:
          address: "::"
          c2s_port: 15222
          c2s_tls_port: 0
          http_port: 15280
        tls:
          certificate: /etc/parley/cert.pem
          key: /etc/parley/key.pem
        c2s:
          require_encryption: false
          allow_plaintext_loopback: true
          max_stanza_bytes: 65536
          unlimited_max_stanza_bytes: 1048576
          unlimited_jids: [Focus@Auth.Example.org]
          max_depth: 20
          negotiation_timeout: 7.5
          advertise_version: true
        hosts:
          - domain: Example.org
            authentication: anonymous
            require_encryption: true
          - domain: auth.example.org
            authentication: internal_hashed
            sasl_mechanisms: [SCRAM-SHA-1]
        accounts:
          - jid: focus@auth.example.org
            password_env: FOCUS_PASSWORD
          - jid: jvb@auth.example.org
            password: literal-for-tests
        admins: [focus@auth.example.org]
        """

    @Test("a file setting every key decodes to the expected value")
    func fullRoundTrip() throws {
        let outcome = ConfigurationLoader.parse(
            yaml: Self.fullFile,
            path: "full.yaml",
            environment: ["FOCUS_PASSWORD": "x"]
        )
        // The only issue: the literal password is discouraged.
        #expect(outcome.errors.isEmpty)
        #expect(outcome.warnings.map(\.keyPath) == ["accounts[1].password"])

        let focus = try JID("focus@auth.example.org")
        var expected = ServerConfiguration(
            dataDirectory: "/var/lib/parley",
            logLevel: .debug,
            logAddresses: true,
            logRoomNames: true,
            eventLoops: 4,
            listen: .init(address: "::", c2sPort: 15222, c2sTLSPort: 0, httpPort: 15280),
            tls: .init(certificate: "/etc/parley/cert.pem", key: "/etc/parley/key.pem"),
            c2s: .init(
                requireEncryption: false,
                allowPlaintextLoopback: true,
                maxStanzaBytes: 65536,
                unlimitedMaxStanzaBytes: 1_048_576,
                unlimitedJIDs: [focus],
                maxDepth: 20,
                negotiationTimeout: .milliseconds(7500),
                advertiseVersion: true
            ),
            hosts: [
                .init(domain: "example.org", authentication: .anonymous, requireEncryption: true),
                .init(domain: "auth.example.org", authentication: .internalHashed, saslMechanisms: [.scramSHA1]),
            ],
            accounts: [
                .init(jid: focus, passwordEnvironment: "FOCUS_PASSWORD"),
                .init(jid: try JID("jvb@auth.example.org"), password: "literal-for-tests"),
            ],
            admins: [focus]
        )
        // The preset's muc.meet.jitsi is not one label before either host: no tenants are implied.
        expected.tenants = nil
        #expect(outcome.configuration == expected)
    }

    @Test("missing keys take the preset's values, section by section")
    func partialFileTakesDefaults() throws {
        let yaml = """
            log_level: warning
            listen:
              c2s_port: 6222
            c2s:
              max_depth: 50
            """
        let configuration = try ConfigurationLoader.load(yaml: yaml, path: "partial.yaml", environment: [:])
        var expected = ServerConfiguration.jitsiPreset
        expected.logLevel = .warning
        expected.listen.c2sPort = 6222
        expected.c2s.maxDepth = 50
        #expect(configuration == expected)
    }

    @Test("c2s.max_output_backlog: 8 MiB by default, 64 KiB to 1 GiB, reaching the running server's settings")
    func maxOutputBacklog() throws {
        #expect(ServerConfiguration.jitsiPreset.c2s.maxOutputBacklog == 8 * 1024 * 1024)
        let configuration = try ConfigurationLoader.load(
            yaml: "c2s:\n  max_output_backlog: 1048576\n",
            path: "backlog.yaml",
            environment: [:]
        )
        #expect(configuration.c2s.maxOutputBacklog == 1_048_576)
        var running = XMPPServer.Configuration(configuration)
        #expect(running.maxOutputBacklog == 1_048_576)
        // Never below twice the largest stanza: the preset's unlimited_jids may send 10 MiB.
        #expect(running.outputBacklogBound == 2 * 10_485_760)
        running.unlimitedJIDs = []
        #expect(running.outputBacklogBound == 1_048_576)
        running.maxStanzaBytes = 4 * 1_048_576
        #expect(running.outputBacklogBound == 8 * 1_048_576)
        for value in ["1024", "2147483648", "-1"] {
            let outcome = ConfigurationLoader.parse(
                yaml: "c2s:\n  max_output_backlog: \(value)\n",
                path: "backlog.yaml",
                environment: [:]
            )
            #expect(outcome.errors.map(\.keyPath) == ["c2s.max_output_backlog"], "value \(value)")
        }
    }

    @Test("muc: max_occupants is the service's hard cap, max_occupants_exempt and allowed_domains reach the rooms")
    func mucCapExemptionsAndDomains() throws {
        let yaml = """
            muc:
              - domain: muc.meet.jitsi
                focus_lock: true
                max_occupants: 25
                max_occupants_exempt: [recorder@recorder.meet.jitsi, transcribers.meet.jitsi]
                password_exempt: [recorder.meet.jitsi]
              - domain: internal-muc.meet.jitsi
                allowed_domains: [auth.meet.jitsi]
            """
        let configuration = try ConfigurationLoader.load(yaml: yaml, path: "muc.yaml", environment: [:])
        #expect(configuration.muc[0].maxOccupants == 25)
        #expect(
            configuration.muc[0].maxOccupantsExempt.map(\.description) == [
                "recorder@recorder.meet.jitsi", "transcribers.meet.jitsi",
            ]
        )
        #expect(configuration.muc[1].allowedDomains == ["auth.meet.jitsi"])
        #expect(configuration.muc[0].passwordExempt.map(\.description) == ["recorder.meet.jitsi"])
        let running = XMPPServer.Configuration(configuration)
        let conference = try #require(running.mucServices.first)
        #expect(conference.maxOccupants == 25)
        #expect(
            conference.defaultRoom.maxOccupants == nil,
            "the cap is the service's, not a room default an owner can change"
        )
        #expect(conference.isExemptFromMaxOccupants(try JID("recorder@recorder.meet.jitsi/r")))
        #expect(conference.isExemptFromMaxOccupants(try JID("anyone@transcribers.meet.jitsi/t")))
        #expect(conference.isExemptFromMaxOccupants(try JID("focus@auth.meet.jitsi/focus")))
        #expect(!conference.isExemptFromMaxOccupants(try JID("3f9a1c7e@meet.jitsi/r")))
        #expect(running.mucServices[1].allowedDomains == ["auth.meet.jitsi"])
        for (bad, key) in [
            ("muc:\n  - domain: m.example\n    allowed_domains: [\"not a domain\"]\n", "muc[0].allowed_domains[0]"),
            ("muc:\n  - domain: m.example\n    max_occupants_exempt: [\"a@b/c\"]\n", "muc[0].max_occupants_exempt[0]"),
        ] {
            let outcome = ConfigurationLoader.parse(yaml: bad, path: "bad.yaml", environment: [:])
            #expect(outcome.errors.map(\.keyPath) == [key], "\(bad)")
        }
    }

    @Test("empty sections and a host without sasl_mechanisms take defaults")
    func emptySectionsAndHostDefaults() throws {
        let yaml = """
            tls:
            c2s:
            hosts:
              - domain: meet.jitsi
                authentication: anonymous
              - domain: auth.meet.jitsi
            """
        let configuration = try ConfigurationLoader.load(yaml: yaml, path: "hosts.yaml", environment: [:])
        #expect(configuration.tls == .init())
        #expect(configuration.c2s == .init())
        // `authentication` defaults to internal_hashed, with its default mechanisms.
        #expect(configuration.hosts == ServerConfiguration.jitsiHosts)
    }

    @Test("an account's password: the literal one, else the environment variable; empty counts as unset")
    func passwordResolution() throws {
        let jid = try JID("focus@auth.meet.jitsi")
        let fromEnvironment = ServerConfiguration.Account(jid: jid, passwordEnvironment: "JICOFO_AUTH_PASSWORD")
        #expect(fromEnvironment.resolvedPassword(environment: ["JICOFO_AUTH_PASSWORD": "s3cret"]) == "s3cret")
        #expect(fromEnvironment.resolvedPassword(environment: [:]) == nil)
        #expect(fromEnvironment.resolvedPassword(environment: ["JICOFO_AUTH_PASSWORD": ""]) == nil)
        let literal = ServerConfiguration.Account(jid: jid, password: "literal")
        #expect(literal.resolvedPassword(environment: ["JICOFO_AUTH_PASSWORD": "s3cret"]) == "literal")
    }

    @Test("password_env naming an unset variable is a warning, not an error")
    func unsetPasswordVariableWarns() throws {
        let yaml = """
            accounts:
              - jid: focus@auth.meet.jitsi
                password_env: JICOFO_AUTH_PASSWORD
              - jid: jvb@auth.meet.jitsi
                password_env: JVB_AUTH_PASSWORD
            """
        let outcome = ConfigurationLoader.parse(
            yaml: yaml,
            path: "env.yaml",
            environment: ["JICOFO_AUTH_PASSWORD": "set"]
        )
        #expect(outcome.configuration != nil)
        #expect(outcome.issues.count == 1)
        let issue = try #require(outcome.issues.first)
        #expect(issue.severity == .warning)
        #expect(issue.line == 5)
        #expect(issue.keyPath == "accounts[1].password_env")
        #expect(issue.message.contains("JVB_AUTH_PASSWORD"))
        #expect(issue.description.hasPrefix("env.yaml:5:19: warning: accounts[1].password_env: "))
    }

    @Test("load(path:) reads the file and resolves relative paths against its folder")
    func loadFromFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "parley-cfg-\(UInt64.random(in: 0...UInt64.max))"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("parley.yaml")
        try "data_directory: state\ntls: {certificate: tls/cert.pem, key: /abs/key.pem}\n".write(
            to: file,
            atomically: true,
            encoding: .utf8
        )

        let configuration = try ConfigurationLoader.load(path: file.path, environment: [:])
        #expect(configuration.dataDirectory == directory.appendingPathComponent("state").standardizedFileURL.path)
        #expect(
            configuration.tls.certificate == directory.appendingPathComponent("tls/cert.pem").standardizedFileURL.path
        )
        #expect(configuration.tls.key == "/abs/key.pem")
    }

    @Test("load throws one error listing every issue")
    func loadThrowsAllIssues() {
        let yaml = "listen:\n  c2s_port: 99999\nevent_loops: -1\n"
        #expect {
            try ConfigurationLoader.load(yaml: yaml, path: "bad.yaml", environment: [:])
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.errors.map(\.keyPath) == ["listen.c2s_port", "event_loops"]
                && error.description.contains("bad.yaml:2:13: error: listen.c2s_port: 99999 is not a port")
                && error.description.contains("bad.yaml:3:14: error: event_loops: -1 is out of range")
        }
    }

    @Test("a missing file is an error without a location")
    func missingFile() {
        let issues = ConfigurationLoader.check(path: "/nonexistent/parley.yaml", environment: [:])
        #expect(issues.count == 1)
        #expect(issues.first?.description == "/nonexistent/parley.yaml: error: no such file")
    }
}
