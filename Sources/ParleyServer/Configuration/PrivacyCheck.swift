import Yams

/// `parley check --privacy`: what a configuration exposes about participants, measured against the privacy
/// defaults Parley is built on (ARCHITECTURE.md, "Storage and data"; GDPR Art. 5(1)(c) data minimisation and
/// Art. 25 data protection by default).
///
/// Each finding is a warning at the YAML line that sets the value, with the value Parley recommends:
///
/// ```
/// parley.yaml:40:21: warning: muc[0].history_length: 20 groupchat messages are kept in memory and handed to
/// late joiners; recommended: 0 (the file says: Prosody's default (20 messages for late joiners); 0 keeps none)
/// ```
///
/// A value left at its default is never reported: every default is the private choice. When the line has a
/// comment (those `parley import prosody` writes say where a value came from), the finding repeats it, so a
/// converted Prosody configuration lists what Jitsi's and Prosody's defaults expose.
public enum PrivacyCheck {
    /// The findings for `yaml` (named `path` in messages); a file with errors gives those errors instead.
    public static func check(
        yaml: String,
        path: String,
        environment: [String: String] = [:]
    ) -> [ConfigurationIssue] {
        let outcome = ConfigurationLoader.parse(yaml: yaml, path: path, environment: environment)
        guard let configuration = outcome.configuration else { return outcome.errors }
        let root = (try? Yams.compose(yaml: yaml)) ?? nil
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var findings: [ConfigurationIssue] = []
        for finding in self.findings(configuration) {
            let node = root.flatMap { self.locate(finding.keyPath, in: $0) }
            var message = "\(finding.problem); recommended: \(finding.recommended)"
            if let line = node?.mark?.line, line >= 1, line <= lines.count, let comment = self.comment(lines[line - 1])
            {
                message += " (the file says: \(comment))"
            }
            findings.append(
                ConfigurationIssue(
                    severity: .warning,
                    path: path,
                    line: node?.mark?.line,
                    column: node?.mark?.column,
                    keyPath: finding.keyPath,
                    message: message
                )
            )
        }
        return findings.sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
    }

    /// One thing the configuration exposes.
    struct Finding {
        var keyPath: String
        var problem: String
        var recommended: String
    }

    /// Every finding for a configuration, independent of where its values are written.
    static func findings(_ configuration: ServerConfiguration) -> [Finding] {
        var findings: [Finding] = []
        func add(_ keyPath: String, _ problem: String, _ recommended: String) {
            findings.append(Finding(keyPath: keyPath, problem: problem, recommended: recommended))
        }
        // Logs.
        if configuration.logAddresses {
            add("log_addresses", "client IP addresses are written to the logs", "false")
        }
        if configuration.logRoomNames {
            add("log_room_names", "room names (often a person's or a meeting's name) are written to the logs", "false")
        }
        if configuration.logLevel <= .debug {
            add("log_level", "\(configuration.logLevel) logs carry stanzas: addresses, room and display names", "info")
        }
        // Chat history.
        for (index, muc) in configuration.muc.enumerated() where muc.historyLength > 0 {
            add(
                "muc[\(index)].history_length",
                "\(muc.historyLength) groupchat messages of each room of \(muc.domain) are kept and handed to late "
                    + "joiners",
                "0"
            )
        }
        // The room-name policy.
        let names = configuration.roomNames
        if !names.enabled {
            add("room_names.enabled", "the room-name policy is off: rooms may be named after people", "true")
        } else {
            let rules: [(String, Bool, String)] = [
                ("refuse_email", names.refuseEmail, "e-mail addresses"),
                ("refuse_phone", names.refusePhone, "phone numbers"),
                ("refuse_jid", names.refuseJID, "XMPP addresses"),
                ("refuse_account_names", names.refuseAccountNames, "account names"),
            ]
            for (key, on, what) in rules where !on {
                add("room_names.\(key)", "the room-name policy is loosened: rooms may be named with \(what)", "true")
            }
        }
        // Version disclosure.
        if configuration.c2s.advertiseVersion {
            add(
                "c2s.advertise_version",
                "the server tells anyone who asks its software and version (XEP-0092), which helps attackers",
                "false"
            )
        }
        // Plaintext c2s.
        if !configuration.c2s.requireEncryption {
            add("c2s.require_encryption", "clients may log in and chat without TLS (plaintext c2s)", "true")
        }
        for (index, host) in configuration.hosts.enumerated() where host.requireEncryption == false {
            add(
                "hosts[\(index)].require_encryption",
                "clients of \(host.domain) may log in and chat without TLS (plaintext c2s)",
                "true"
            )
        }
        if configuration.http.behindTLSProxy, configuration.listen.httpPort > 0,
            !self.isLoopback(configuration.listen.address)
        {
            add(
                "listen.address",
                "BOSH and WebSocket count as encrypted (http.behind_tls_proxy) yet plain HTTP on port "
                    + "\(configuration.listen.httpPort) is reachable on \(configuration.listen.address)",
                "127.0.0.1 with nginx in front (or http.behind_tls_proxy: false)"
            )
        }
        // TURN over plain UDP only.
        let turn = configuration.externalServices.services.filter(\.kind.isRelay)
        if !turn.isEmpty, !turn.contains(where: { $0.kind == .turns || $0.transport == .tcp }) {
            let index = configuration.externalServices.services.firstIndex { $0.kind == .turn } ?? 0
            add(
                "external_services.services[\(index)]",
                "TURN is offered over plain UDP only: participants behind firewalls have no relay, and relayed "
                    + "traffic is not hidden inside TLS",
                "also a { type: turns, port: 443, transport: tcp, secret: true } service"
            )
        }
        findings += self.endpointFindings(configuration)
        return findings
    }

    /// Occupancy endpoints, `/metrics` and the control API: open beyond loopback, or with names in them
    /// (`operations`, Docs/Operations.md: every endpoint answers 127.0.0.1 and ::1, plus the ranges allowed).
    ///
    /// The control API (`control`) always listens on 127.0.0.1, so it is never open beyond loopback; but when it is
    /// on, whoever holds its token may read every room and session and reset the server: a test server's tool,
    /// not a production one. A token written in the file is read by whoever can read the file.
    static func endpointFindings(_ configuration: ServerConfiguration) -> [Finding] {
        var findings: [Finding] = []
        let operations = configuration.operations
        if operations.metrics, !operations.metricsAllow.isEmpty {
            findings.append(
                Finding(
                    keyPath: "operations.openmetrics_allow_cidr",
                    problem: "/metrics answers beyond loopback (\(operations.metricsAllow.count) range(s))",
                    recommended: "[] (scrape through loopback, or allow only the Prometheus host)"
                )
            )
        }
        if operations.occupancy, !operations.occupancyAllow.isEmpty {
            findings.append(
                Finding(
                    keyPath: "operations.occupancy_allow_cidr",
                    problem: "the occupancy endpoints (/room-size, /room, /room-census, /sessions) answer beyond "
                        + "loopback (\(operations.occupancyAllow.count) range(s))",
                    recommended: "[]"
                )
            )
        }
        if configuration.control.enabled {
            findings.append(
                Finding(
                    keyPath: "control.enabled",
                    problem: "the control API is on: with its token, every room's occupants and every session can be "
                        + "read and the server reset (Docs/Testing-Jicofo.md)",
                    recommended: "false (it is for test servers)"
                )
            )
            if configuration.control.token != nil {
                findings.append(
                    Finding(
                        keyPath: "control.token",
                        problem: "the control API's token is written in the file",
                        recommended: "token_env: PARLEY_CONTROL_TOKEN (the token in the environment)"
                    )
                )
            }
        }
        if operations.occupancy, operations.occupancyIdentities {
            findings.append(
                Finding(
                    keyPath: "operations.occupancy_identities",
                    problem: "/room lists each participant's nick JID, display name and e-mail",
                    recommended: "false"
                )
            )
        }
        return findings
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address == "localhost"
    }

    /// The `# comment` of a YAML line, outside quotes; nil when there is none.
    static func comment(_ line: String) -> String? {
        var quote: Character? = nil
        var previous: Character = " "
        for (offset, character) in line.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#", previous == " " || offset == 0 {
                let text = line.dropFirst(offset + 1).trimmingPrefix(" ")
                return text.isEmpty ? nil : String(text)
            }
            previous = character
        }
        return nil
    }

    /// The value node at `keyPath` (`muc[0].history_length`), or its nearest written parent.
    static func locate(_ keyPath: String, in root: Node) -> Node? {
        var node = root
        var found: Node? = nil
        for component in keyPath.split(separator: ".") {
            var name = Substring(component)
            var index: Int? = nil
            if let open = component.firstIndex(of: "["), component.hasSuffix("]") {
                name = component[..<open]
                index = Int(component[component.index(after: open)..<component.index(before: component.endIndex)])
            }
            guard case .mapping(let mapping) = node, let value = mapping[String(name)] else { return found }
            node = value
            found = value
            if let index {
                guard case .sequence(let items) = value, index >= 0, index < items.count else { return found }
                node = items[index]
                found = items[index]
            }
        }
        return found
    }
}
