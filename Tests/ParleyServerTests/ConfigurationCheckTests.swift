import ParleyServer
import Testing

@Suite("Configuration check")
struct ConfigurationCheckTests {
    /// Issues as `line:column severity keyPath` for compact comparison.
    private func summary(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        ConfigurationLoader.check(yaml: yaml, path: "t.yaml", environment: environment).map {
            "\($0.line ?? 0):\($0.column ?? 0) \($0.severity.rawValue) \($0.keyPath)"
        }
    }

    @Test("every error in a file is reported, with its line and column")
    func reportsEveryError() {
        let yaml = """
            data_directory: ./data
            log_level: loud
            listen:
              c2s_port: 70000
              http_port: "5280"
            tls:
              certificate: /etc/cert.pem
            c2s:
              require_encryption: maybe
            hosts:
              - domain: meet.jitsi
                authentication: anonymous
                sasl_mechanisms: [SCRAM-SHA-256]
              - domain: auth.meet.jitsi
                authentication: internal_hashed
                sasl_mechanisms: [ANONYMOUS, DIGEST-MD5]
              - domain: meet.jitsi
              - domain: bad..domain
                authentication: kerberos
            accounts:
              - jid: focus@auth.meet.jitsi
                password_env: JICOFO_AUTH_PASSWORD
              - jid: jvb@meet.jitsi
                password_env: JVB_AUTH_PASSWORD
              - jid: not a jid@auth.meet.jitsi
                password_env: X
            admins: [focus@auth.meet.jitsi/resource]
            """
        let env = ["JICOFO_AUTH_PASSWORD": "a", "JVB_AUTH_PASSWORD": "b", "X": "c"]
        #expect(
            self.summary(yaml, environment: env) == [
                "2:12 error log_level",
                "4:13 error listen.c2s_port",
                "5:14 error listen.http_port",
                "7:16 error tls.certificate",
                "9:23 error c2s.require_encryption",
                "13:23 error hosts[0].sasl_mechanisms[0]",
                "16:23 error hosts[1].sasl_mechanisms[0]",
                "16:34 error hosts[1].sasl_mechanisms[1]",
                "17:13 error hosts[2].domain",
                "18:13 error hosts[3].domain",
                "19:21 error hosts[3].authentication",
                "23:10 error accounts[1].jid",
                "25:10 error accounts[2].jid",
                "27:10 error admins[0]",
            ]
        )
    }

    @Test("messages say what is wrong")
    func messages() {
        let issues = ConfigurationLoader.check(
            yaml: """
                listen:
                  c2s_port: 70000
                hosts:
                  - domain: meet.jitsi
                    authentication: anonymous
                    sasl_mechanisms: [PLAIN]
                """,
            path: "m.yaml",
            environment: [:]
        )
        let lines = issues.map(\.description)
        #expect(lines.contains("m.yaml:2:13: error: listen.c2s_port: 70000 is not a port (0 to 65535)"))
        #expect(
            lines.contains { $0.hasPrefix("m.yaml:6:23: error: hosts[0].sasl_mechanisms[0]: PLAIN cannot be offered") }
        )
        // The preset's accounts no longer fit: auth.meet.jitsi is gone.
        #expect(
            lines.contains(
                "m.yaml:4:3: error: hosts: the default accounts (focus@auth.meet.jitsi, jvb@auth.meet.jitsi) need the "
                    + "internal_hashed host auth.meet.jitsi; add it, or declare `accounts` (an empty list is allowed)"
            )
        )
        #expect(lines.count == 3)
    }

    @Test(
        "unknown keys are errors with a did-you-mean for near misses",
        arguments: [
            ("listen:\n  c2s_prot: 5222\n", "listen.c2s_prot", "unknown key; did you mean 'c2s_port'?"),
            ("dataDirectory: x\n", "dataDirectory", "unknown key; did you mean 'data_directory'?"),
            ("c2s:\n  max_stanza_byte: 1\n", "c2s.max_stanza_byte", "unknown key; did you mean 'max_stanza_bytes'?"),
            ("log_levle: info\n", "log_levle", "unknown key; did you mean 'log_level'?"),
            (
                "require_encryption: true\n", "require_encryption",
                "unknown key; 'require_encryption' belongs under 'c2s'"
            ),
            ("colour: blue\n", "colour", "unknown key"),
        ]
    )
    func unknownKeys(yaml: String, keyPath: String, message: String) throws {
        let issues = ConfigurationLoader.check(yaml: yaml, path: "k.yaml", environment: [:])
        let issue = try #require(issues.first { $0.isError })
        #expect(issue.keyPath == keyPath)
        #expect(issue.message == message)
        #expect(issue.line == yaml.split(separator: "\n").count)
    }

    @Test("values with near-miss spellings get a suggestion")
    func valueSuggestions() {
        let issues = ConfigurationLoader.check(
            yaml: "log_level: warn\nhosts:\n  - {domain: a.example, authentication: internal_hash}\naccounts: []\n",
            path: "v.yaml",
            environment: [:]
        )
        #expect(
            issues.map(\.message) == [
                "unknown log level 'warn'; did you mean 'warning'?",
                "unknown authentication 'internal_hash'; did you mean 'internal_hashed'?",
            ]
        )
    }

    @Test("a YAML syntax error is reported at its position")
    func syntaxError() throws {
        let issues = ConfigurationLoader.check(yaml: "listen:\n  c2s_port: 5222\n bad: [\n", path: "s.yaml")
        let issue = try #require(issues.first)
        #expect(issues.count == 1)
        #expect(issue.isError)
        #expect(issue.line == 3)
        #expect(issue.message.hasPrefix("invalid YAML"))
    }

    @Test("a duplicate key is a syntax error")
    func duplicateKey() throws {
        let issues = ConfigurationLoader.check(yaml: "event_loops: 1\nevent_loops: 2\n", path: "d.yaml")
        #expect(issues.count == 1)
        #expect(issues.first?.message.contains("duplicate key 'event_loops'") == true)
    }

    @Test("wrong shapes: a scalar for a section, a mapping for a list, a list for the document")
    func wrongShapes() {
        #expect(self.summary("listen: 5222\n", environment: self.presetEnvironment) == ["1:9 error listen"])
        #expect(self.summary("admins: {a: b}\n", environment: self.presetEnvironment) == ["1:9 error admins"])
        #expect(self.summary("- a\n- b\n") == ["1:1 error "])
    }

    @Test("rules between keys")
    func crossKeyRules() {
        // The same port twice.
        #expect(
            self.summary("listen:\n  http_port: 5222\n", environment: self.presetEnvironment) == [
                "2:14 error listen.http_port"
            ]
        )
        // A key without a certificate.
        #expect(self.summary("tls:\n  key: k.pem\n", environment: self.presetEnvironment) == ["2:8 error tls.key"])
        // The unlimited limit below the ordinary one.
        #expect(
            self.summary("c2s:\n  max_stanza_bytes: 20000000\n", environment: self.presetEnvironment) == [
                "2:21 error c2s.max_stanza_bytes"
            ]
        )
        // No hosts.
        #expect(self.summary("hosts: []\naccounts: []\n") == ["1:8 error hosts"])
        // password and password_env together; neither.
        #expect(
            self.summary(
                "accounts:\n  - {jid: a@auth.meet.jitsi, password: x, password_env: Y}\n  - {jid: b@auth.meet.jitsi}\n"
            )
                == ["2:40 error accounts[0].password", "3:5 error accounts[1]"]
        )
        // Two accounts with the same JID (compared prepared).
        #expect(
            self.summary(
                "accounts:\n  - {jid: a@auth.meet.jitsi, password_env: A}\n  - {jid: A@auth.meet.jitsi, password_env: A}\n",
                environment: ["A": "x"]
            ) == ["3:11 error accounts[1].jid"]
        )
    }

    @Test("a valid file with its password variables set has no issues")
    func cleanFile() {
        let yaml = """
            hosts:
              - domain: meet.jitsi
                authentication: anonymous
              - domain: auth.meet.jitsi
                authentication: internal_hashed
                sasl_mechanisms: [SCRAM-SHA-256, SCRAM-SHA-1]
            """
        #expect(self.summary(yaml, environment: self.presetEnvironment).isEmpty)
        // Without the variables, the preset's accounts warn (without a location: they are not in the file).
        #expect(self.summary(yaml) == ["0:0 warning accounts", "0:0 warning accounts"])
    }

    private let presetEnvironment = ["JICOFO_AUTH_PASSWORD": "a", "JVB_AUTH_PASSWORD": "b"]
}
