import Foundation

/// Turns a `ProsodyConfiguration` into a Parley YAML configuration that keeps Prosody's hosts, ports and
/// behaviour, and notes every module and option it could not carry over (`parley import prosody`).
///
/// Values are carried over as Prosody had them, defaults included, even where Parley's own defaults are
/// stricter: history kept for late joiners (Prosody's 20 messages), room locking, plaintext c2s where the
/// Jitsi config turned encryption off. `parley check --privacy` then lists what such values expose.
/// The mapping follows jitsi-operations.md §3.2 (the options Jitsi's installs write).
public struct ProsodyConverter {
    /// What a conversion gives.
    public struct Result: Sendable {
        /// The Parley configuration.
        public var yaml: String
        /// What was left out and why, and where a mapping needs saying.
        public var notes: [MigrationNote]
        /// The internal_hashed hosts, whose accounts are imported.
        public var accountHosts: [String]
        /// Prosody's `data_path`, when the configuration sets it.
        public var dataPath: String?
        /// The listeners Parley will open that Prosody holds today, by role (stop Prosody before the switch).
        public var listeners: [(role: String, port: Int)]
    }

    private typealias Section = ProsodyConfiguration.Section
    private typealias Option = ProsodyConfiguration.Option
    private typealias Entry = YAMLDocument.Entry

    private let prosody: ProsodyConfiguration
    private var notes: [MigrationNote] = []
    /// `section name + NUL + option name` of every option read.
    private var used: Set<String> = []

    private init(_ prosody: ProsodyConfiguration) {
        self.prosody = prosody
    }

    /// Converts `prosody`; `dataDirectory` is written as the YAML's `data_directory`.
    public static func convert(_ prosody: ProsodyConfiguration, dataDirectory: String) -> Result {
        var converter = ProsodyConverter(prosody)
        return converter.run(dataDirectory: dataDirectory)
    }

    // MARK: - Reading options

    /// The option as Prosody resolves it for `section` (its own, else the global one), marked as read.
    private mutating func take(_ name: String, in section: Section? = nil) -> Option? {
        if let section, let option = section.option(name) {
            self.used.insert(section.name + "\0" + name)
            return option
        }
        guard let option = self.prosody.global.option(name) else { return nil }
        self.used.insert("*\0" + name)
        return option
    }

    private mutating func note(_ kind: MigrationNote.Kind, _ subject: String, _ text: String, _ option: Option?) {
        self.notes.append(MigrationNote(kind, subject, text, at: option?.location))
    }

    private mutating func strings(_ name: String, in section: Section? = nil) -> [String]? {
        guard let option = self.take(name, in: section) else { return nil }
        guard let strings = option.value.strings else {
            self.note(.unsupported, name, "expected a list of strings, found \(option.value.summary)", option)
            return nil
        }
        return strings
    }

    private mutating func integer(_ name: String, in section: Section? = nil, range: ClosedRange<Int>) -> Int? {
        guard let option = self.take(name, in: section) else { return nil }
        guard let value = option.value.integer ?? option.value.string.flatMap({ Int($0) }) else {
            self.note(.unsupported, name, "expected a whole number, found \(option.value.summary)", option)
            return nil
        }
        guard range.contains(value) else {
            let bounded = min(max(value, range.lowerBound), range.upperBound)
            self.note(.mapped, name, "\(value) is outside Parley's range \(range); \(bounded) used", option)
            return bounded
        }
        return value
    }

    private mutating func boolean(_ name: String, in section: Section? = nil) -> Bool? {
        guard let option = self.take(name, in: section) else { return nil }
        guard let value = option.value.boolean else {
            self.note(.unsupported, name, "expected true or false, found \(option.value.summary)", option)
            return nil
        }
        return value
    }

    /// The modules enabled for `section` (Prosody adds a host's `modules_enabled` to the global list).
    private func modules(of section: Section?) -> [String] {
        let global = self.prosody.global.option("modules_enabled")?.value.strings ?? []
        let own = section?.option("modules_enabled")?.value.strings ?? []
        return global + own
    }

    private var enabledAnywhere: Set<String> {
        Set(self.modules(of: nil) + self.prosody.sections.flatMap { $0.option("modules_enabled")?.value.strings ?? [] })
    }

    // MARK: - Conversion

    private mutating func run(dataDirectory: String) -> Result {
        var root: [Entry] = [
            Entry(
                key: "data_directory",
                value: .string(dataDirectory),
                comment: "SQLite accounts imported from Prosody"
            )
        ]
        root += self.logging()
        let (listen, listeners) = self.listen()
        root.append(Entry(key: "listen", value: .mapping(listen)))
        root.append(self.tls())
        var hosts: [Section] = []
        for section in self.prosody.virtualHosts {
            if section.option("enabled")?.value.boolean == false {
                self.notes.append(
                    MigrationNote(.ignored, section.name, "enabled = false: not converted", at: section.location)
                )
                self.markAllUsed(section)
            } else {
                hosts.append(section)
            }
            self.used.insert(section.name + "\0enabled")
        }
        root.append(Entry(key: "c2s", value: .mapping(self.c2s(hosts: hosts))))
        root.append(Entry(key: "http", value: .mapping(self.http())))
        // The global authentication is every host's default; read by `host`.
        if self.prosody.global.option("authentication") != nil { self.used.insert("*\0authentication") }
        var accountHosts: [String] = []
        var hostItems: [YAMLDocument] = []
        for host in hosts {
            let (item, isInternal) = self.host(host)
            hostItems.append(item)
            if isInternal { accountHosts.append(host.name) }
        }
        root.append(Entry(key: "hosts", value: .list(hostItems)))
        root.append(
            Entry(key: "accounts", value: .list([]), comment: "the accounts are in the store (imported from Prosody)")
        )
        root.append(Entry(key: "admins", value: .list((self.strings("admins") ?? []).map(YAMLDocument.string))))
        root += self.mucs(hosts: hosts)
        root.append(self.externalServices(hosts: hosts))
        root.append(self.operations(hosts: hosts))
        root.append(self.rateLimits(hosts: hosts))
        self.reportLeftovers()
        let dataPath = self.take("data_path")?.value.string
        return Result(
            yaml: Self.header(files: self.prosody.files) + YAMLDocument.mapping(root).render(),
            notes: self.notes.sorted(by: Self.fileOrder),
            accountHosts: accountHosts,
            dataPath: dataPath,
            listeners: listeners
        )
    }

    private static func header(files: [String]) -> String {
        "# Converted from Prosody by `parley import prosody` (Docs/Migrating-from-Prosody.md) from:\n"
            + files.map { "#   \($0)\n" }.joined()
            + "# Check it with `parley check FILE` and `parley check --privacy --config FILE`.\n"
    }

    private static func fileOrder(_ lhs: MigrationNote, _ rhs: MigrationNote) -> Bool {
        let left = (lhs.location?.file ?? "\u{10FFFF}", lhs.location?.line ?? 0)
        let right = (rhs.location?.file ?? "\u{10FFFF}", rhs.location?.line ?? 0)
        return left < right
    }

    /// `log` → `log_level`; a debug sink means Prosody's log had addresses and room names.
    private mutating func logging() -> [Entry] {
        var levels: [String] = []
        if let option = self.take("log") {
            self.note(.ignored, "log", "destinations: Parley logs to standard error (the journal, docker logs)", option)
            switch option.value {
            case .string(let level):
                levels = [level]
            case .table(let table):
                for entry in table.entries {
                    if let key = entry.key {
                        levels.append(key)
                    } else if let sink = entry.value.table, let sinkLevels = sink["levels"] {
                        if let minimum = sinkLevels.table?["min"]?.string {
                            levels.append(minimum)
                        } else {
                            levels += sinkLevels.strings ?? []
                        }
                    }
                }
            default:
                break
            }
        }
        let order = ["debug", "info", "warn", "error"]
        let lowest = levels.compactMap { order.firstIndex(of: $0) }.min().map { order[$0] } ?? "info"
        let debug = lowest == "debug"
        let comment = "Prosody's logs at debug level carry client addresses and room names"
        return [
            Entry(key: "log_level", value: .string(lowest == "warn" ? "warning" : lowest)),
            Entry(key: "log_addresses", value: .boolean(debug), comment: debug ? comment : nil),
            Entry(key: "log_room_names", value: .boolean(debug), comment: debug ? comment : nil),
        ]
    }

    private mutating func listen() -> ([Entry], [(role: String, port: Int)]) {
        let interfaces = self.strings("c2s_interfaces") ?? self.strings("interfaces")
        if let http = self.strings("http_interfaces"), http != interfaces {
            self.note(
                .mapped,
                "http_interfaces",
                "Parley binds every listener to one address: listen.address from c2s_interfaces",
                self.prosody.global.option("http_interfaces")
            )
        }
        var address = "0.0.0.0"
        var comment = "Prosody's default: every interface"
        if let first = interfaces?.first {
            address = first == "*" ? "0.0.0.0" : first
            comment = "Prosody's c2s_interfaces"
            if (interfaces?.count ?? 0) > 1 {
                self.note(
                    .mapped,
                    "c2s_interfaces",
                    "only \(address) is used",
                    self.prosody.global.option("c2s_interfaces") ?? self.prosody.global.option("interfaces")
                )
            }
        }
        let c2sPort = self.firstPort("c2s_ports") ?? 5222
        let directTLS = self.firstPort("c2s_direct_tls_ports") ?? self.firstPort("legacy_ssl_ports") ?? 0
        let webModules = self.enabledAnywhere.intersection(["bosh", "websocket"])
        var httpPort = self.firstPort("http_ports") ?? 5280
        if webModules.isEmpty { httpPort = 0 }
        let https = self.take("https_ports")
        let httpsPort = https.flatMap { Self.ports($0.value).first } ?? 0
        if https == nil, !webModules.isEmpty {
            self.notes.append(
                MigrationNote(
                    .mapped,
                    "https_ports",
                    "Prosody's default https port 5281 is not opened; set listen.https_port if clients used it"
                )
            )
        }
        var listeners: [(role: String, port: Int)] = [("c2s", c2sPort)]
        if directTLS > 0 { listeners.append(("c2s direct TLS", directTLS)) }
        if httpPort > 0 { listeners.append(("HTTP (BOSH, WebSocket)", httpPort)) }
        if httpsPort > 0 { listeners.append(("HTTPS", httpsPort)) }
        let entries = [
            Entry(key: "address", value: .string(address), comment: comment),
            Entry(key: "c2s_port", value: .integer(c2sPort)),
            Entry(
                key: "c2s_tls_port",
                value: .integer(directTLS),
                comment: directTLS == 0 ? "Prosody opened no direct-TLS port" : nil
            ),
            Entry(key: "http_port", value: .integer(httpPort)),
            Entry(key: "https_port", value: .integer(httpsPort)),
        ]
        return (entries, listeners)
    }

    private mutating func firstPort(_ name: String) -> Int? {
        guard let option = self.take(name) else { return nil }
        let ports = Self.ports(option.value)
        if ports.count > 1 { self.note(.mapped, name, "Parley listens on one port: \(ports[0])", option) }
        return ports.first
    }

    private static func ports(_ value: LuaValue) -> [Int] {
        switch value {
        case .number: value.integer.map { [$0] } ?? []
        case .table(let table): table.list.compactMap(\.value.integer).filter { (1...65535).contains($0) }
        default: []
        }
    }

    /// The first host's `ssl = { certificate, key }` (Parley serves one certificate).
    private mutating func tls() -> Entry {
        var chosen: (certificate: String, key: String, host: String)?
        for section in [self.prosody.global] + self.prosody.virtualHosts {
            guard let ssl = section.option("ssl")?.value.table,
                let certificate = ssl["certificate"]?.string, let key = ssl["key"]?.string
            else { continue }
            if chosen == nil {
                chosen = (certificate, key, section.name)
            } else if chosen?.certificate != certificate {
                self.notes.append(
                    MigrationNote(
                        .unsupported,
                        "ssl",
                        "Parley serves one certificate (\(chosen?.host ?? "")'s); \(section.name)'s is not used",
                        at: section.option("ssl")?.location
                    )
                )
            }
        }
        guard let chosen else {
            return Entry(
                key: "tls",
                value: .mapping([Entry(key: "certificate", value: .null), Entry(key: "key", value: .null)]),
                comment: "no ssl = { certificate, key } found: a self-signed certificate"
            )
        }
        return Entry(
            key: "tls",
            value: .mapping([
                Entry(key: "certificate", value: .string(chosen.certificate)),
                Entry(key: "key", value: .string(chosen.key)),
            ]),
            comment: "\(chosen.host)'s ssl"
        )
    }

    private mutating func c2s(hosts: [Section]) -> [Entry] {
        var entries: [Entry] = []
        let encryption = self.boolean("c2s_require_encryption") ?? true
        entries.append(
            Entry(
                key: "require_encryption",
                value: .boolean(encryption),
                comment: encryption ? nil : "as in Prosody: plaintext c2s allowed"
            )
        )
        if let limit = self.integer("c2s_stanza_size_limit", range: 1...(1 << 30)) {
            entries.append(Entry(key: "max_stanza_bytes", value: .integer(limit)))
            entries.append(Entry(key: "unlimited_max_stanza_bytes", value: .integer(max(limit, 10_485_760))))
        }
        if let rate = self.byteRate() {
            entries.append(Entry(key: "rate_limit", value: .integer(rate), comment: "Prosody's limits.c2s.rate"))
        }
        let unlimited = self.strings("unlimited_jids") ?? []
        entries.append(Entry(key: "unlimited_jids", value: .list(unlimited.map(YAMLDocument.string))))
        let version = self.enabledAnywhere.contains("version")
        entries.append(
            Entry(
                key: "advertise_version",
                value: .boolean(version),
                comment: version ? "Prosody's mod_version was enabled" : nil
            )
        )
        // Parley has one hibernation time; the participants' host decides (the first anonymous or token host).
        let participants = ["anonymous", "jitsi-anonymous", "token"]
        let main =
            hosts.first { $0.option("main_muc") != nil }
            ?? hosts.first { participants.contains($0.option("authentication")?.value.string ?? "") }
        var hibernation: Int? = nil
        for host in hosts {
            let value = self.integer("smacks_hibernation_time", in: host, range: 1...3600)
            if host.name == main?.name || (main == nil && hibernation == nil) { hibernation = value }
        }
        hibernation = hibernation ?? self.integer("smacks_hibernation_time", range: 1...3600)
        if let hibernation {
            entries.append(
                Entry(
                    key: "sm_hibernation",
                    value: .integer(hibernation),
                    comment: "smacks_hibernation_time\(main.map { " of \($0.name)" } ?? "")"
                )
            )
        }
        return entries
    }

    private mutating func http() -> [Entry] {
        var entries: [Entry] = []
        var origins: [String] = []
        for name in ["cross_domain_bosh", "cross_domain_websocket", "http_cors_override"] {
            guard let option = self.take(name) else { continue }
            switch option.value {
            case .boolean(true): origins.append("*")
            case .table where name != "http_cors_override": origins += option.value.strings ?? []
            default: break
            }
        }
        var unique: [String] = []
        for origin in origins where !unique.contains(origin) { unique.append(origin) }
        entries.append(Entry(key: "cors_origins", value: .list(unique.map(YAMLDocument.string))))
        let bosh = self.boolean("consider_bosh_secure") ?? false
        let websocket = self.boolean("consider_websocket_secure") ?? false
        let secure = bosh || websocket
        entries.append(
            Entry(
                key: "behind_tls_proxy",
                value: .boolean(secure),
                comment: "consider_bosh_secure / consider_websocket_secure"
            )
        )
        if let proxies = self.strings("trusted_proxies") {
            entries.append(Entry(key: "trusted_proxies", value: .list(proxies.map(YAMLDocument.string))))
        }
        if let inactivity = self.integer("bosh_max_inactivity", range: 1...600) {
            entries.append(Entry(key: "bosh_inactivity", value: .integer(inactivity)))
        }
        if let wait = self.integer("bosh_max_wait", range: 1...60) {
            entries.append(Entry(key: "bosh_max_wait", value: .integer(wait)))
        }
        return entries
    }
}

// MARK: - Hosts

extension ProsodyConverter {
    /// One `VirtualHost`; true when its accounts are imported.
    private mutating func host(_ section: Section) -> (YAMLDocument, Bool) {
        var entries = [Entry(key: "domain", value: .string(section.name))]
        let option = self.take("authentication", in: section)
        let method = option?.value.string ?? "internal_hashed"
        var isInternal = false
        switch method {
        case "anonymous", "jitsi-anonymous":
            entries.append(Entry(key: "authentication", value: .string("anonymous")))
        case "token":
            if let token = self.token(section) {
                entries.append(Entry(key: "authentication", value: .string("token")))
                entries.append(Entry(key: "token", value: .mapping(token)))
            } else {
                entries.append(
                    Entry(key: "authentication", value: .string("anonymous"), comment: "token without app_id")
                )
                self.note(.unsupported, "authentication", "token without app_id: converted to anonymous", option)
            }
        default:
            if method != "internal_hashed" {
                let plain = method == "internal_plain"
                self.note(
                    .unsupported,
                    "authentication",
                    plain
                        ? "internal_plain: plaintext passwords are not imported; set them with `parley user passwd`"
                        : "'\(method)' on \(section.name) is not in Parley: converted to internal_hashed (no accounts)",
                    option
                )
            }
            isInternal = true
            entries.append(Entry(key: "authentication", value: .string("internal_hashed")))
            var mechanisms = ["SCRAM-SHA-1", "PLAIN"]
            let disabled = self.strings("disable_sasl_mechanisms", in: section) ?? []
            mechanisms.removeAll { disabled.contains($0) }
            if !mechanisms.isEmpty {
                entries.append(
                    Entry(
                        key: "sasl_mechanisms",
                        value: .list(mechanisms.map(YAMLDocument.string)),
                        comment: "as Prosody offered: imported accounts have SCRAM-SHA-1 keys only"
                    )
                )
            }
        }
        if !isInternal, let disabled = section.option("disable_sasl_mechanisms") {
            self.used.insert(section.name + "\0disable_sasl_mechanisms")
            self.note(.ignored, "disable_sasl_mechanisms", "\(section.name) offers ANONYMOUS only", disabled)
        }
        if let encryption = section.option("c2s_require_encryption") {
            self.used.insert(section.name + "\0c2s_require_encryption")
            if let value = encryption.value.boolean {
                entries.append(Entry(key: "require_encryption", value: .boolean(value)))
            }
        }
        // Options the Jitsi components and MUCs read from the host, consumed here or in `mucs`; the component
        // options name the components, which are converted from their own sections.
        let hostOptions = [
            "ssl", "modules_enabled", "av_moderation_component", "speakerstats_component",
            "conference_duration_component", "end_conference_component", "room_metadata_component",
            "polls_component",
        ]
        for name in hostOptions where section.option(name) != nil {
            self.used.insert(section.name + "\0" + name)
        }
        return (.mapping(entries), isInternal)
    }

    /// A `token` host's section (Jitsi's mod_auth_token options); nil without `app_id`.
    private mutating func token(_ section: Section) -> [Entry]? {
        guard let appID = self.take("app_id", in: section)?.value.string, !appID.isEmpty else { return nil }
        var entries = [Entry(key: "app_id", value: .string(appID))]
        let keyServer = self.take("asap_key_server", in: section)?.value.string
        if let secret = self.take("app_secret", in: section) {
            if let text = secret.value.string, !text.isEmpty {
                entries.append(Entry(key: "app_secret", value: .string(text), comment: "better: app_secret_env"))
                self.note(.mapped, "app_secret", "written into the YAML; better move it to app_secret_env", secret)
            }
        }
        if let keyServer { entries.append(Entry(key: "asap_key_server", value: .string(keyServer))) }
        let algorithm =
            self.take("signature_algorithm", in: section)?.value.string ?? (keyServer == nil ? "HS256" : "RS256")
        entries.append(Entry(key: "algorithm", value: .string(algorithm)))
        if let issuers = self.strings("asap_accepted_issuers", in: section) {
            entries.append(Entry(key: "accepted_issuers", value: .list(issuers.map(YAMLDocument.string))))
        }
        if let audiences = self.strings("asap_accepted_audiences", in: section) {
            entries.append(Entry(key: "accepted_audiences", value: .list(audiences.map(YAMLDocument.string))))
        }
        if let allowEmpty = self.boolean("allow_empty_token", in: section) {
            entries.append(Entry(key: "allow_empty", value: .boolean(allowEmpty)))
        }
        if let verify = self.boolean("enable_domain_verification", in: section) {
            entries.append(Entry(key: "verify_subject", value: .boolean(verify)))
        }
        return entries
    }
}

// MARK: - MUC and Jitsi components

extension ProsodyConverter {
    private mutating func mucs(hosts: [Section]) -> [Entry] {
        let components = self.prosody.components
        let mucSections = components.filter { $0.module == "muc" }
        var lobbyNames: Set<String> = []
        var breakoutNames: Set<String> = []
        var mainName: String? = nil
        for host in hosts {
            if let lobby = self.take("lobby_muc", in: host)?.value.string { lobbyNames.insert(lobby) }
            if let breakout = self.take("breakout_rooms_muc", in: host)?.value.string { breakoutNames.insert(breakout) }
            if mainName == nil, let main = self.take("main_muc", in: host)?.value.string { mainName = main }
        }
        for section in mucSections {
            if section.name.hasPrefix("lobby.") { lobbyNames.insert(section.name) }
            if section.name.hasPrefix("breakout.") { breakoutNames.insert(section.name) }
        }
        let roomServices = mucSections.filter { !lobbyNames.contains($0.name) && !breakoutNames.contains($0.name) }
        if mainName == nil || !roomServices.contains(where: { $0.name == mainName }) {
            mainName =
                roomServices.first { $0.name.hasPrefix("conference.") || $0.name.hasPrefix("muc.") }?.name
                ?? roomServices.first { self.modules(of: $0).contains("muc_meeting_id") }?.name
                ?? roomServices.first?.name
        }
        var items: [YAMLDocument] = []
        for section in roomServices {
            items.append(self.muc(section, isMain: section.name == mainName))
        }
        var entries = [Entry(key: "muc", value: .list(items))]
        entries.append(self.tenants(mainMUC: mainName))
        entries.append(self.breakoutRooms(breakoutNames: breakoutNames, mainMUC: mainName))
        entries.append(self.focusProxy(components))
        for (module, key) in ProsodyCatalog.jitsiComponents {
            entries.append(self.jitsiComponent(module: module, key: key, mainMUC: mainName, hosts: hosts))
        }
        entries.append(self.lobby(lobbyNames: lobbyNames, mainMUC: mainName, hosts: hosts))
        for section in components {
            let module = section.module
            if module == "muc" || module == "client_proxy"
                || ProsodyCatalog.jitsiComponents.contains(where: { $0.module == module })
            {
                continue
            }
            let (kind, reason) =
                module.map { ProsodyCatalog.verdict(for: $0) }
                ?? (.unsupported, "an external component (XEP-0114) with a secret; Parley has none")
            self.notes.append(
                MigrationNote(kind, "Component \"\(section.name)\" \"\(module ?? "")\"", reason, at: section.location)
            )
            self.markAllUsed(section)
        }
        return entries
    }

    /// Jitsi's `mod_muc_domain_mapper` (`muc_mapper_domain_base`) on the main MUC: `tenants`.
    private mutating func tenants(mainMUC: String?) -> Entry {
        let base = self.take("muc_mapper_domain_base")
        _ = self.take("muc_mapper_domain_prefix")
        guard let mainMUC, let main = self.prosody.section(mainMUC),
            self.modules(of: main).contains("muc_domain_mapper")
        else {
            return Entry(key: "tenants", value: .null, comment: "Prosody did not load muc_domain_mapper")
        }
        let domain = base?.value.string ?? String(mainMUC.split(separator: ".", maxSplits: 1).last ?? "")
        guard mainMUC.split(separator: ".", maxSplits: 1).last.map(String.init) == domain else {
            self.note(
                .unsupported,
                "muc_mapper_domain_base",
                "\(mainMUC) is not one label before \(domain): tenants are off",
                base
            )
            return Entry(key: "tenants", value: .null)
        }
        return Entry(
            key: "tenants",
            value: .mapping([Entry(key: "base", value: .string(domain)), Entry(key: "muc", value: .string(mainMUC))]),
            comment: "Jitsi's muc_domain_mapper"
        )
    }

    /// The breakout MUC (`breakout_rooms_muc`): `breakout_rooms`. Parley's breakout rooms take the main MUC's
    /// settings, so the breakout MUC's own options are not read.
    private mutating func breakoutRooms(breakoutNames: Set<String>, mainMUC: String?) -> Entry {
        guard let name = breakoutNames.sorted().first, let section = self.prosody.section(name), let mainMUC else {
            return Entry(key: "breakout_rooms", value: .null, comment: "Prosody had no breakout MUC")
        }
        self.markAllUsed(section)
        self.notes.append(
            MigrationNote(
                .mapped,
                name,
                "breakout rooms take \(mainMUC)'s settings; this MUC's own options are not read",
                at: section.location
            )
        )
        return Entry(
            key: "breakout_rooms",
            value: .mapping([Entry(key: "domain", value: .string(name)), Entry(key: "muc", value: .string(mainMUC))])
        )
    }

    private mutating func markAllUsed(_ section: Section) {
        for option in section.options { self.used.insert(section.name + "\0" + option.name) }
    }

    private mutating func muc(_ section: Section, isMain: Bool) -> YAMLDocument {
        let modules = self.modules(of: section)
        self.used.insert(section.name + "\0modules_enabled")
        var entries = [Entry(key: "domain", value: .string(section.name))]
        let restrict = self.take("restrict_room_creation", in: section)
        entries.append(
            Entry(
                key: "restrict_room_creation",
                value: .boolean(restrict?.value.boolean ?? false),
                comment: restrict == nil
                    ? "Prosody's default" : (restrict?.value.string == "local" ? "was \"local\"" : nil)
            )
        )
        let locking = self.boolean("muc_room_locking", in: section)
        entries.append(
            Entry(
                key: "room_locking",
                value: .boolean(locking ?? true),
                comment: locking == nil ? "Prosody's default" : nil
            )
        )
        entries.append(
            Entry(
                key: "focus_lock",
                value: .boolean(isMain || modules.contains("muc_meeting_id")),
                comment: "Jitsi's jicofo lock (mod_muc_meeting_id)"
            )
        )
        if let maximum = self.integer("muc_max_occupants", in: section, range: 1...1_000_000) {
            entries.append(Entry(key: "max_occupants", value: .integer(maximum)))
        }
        if let exempt = self.strings("muc_access_whitelist", in: section) {
            entries.append(Entry(key: "max_occupants_exempt", value: .list(exempt.map(YAMLDocument.string))))
        }
        if let exempt = self.strings("muc_password_whitelist", in: section) {
            entries.append(Entry(key: "password_exempt", value: .list(exempt.map(YAMLDocument.string))))
        }
        if let allowed = self.strings("muc_filter_whitelist", in: section) {
            if modules.contains("muc_filter_access") {
                entries.append(Entry(key: "allowed_domains", value: .list(allowed.map(YAMLDocument.string))))
            } else {
                self.note(
                    .ignored,
                    "muc_filter_whitelist",
                    "mod_muc_filter_access is not enabled on \(section.name), so Prosody did not apply it",
                    section.option("muc_filter_whitelist")
                )
            }
        }
        if modules.contains("muc_rate_limit") {
            let rate = self.integer("muc_rate_joins", in: section, range: 1...100_000)
            entries.append(
                Entry(
                    key: "join_rate",
                    value: .integer(rate ?? 3),
                    comment: rate == nil ? "Jitsi's mod_muc_rate_limit default (muc_rate_joins)" : "muc_rate_joins"
                )
            )
        }
        let history =
            self.integer("muc_room_default_history_length", in: section, range: 0...100)
            ?? self.integer("max_history_messages", in: section, range: 0...100)
        entries.append(
            Entry(
                key: "history_length",
                value: .integer(history ?? 20),
                comment: history == nil ? "Prosody's default (20 messages for late joiners); 0 keeps none" : nil
            )
        )
        let publicJIDs = self.boolean("muc_room_default_public_jids", in: section)
        entries.append(
            Entry(
                key: "public_jids",
                value: .boolean(publicJIDs ?? false),
                comment: publicJIDs == nil ? "Prosody's default; Jitsi's clients need true" : nil
            )
        )
        if let admins = section.option("admins") {
            self.used.insert(section.name + "\0admins")
            entries.append(Entry(key: "admins", value: .list((admins.value.strings ?? []).map(YAMLDocument.string))))
        }
        for module in section.option("modules_enabled")?.value.table?.list ?? [] {
            guard let name = module.value.string, ProsodyCatalog.builtInModules[name] == nil else { continue }
            let (kind, reason) = ProsodyCatalog.verdict(for: name)
            self.notes.append(
                MigrationNote(
                    kind,
                    name,
                    "\(reason) (module on \(section.name))",
                    at: .init(file: section.option("modules_enabled")?.location.file ?? "", line: module.line)
                )
            )
        }
        return .mapping(entries)
    }

    private mutating func focusProxy(_ components: [Section]) -> Entry {
        guard let section = components.first(where: { $0.module == "client_proxy" }) else {
            return Entry(key: "focus_proxy", value: .null, comment: "no client_proxy component")
        }
        guard let target = self.take("target_address", in: section)?.value.string else {
            self.notes.append(
                MigrationNote(.unsupported, section.name, "client_proxy without target_address", at: section.location)
            )
            return Entry(key: "focus_proxy", value: .null)
        }
        return Entry(
            key: "focus_proxy",
            value: .mapping([
                Entry(key: "domain", value: .string(section.name)), Entry(key: "target", value: .string(target)),
            ])
        )
    }

    private mutating func jitsiComponent(module: String, key: String, mainMUC: String?, hosts: [Section]) -> Entry {
        var domain: String? = nil
        var muc = mainMUC
        if let section = self.prosody.components.first(where: { $0.module == module }) {
            domain = section.name
            if let named = self.take("muc_component", in: section)?.value.string { muc = named }
            _ = self.take("breakout_rooms_component", in: section)
        } else if module == "polls_component", let mainMUC, let main = self.prosody.section(mainMUC),
            self.modules(of: main).contains("polls")
        {
            // Jitsi's older polls: a module on the conference MUC rather than a component. Its host is the one
            // whose main_muc it is, else the MUC's domain without its first label.
            let host =
                hosts.first { $0.option("main_muc")?.value.string == mainMUC }?.name
                ?? String(mainMUC.split(separator: ".", maxSplits: 1).last ?? Substring(mainMUC))
            domain = "polls." + host
            self.notes.append(
                MigrationNote(
                    .mapped,
                    "polls",
                    "the polls module on \(mainMUC) becomes Parley's polls component \(domain ?? "")",
                    at: main.location
                )
            )
        }
        guard let domain else { return Entry(key: key, value: .null, comment: "Prosody had no \(module)") }
        guard let muc, self.prosody.section(muc)?.module == "muc" else {
            self.notes.append(MigrationNote(.unsupported, domain, "\(module) without a MUC Parley has: not converted"))
            return Entry(key: key, value: .null)
        }
        return Entry(
            key: key,
            value: .mapping([Entry(key: "domain", value: .string(domain)), Entry(key: "muc", value: .string(muc))])
        )
    }

    private mutating func lobby(lobbyNames: Set<String>, mainMUC: String?, hosts: [Section]) -> Entry {
        guard let lobby = lobbyNames.sorted().first, let section = self.prosody.section(lobby), let mainMUC else {
            return Entry(key: "lobby", value: .null, comment: "Prosody had no lobby MUC")
        }
        var whitelist: [String] = []
        for host in hosts { whitelist += self.strings("muc_lobby_whitelist", in: host) ?? [] }
        self.markAllUsed(section)
        for module in section.option("modules_enabled")?.value.strings ?? []
        where ProsodyCatalog.builtInModules[module] == nil {
            let (kind, reason) = ProsodyCatalog.verdict(for: module)
            self.notes.append(
                MigrationNote(
                    kind,
                    module,
                    "\(reason) (module on \(lobby))",
                    at: section.option("modules_enabled")?.location
                )
            )
        }
        return Entry(
            key: "lobby",
            value: .mapping([
                Entry(key: "domain", value: .string(lobby)), Entry(key: "muc", value: .string(mainMUC)),
                Entry(key: "whitelist", value: .list(whitelist.map(YAMLDocument.string))),
            ])
        )
    }
}

// MARK: - External services and leftovers

extension ProsodyConverter {
    /// `external_services` (Prosody's mod_external_services) or the older `turncredentials`.
    private mutating func externalServices(hosts: [Section]) -> Entry {
        var options: [Option] = []
        if let option = self.take("external_services") { options.append(option) }
        for host in hosts {
            if let option = host.option("external_services") {
                self.used.insert(host.name + "\0external_services")
                options.append(option)
            }
        }
        let legacy = self.take("turncredentials")
        var secretOption = self.take("external_service_secret") ?? self.take("turncredentials_secret")
        var secret = secretOption?.value.string
        var ttl = self.integer("external_service_ttl", range: 1...31_536_000)
        var services: [YAMLDocument] = []
        for entry in (options.first ?? legacy)?.value.table?.list ?? [] {
            guard let service = entry.value.table, let type = service["type"]?.string,
                let host = service["host"]?.string
            else {
                self.note(.unsupported, "external_services", "an entry without type and host is skipped", options.first)
                continue
            }
            var fields = [Entry(key: "type", value: .string(type)), Entry(key: "host", value: .string(host))]
            if let port = service["port"]?.integer { fields.append(Entry(key: "port", value: .integer(port))) }
            if let transport = service["transport"]?.string {
                fields.append(Entry(key: "transport", value: .string(transport)))
            }
            let usesSecret = service["secret"]?.boolean == true || (legacy != nil && type.hasPrefix("turn"))
            if usesSecret {
                guard secret != nil else {
                    self.note(
                        .unsupported,
                        "external_services",
                        "\(type) \(host) needs external_service_secret; skipped",
                        options.first
                    )
                    continue
                }
                fields.append(Entry(key: "secret", value: .boolean(true)))
                if let ttl = service["ttl"]?.integer { fields.append(Entry(key: "ttl", value: .integer(ttl))) }
            } else if let username = service["username"]?.string, let password = service["password"]?.string {
                fields.append(Entry(key: "username", value: .string(username)))
                fields.append(Entry(key: "password", value: .string(password)))
            }
            services.append(.mapping(fields))
        }
        if services.isEmpty, let external = self.turnExternal() {
            (services, secretOption, ttl) = external
            secret = secretOption?.value.string
        }
        var entries: [Entry] = []
        if let secret, !services.isEmpty {
            entries.append(Entry(key: "secret", value: .string(secret), comment: "better: secret_env"))
            self.note(
                .mapped,
                "external_service_secret",
                "written into the YAML; better move it to secret_env",
                secretOption
            )
        }
        if let ttl { entries.append(Entry(key: "ttl", value: .integer(ttl))) }
        entries.append(Entry(key: "services", value: .list(services)))
        return Entry(key: "external_services", value: .mapping(entries))
    }

    /// `operations`: the bridges' brewery on the internal MUC, who may read `/metrics` (Prosody's
    /// `openmetrics_allow_cidr` / `openmetrics_allow_ips`), occupancy with identities where Jitsi's `muc_size` or
    /// `muc_census` served them, and the shard's names (`shard_name`, `region_name`, `release_number`).
    private mutating func operations(hosts: [Section]) -> Entry {
        var entries: [Entry] = []
        let mucs = self.prosody.components.filter { $0.module == "muc" }
        let internalMUC =
            mucs.first { $0.name.hasPrefix("internal") }
            ?? mucs.first { ($0.option("admins")?.value.strings ?? []).contains { $0.hasPrefix("jvb@") } }
        entries.append(
            Entry(
                key: "brewery",
                value: internalMUC.map { .string("jvbbrewery@" + $0.name) } ?? .null,
                comment: internalMUC == nil
                    ? "no internal MUC found: bridges are not checked" : "Jicofo's default brewery"
            )
        )
        var allowed: [String] = []
        if let cidr = self.take("openmetrics_allow_cidr") { allowed += cidr.value.strings ?? [] }
        if let ips = self.strings("openmetrics_allow_ips") {
            allowed += ips.filter { !["127.0.0.1", "::1"].contains($0) }.map {
                $0.contains(":") ? "\($0)/128" : "\($0)/32"
            }
        }
        if !allowed.isEmpty {
            entries.append(
                Entry(
                    key: "openmetrics_allow_cidr",
                    value: .list(allowed.map(YAMLDocument.string)),
                    comment: "Prosody's openmetrics_allow_cidr / openmetrics_allow_ips"
                )
            )
        }
        let modules = self.enabledAnywhere
        if !modules.intersection(["muc_size", "muc_census"]).isEmpty {
            entries.append(
                Entry(
                    key: "occupancy_identities",
                    value: .boolean(true),
                    comment: "Jitsi's muc_size lists each participant's nick, display name and e-mail"
                )
            )
        }
        for (option, key) in [("shard_name", "shard"), ("region_name", "region"), ("release_number", "release")] {
            var value: String? = nil
            for host in [nil] + hosts.map(Optional.some) {
                if let found = self.take(option, in: host)?.value {
                    value = value ?? found.string ?? found.integer.map(String.init)
                }
            }
            if let value { entries.append(Entry(key: key, value: .string(value))) }
        }
        return Entry(key: "operations", value: .mapping(entries))
    }

    /// `limits = { c2s = { rate = "10kb/s" } }` with Prosody's `limits` module: bytes per second, in Prosody's
    /// decimal units (`mod_limits.lua`: k = 10^3, m = 10^6). Nil when not set, not loaded, or unreadable (noted).
    private mutating func byteRate() -> Int? {
        guard let option = self.take("limits") else { return nil }
        guard self.modules(of: nil).contains("limits") else {
            self.note(.ignored, "limits", "the limits module is not enabled, so Prosody did not apply it", option)
            return nil
        }
        let table = option.value.table
        for entry in table?.entries ?? [] where entry.key != "c2s" {
            let key = entry.key ?? "?"
            let reason = key.hasPrefix("s2s") ? "no s2s" : "Parley limits client streams only"
            self.notes.append(
                MigrationNote(
                    .ignored,
                    "limits.\(key)",
                    reason,
                    at: .init(file: option.location.file, line: entry.line)
                )
            )
        }
        guard let c2s = table?["c2s"]?.table, let text = c2s["rate"]?.string else { return nil }
        if c2s["burst"] != nil {
            self.note(.mapped, "limits.c2s.burst", "Parley allows two seconds' worth at once", option)
        }
        guard let bytes = ProsodyByteRate.bytesPerSecond(text) else {
            self.note(.unsupported, "limits.c2s.rate", "'\(text)' is not a rate Parley reads (like 10kb/s)", option)
            return nil
        }
        return max(bytes, 64)
    }

    /// Jitsi's `mod_rate_limit` (`rate_limit_*`): `rate_limits`; `null` when no host loads it.
    private mutating func rateLimits(hosts: [Section]) -> Entry {
        guard let host = hosts.first(where: { self.modules(of: $0).contains("rate_limit") }) else {
            return Entry(key: "rate_limits", value: .null, comment: "Prosody did not load Jitsi's rate_limit")
        }
        var entries: [Entry] = []
        let integers: [(String, String, ClosedRange<Int>)] = [
            ("rate_limit_login_rate", "login_rate", 1...100_000),
            ("rate_limit_session_rate", "session_rate", 1...1_073_741_824),
            ("rate_limit_timeout", "timeout", 1...86_400), ("rate_limit_cache_size", "cache_size", 1...10_000_000),
        ]
        for (option, key, range) in integers {
            if let value = self.integer(option, in: host, range: range) {
                entries.append(Entry(key: key, value: .integer(value)))
            }
        }
        if let allow = self.strings("rate_limit_whitelist", in: host) {
            let ranges = allow.filter { !["127.0.0.1", "::1"].contains($0) }
            entries.append(Entry(key: "allow", value: .list(ranges.map(YAMLDocument.string))))
        }
        if let jids = self.strings("rate_limit_whitelist_jids", in: host) {
            entries.append(Entry(key: "unlimited_jids", value: .list(jids.map(YAMLDocument.string))))
        }
        return Entry(key: "rate_limits", value: .mapping(entries), comment: "Jitsi's mod_rate_limit on \(host.name)")
    }

    /// Prosody's own `mod_turn_external` (`turn_external_host`, `_secret`, `_port`, `_tcp`, `_ttl`): a STUN
    /// service and a TURN service over UDP (and TCP) on that host with time-limited credentials.
    private mutating func turnExternal() -> ([YAMLDocument], Option?, Int?)? {
        guard let host = self.take("turn_external_host")?.value.string,
            let secretOption = self.take("turn_external_secret"), secretOption.value.string != nil
        else { return nil }
        let port = self.integer("turn_external_port", range: 1...65535) ?? 3478
        let ttl = self.integer("turn_external_ttl", range: 1...31_536_000)
        let tcp = self.boolean("turn_external_tcp") ?? false
        func service(_ type: String, _ transport: String?) -> YAMLDocument {
            var fields = [
                Entry(key: "type", value: .string(type)), Entry(key: "host", value: .string(host)),
                Entry(key: "port", value: .integer(port)),
            ]
            if let transport {
                fields.append(Entry(key: "transport", value: .string(transport)))
                fields.append(Entry(key: "secret", value: .boolean(true)))
            }
            return .mapping(fields)
        }
        let services = [service("stun", nil), service("turn", "udp")] + (tcp ? [service("turn", "tcp")] : [])
        return (services, secretOption, ttl)
    }

    /// Every option not read and every module not known, with its verdict.
    private mutating func reportLeftovers() {
        for section in [self.prosody.global] + self.prosody.sections {
            for option in section.options where !self.used.contains(section.name + "\0" + option.name) {
                if option.name == "modules_enabled" && section.kind == .global { continue }
                let (kind, reason) = ProsodyCatalog.verdict(for: option.name)
                let place = section.kind == .global ? "" : " (on \(section.name))"
                self.notes.append(MigrationNote(kind, option.name, reason + place, at: option.location))
            }
        }
        let modules = [self.prosody.global] + self.prosody.virtualHosts
        for section in modules {
            guard let option = section.option("modules_enabled"), let table = option.value.table else { continue }
            for item in table.list {
                guard let name = item.value.string, ProsodyCatalog.builtInModules[name] == nil else { continue }
                let (kind, reason) = ProsodyCatalog.verdict(for: name)
                let place = section.kind == .global ? "" : " (on \(section.name))"
                self.notes.append(
                    MigrationNote(kind, name, reason + place, at: .init(file: option.location.file, line: item.line))
                )
            }
        }
    }
}
