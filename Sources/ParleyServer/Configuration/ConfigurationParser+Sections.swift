import Logging
import ParleyCore
import Yams

// One function per section of the schema. A new section (`muc`, `components`) adds its keys to
// `sectionKeys`, a `parse…` function here, and a line in `parseRoot`.
extension ConfigurationParser {
    /// The keys each mapping of the schema accepts, by its key path pattern.
    static let sectionKeys: [(section: String, keys: [String])] = [
        (
            "",
            [
                "data_directory", "log_level", "log_addresses", "log_room_names", "event_loops", "listen", "tls", "c2s",
                "hosts", "accounts", "admins", "muc", "focus_proxy", "end_conference", "av_moderation", "speaker_stats",
                "polls", "room_metadata", "conference_duration", "lobby", "breakout_rooms", "http",
                "room_names",
                "external_services", "tenants", "operations", "rate_limits",
                "control",
            ]
        ),
        ("listen", ["address", "c2s_port", "c2s_tls_port", "http_port", "https_port"]),
        ("tls", ["certificate", "key"]),
        (
            "c2s",
            [
                "require_encryption", "allow_plaintext_loopback", "max_stanza_bytes", "unlimited_max_stanza_bytes",
                "unlimited_jids", "max_depth", "negotiation_timeout", "advertise_version", "sm_hibernation",
                "max_output_backlog", "rate_limit",
            ]
        ),
        ("hosts[]", ["domain", "authentication", "require_encryption", "sasl_mechanisms", "token"]),
        ("hosts[].token", ConfigurationParser.tokenKeys),
        ("accounts[]", ["jid", "password", "password_env"]),
        ("muc[]", ConfigurationParser.mucKeys),
        ("http", ["cors_origins", "bosh_max_wait", "bosh_inactivity", "behind_tls_proxy", "trusted_proxies"]),
        ("rate_limits", ConfigurationParser.rateLimitsKeys),
        ("focus_proxy", ConfigurationParser.focusProxyKeys),
        ("end_conference", ConfigurationParser.jitsiComponentKeys),
        ("av_moderation", ConfigurationParser.jitsiComponentKeys),
        ("speaker_stats", ConfigurationParser.jitsiComponentKeys),
        ("polls", ConfigurationParser.jitsiComponentKeys),
        ("room_metadata", ConfigurationParser.jitsiComponentKeys),
        ("conference_duration", ConfigurationParser.jitsiComponentKeys),
        ("lobby", ConfigurationParser.lobbyKeys),
        ("tenants", ConfigurationParser.tenantsKeys),
        ("breakout_rooms", ConfigurationParser.jitsiComponentKeys),
        ("room_names", roomNamesKeys),
        ("external_services", ConfigurationParser.externalServicesKeys),
        ("operations", ConfigurationParser.operationsKeys),
        ("external_services.services[]", ConfigurationParser.externalServiceKeys),
        ("control", ConfigurationParser.controlKeys),
    ]

    static func keys(of section: String) -> [String] {
        self.sectionKeys.first { $0.section == section }?.keys ?? []
    }

    /// The section, other than the one at `keyPath`, where `key` is valid; for "belongs under" hints.
    static func section(containing key: String, besides keyPath: String) -> String? {
        let current = keyPath.replacing(/\[\d+\]/, with: "[]")
        return self.sectionKeys.first { $0.section != current && !$0.section.isEmpty && $0.keys.contains(key) }?
            .section
    }

    /// The largest stanza limit accepted: 1 GiB.
    static let maximumStanzaBytes = 1 << 30

    // MARK: - Root

    func parseRoot(_ root: Node) -> ServerConfiguration {
        var configuration = ServerConfiguration.jitsiPreset
        guard let fields = self.fields(of: root, keyPath: "", allowed: Self.keys(of: "")) else {
            return configuration
        }
        self.assign(fields, "data_directory", to: &configuration.dataDirectory, self.string)
        self.assign(fields, "log_level", to: &configuration.logLevel) { (node, keyPath) -> Logger.Level? in
            self.choice(node, keyPath, what: "log level")
        }
        self.assign(fields, "log_addresses", to: &configuration.logAddresses, self.bool)
        self.assign(fields, "log_room_names", to: &configuration.logRoomNames, self.bool)
        self.assign(fields, "event_loops", to: &configuration.eventLoops) { self.integer($0, $1, in: 0...4096) }
        if let node = fields["listen"] {
            configuration.listen = self.parseListen(node, keyPath: "listen")
        }
        if let node = fields["tls"] {
            configuration.tls = self.parseTLS(node, keyPath: "tls")
        }
        if let node = fields["c2s"] {
            configuration.c2s = self.parseC2S(node, keyPath: "c2s")
        }
        if let node = fields["hosts"], let hosts = self.parseHosts(node, keyPath: "hosts") {
            configuration.hosts = hosts
        }
        if let node = fields["accounts"] {
            configuration.accounts = self.parseAccounts(node, keyPath: "accounts", hosts: configuration.hosts)
        } else {
            self.checkDefaultAccounts(configuration.accounts, hosts: configuration.hosts, hostsNode: fields["hosts"])
        }
        if let node = fields["admins"] {
            configuration.admins = self.jidList(node, "admins") ?? configuration.admins
        }
        if let node = fields["http"] {
            configuration.http = self.parseHTTP(node, keyPath: "http")
        }
        if let node = fields["muc"], let services = self.parseMUCs(node, keyPath: "muc", hosts: configuration.hosts) {
            configuration.muc = services
        }
        if let node = fields["focus_proxy"],
            let proxy = self.parseFocusProxy(node, keyPath: "focus_proxy", configuration: configuration)
        {
            configuration.focusProxy = proxy
        }
        let components:
            [(
                key: String, preset: ServerConfiguration.JitsiComponent,
                field: WritableKeyPath<ServerConfiguration, ServerConfiguration.JitsiComponent?>
            )] = [
                ("end_conference", ServerConfiguration.jitsiEndConference, \.endConference),
                ("av_moderation", ServerConfiguration.jitsiAVModeration, \.avModeration),
                ("speaker_stats", ServerConfiguration.jitsiSpeakerStats, \.speakerStats),
                ("polls", ServerConfiguration.jitsiPolls, \.polls),
                ("room_metadata", ServerConfiguration.jitsiRoomMetadata, \.roomMetadata),
                ("conference_duration", ServerConfiguration.jitsiConferenceDuration, \.conferenceDuration),
                ("breakout_rooms", ServerConfiguration.jitsiBreakoutRooms, \.breakoutRooms),
            ]
        for (key, preset, field) in components {
            guard let node = fields[key],
                let component = self.parseJitsiComponent(
                    node,
                    keyPath: key,
                    preset: preset,
                    configuration: configuration
                )
            else { continue }
            configuration[keyPath: field] = component
        }
        if let node = fields["lobby"], let lobby = self.parseLobby(node, keyPath: "lobby", configuration: configuration)
        {
            configuration.lobby = lobby
        }
        if let node = fields["tenants"] {
            if let tenants = self.parseTenants(node, keyPath: "tenants", configuration: configuration) {
                configuration.tenants = tenants
            }
        } else {
            configuration.tenants = ServerConfiguration.Tenants.implied(by: configuration)
        }
        if let node = fields["room_names"] {
            configuration.roomNames = self.parseRoomNames(node, keyPath: "room_names")
        }
        if let node = fields["external_services"] {
            configuration.externalServices = self.parseExternalServices(node, keyPath: "external_services")
        }
        if let node = fields["operations"] {
            configuration.operations = self.parseOperations(node, keyPath: "operations", muc: configuration.muc)
        }
        if let node = fields["rate_limits"], let limits = self.parseRateLimits(node, keyPath: "rate_limits") {
            configuration.rateLimits = limits
        }
        if let node = fields["control"] {
            configuration.control = self.parseControl(node, keyPath: "control")
        }
        return configuration
    }

    // MARK: - listen, tls, c2s

    func parseListen(_ node: Node, keyPath: String) -> ServerConfiguration.Listen {
        var listen = ServerConfiguration.Listen()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.keys(of: "listen")) else {
            return listen
        }
        self.assign(fields, "address", to: &listen.address, self.address)
        self.assign(fields, "c2s_port", to: &listen.c2sPort, self.port)
        self.assign(fields, "c2s_tls_port", to: &listen.c2sTLSPort, self.port)
        self.assign(fields, "http_port", to: &listen.httpPort, self.port)
        self.assign(fields, "https_port", to: &listen.httpsPort, self.port)

        // Two listeners on one port cannot both bind; report it at the port the file sets.
        let ports = [
            ("c2s_port", listen.c2sPort), ("c2s_tls_port", listen.c2sTLSPort), ("http_port", listen.httpPort),
            ("https_port", listen.httpsPort),
        ]
        for (index, (key, port)) in ports.enumerated() where port != 0 {
            guard let earlier = ports[..<index].first(where: { $0.1 == port }) else { continue }
            let node = fields[key] ?? fields[earlier.0]
            let path = fields[key] != nil ? fields.path(key) : fields.path(earlier.0)
            self.error("port \(port) is used by both \(earlier.0) and \(key)", at: node ?? fields.node, keyPath: path)
        }
        return listen
    }

    func parseTLS(_ node: Node, keyPath: String) -> ServerConfiguration.TLS {
        var tls = ServerConfiguration.TLS()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.keys(of: "tls")) else {
            return tls
        }
        self.assign(fields, "certificate", to: &tls.certificate, self.nullableString)
        self.assign(fields, "key", to: &tls.key, self.nullableString)
        if tls.certificate != nil, tls.key == nil {
            self.error(
                "a certificate needs its private key: set tls.key too",
                at: fields["certificate"],
                keyPath: fields.path("certificate")
            )
        } else if tls.certificate == nil, tls.key != nil {
            self.error(
                "a key without tls.certificate is not used: set both, or neither for a self-signed certificate",
                at: fields["key"],
                keyPath: fields.path("key")
            )
        }
        return tls
    }

    func parseC2S(_ node: Node, keyPath: String) -> ServerConfiguration.C2S {
        var c2s = ServerConfiguration.C2S()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.keys(of: "c2s")) else {
            return c2s
        }
        let bytes = 1...Self.maximumStanzaBytes
        self.assign(fields, "require_encryption", to: &c2s.requireEncryption, self.bool)
        self.assign(fields, "allow_plaintext_loopback", to: &c2s.allowPlaintextLoopback, self.bool)
        self.assign(fields, "max_stanza_bytes", to: &c2s.maxStanzaBytes) { self.integer($0, $1, in: bytes) }
        self.assign(fields, "unlimited_max_stanza_bytes", to: &c2s.unlimitedMaxStanzaBytes) {
            self.integer($0, $1, in: bytes)
        }
        self.assign(fields, "unlimited_jids", to: &c2s.unlimitedJIDs, self.jidList)
        self.assign(fields, "max_depth", to: &c2s.maxDepth) { self.integer($0, $1, in: 1...10_000) }
        self.assign(fields, "negotiation_timeout", to: &c2s.negotiationTimeout) {
            self.seconds($0, $1, maximum: 86_400)
        }
        self.assign(fields, "advertise_version", to: &c2s.advertiseVersion, self.bool)
        self.assign(fields, "sm_hibernation", to: &c2s.smHibernation) { self.integer($0, $1, in: 1...3600) }
        self.assign(fields, "max_output_backlog", to: &c2s.maxOutputBacklog) {
            self.integer($0, $1, in: 65_536...1_073_741_824)
        }
        self.assign(fields, "rate_limit", to: &c2s.rateLimit, self.rateLimit)
        if c2s.unlimitedMaxStanzaBytes < c2s.maxStanzaBytes {
            let key = fields["unlimited_max_stanza_bytes"] != nil ? "unlimited_max_stanza_bytes" : "max_stanza_bytes"
            self.error(
                "unlimited_max_stanza_bytes (\(c2s.unlimitedMaxStanzaBytes)) is below max_stanza_bytes "
                    + "(\(c2s.maxStanzaBytes))",
                at: fields[key],
                keyPath: fields.path(key)
            )
        }
        return c2s
    }

    func parseHTTP(_ node: Node, keyPath: String) -> ServerConfiguration.HTTP {
        var http = ServerConfiguration.HTTP()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.keys(of: "http")) else { return http }
        self.assign(fields, "cors_origins", to: &http.corsOrigins) { node, keyPath -> [String]? in
            self.list(node, keyPath)?.enumerated().compactMap { self.string($1, "\(keyPath)[\($0)]") }
        }
        self.assign(fields, "bosh_max_wait", to: &http.boshMaxWait) { self.integer($0, $1, in: 1...60) }
        self.assign(fields, "bosh_inactivity", to: &http.boshInactivity) { self.integer($0, $1, in: 1...600) }
        self.assign(fields, "behind_tls_proxy", to: &http.behindTLSProxy, self.bool)
        self.assign(fields, "trusted_proxies", to: &http.trustedProxies, self.networks)
        return http
    }

    // MARK: - admins, unlimited_jids

    /// A list of bare JIDs; duplicates are warnings.
    func jidList(_ node: Node, _ keyPath: String) -> [JID]? {
        guard let items = self.list(node, keyPath) else { return nil }
        var jids: [JID] = []
        for (index, item) in items.enumerated() {
            guard let jid = self.bareJID(item, "\(keyPath)[\(index)]") else { continue }
            if jids.contains(jid) {
                self.warning("\(jid) is listed twice", at: item, keyPath: "\(keyPath)[\(index)]")
            } else {
                jids.append(jid)
            }
        }
        return jids
    }
}
