import ParleyMUC
import ParleyServer
import Testing

/// The `room_names` section: values, defaults, and the errors `parley check` reports.
@Suite("RoomName configuration")
struct RoomNameConfigurationTests {
    /// The preset's password variables, so its accounts add no warning.
    static let environment = ["JICOFO_AUTH_PASSWORD": "a", "JVB_AUTH_PASSWORD": "b"]

    @Test("every key of room_names decodes")
    func everyKey() throws {
        let yaml = """
            room_names:
              enabled: true
              refuse_email: false
              refuse_phone: false
              refuse_jid: false
              refuse_account_names: false
              allow: [acme.com, "[acme]x"]
              deny_patterns:
                - '^emp[0-9]{6}$'
                - secret
              minimum_length: 8
              random_looking_only: true
            """
        let outcome = ConfigurationLoader.parse(yaml: yaml, path: "r.yaml", environment: Self.environment)
        #expect(outcome.errors.isEmpty)
        let roomNames = try #require(outcome.configuration?.roomNames)
        #expect(
            roomNames
                == RoomNamePolicy.Configuration(
                    enabled: true,
                    refuseEmail: false,
                    refusePhone: false,
                    refuseJID: false,
                    refuseAccountNames: false,
                    allow: ["acme.com", "[acme]x"],
                    denyPatterns: ["^emp[0-9]{6}$", "secret"],
                    minimumLength: 8,
                    randomLookingOnly: true
                )
        )
    }

    @Test("without the section, and for missing keys, the defaults apply")
    func defaults() throws {
        let preset = try #require(
            ConfigurationLoader.parse(yaml: "", path: "e.yaml", environment: Self.environment).configuration
        )
        #expect(preset.roomNames == RoomNamePolicy.Configuration())
        #expect(preset.roomNames.enabled && preset.roomNames.refuseEmail && preset.roomNames.refusePhone)
        #expect(preset.roomNames.refuseJID && preset.roomNames.refuseAccountNames)
        #expect(preset.roomNames.allow.isEmpty && preset.roomNames.denyPatterns.isEmpty)
        #expect(preset.roomNames.minimumLength == 0 && !preset.roomNames.randomLookingOnly)

        let partial = try #require(
            ConfigurationLoader.parse(
                yaml: "room_names:\n  minimum_length: 4\n",
                path: "p.yaml",
                environment: Self.environment
            )
            .configuration
        )
        #expect(partial.roomNames == RoomNamePolicy.Configuration(minimumLength: 4))
        let empty = try #require(
            ConfigurationLoader.parse(yaml: "room_names:\n", path: "n.yaml", environment: Self.environment)
                .configuration
        )
        #expect(empty.roomNames == RoomNamePolicy.Configuration())
    }

    @Test("a bad regular expression is an error at its line and column")
    func badPattern() throws {
        let yaml = """
            log_level: info
            room_names:
              deny_patterns:
                - '^ok$'
                - '(unclosed'
                - "[a-"
            """
        let issues = ConfigurationLoader.check(yaml: yaml, path: "b.yaml", environment: Self.environment)
        #expect(issues.count == 2)
        let first = try #require(issues.first)
        #expect(first.isError)
        #expect(first.line == 5)
        #expect(first.column == 7)
        #expect(first.keyPath == "room_names.deny_patterns[1]")
        #expect(first.message.hasPrefix("'(unclosed' is not a valid regular expression"))
        #expect(first.description.hasPrefix("b.yaml:5:7: error: room_names.deny_patterns[1]: '(unclosed' is not"))
        #expect(issues.last?.line == 6)
        #expect(
            ConfigurationLoader.parse(yaml: yaml, path: "b.yaml", environment: Self.environment).configuration == nil
        )
    }

    @Test(
        "wrong values are errors with their key path",
        arguments: [
            ("room_names:\n  enabled: maybe\n", "room_names.enabled"),
            ("room_names:\n  minimum_length: -1\n", "room_names.minimum_length"),
            ("room_names:\n  minimum_length: 2000\n", "room_names.minimum_length"),
            ("room_names:\n  allow: weekly\n", "room_names.allow"),
            ("room_names:\n  allow: ['']\n", "room_names.allow[0]"),
            ("room_names:\n  deny_patterns: {a: b}\n", "room_names.deny_patterns"),
            ("room_names:\n  refuse_mail: true\n", "room_names.refuse_mail"),
            ("room_names: true\n", "room_names"),
        ]
    )
    func wrongValues(yaml: String, keyPath: String) throws {
        let issues = ConfigurationLoader.check(yaml: yaml, path: "w.yaml", environment: Self.environment)
        let issue = try #require(issues.first)
        #expect(issues.count == 1)
        #expect(issue.isError)
        #expect(issue.keyPath == keyPath)
    }

    @Test("a near-miss key gets a suggestion; a duplicate allow entry is a warning")
    func suggestionsAndWarnings() {
        let issues = ConfigurationLoader.check(
            yaml: "room_names:\n  refuse_mail: true\n  allow: [a, a]\n",
            path: "s.yaml",
            environment: Self.environment
        )
        #expect(issues.map(\.message) == ["unknown key; did you mean 'refuse_email'?", "'a' is listed twice"])
        #expect(issues.map(\.isError) == [true, false])
    }

    @Test("the configuration builds its policy over the hosts' domains")
    func policyFromConfiguration() {
        let configuration = ServerConfiguration(roomNames: .init(minimumLength: 3))
        #expect(configuration.roomNameLocalDomains == ["meet.jitsi", "auth.meet.jitsi"])
        #expect(configuration.declaredAccountNames == ["focus", "jvb"])
        let policy = configuration.roomNamePolicy { configuration.declaredAccountNames.contains($0) }
        #expect(policy.evaluate("jvb").category == .accountName)
        #expect(policy.evaluate("focusauth.meet.jitsi").category == .xmppAddress)
        #expect(policy.evaluate("ab").category == .tooShort)
        #expect(policy.evaluate("weekly-standup@muc.meet.jitsi").isAllowed)
    }
}
