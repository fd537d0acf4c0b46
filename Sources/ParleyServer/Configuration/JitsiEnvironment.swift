import Logging
import ParleyCore

/// docker-jitsi-meet's environment variables applied to the Jitsi preset, so Parley can stand where the
/// prosody container stood (docker-jitsi-meet `prosody/rootfs/defaults/*.cfg.lua` use the same names).
/// Used only when `parley serve` runs without a configuration file. Docs/Deploying-with-Jitsi.md lists them.
public enum JitsiEnvironment {
    /// The variables this understands; any of them being set means "docker mode".
    public static let variables = [
        "XMPP_DOMAIN", "XMPP_AUTH_DOMAIN", "XMPP_MUC_DOMAIN", "XMPP_INTERNAL_MUC_DOMAIN", "XMPP_GUEST_DOMAIN",
        "XMPP_RECORDER_DOMAIN", "XMPP_HIDDEN_DOMAIN", "JICOFO_AUTH_USER", "JICOFO_AUTH_PASSWORD", "JVB_AUTH_USER",
        "JVB_AUTH_PASSWORD", "JIBRI_XMPP_USER", "JIBRI_XMPP_PASSWORD", "JIBRI_RECORDER_USER",
        "JIBRI_RECORDER_PASSWORD", "JIGASI_XMPP_USER", "JIGASI_XMPP_PASSWORD", "JIGASI_TRANSCRIBER_USER",
        "JIGASI_TRANSCRIBER_PASSWORD", "ENABLE_AUTH", "AUTH_TYPE",
        "ENABLE_GUESTS", "ENABLE_END_CONFERENCE", "ENABLE_AV_MODERATION", "DISABLE_POLLS", "ENABLE_LOBBY",
        "ENABLE_BREAKOUT_ROOMS",
        "MAX_PARTICIPANTS", "LOG_LEVEL", "PARLEY_LISTEN_ADDRESS", "PARLEY_DATA_DIRECTORY",
        "STUN_HOST", "STUN_PORT", "TURN_HOST", "TURN_PORT", "TURN_TRANSPORT", "TURNS_HOST", "TURNS_PORT", "TURN_TTL",
        "TURN_CREDENTIALS", "TURN_USERNAME", "TURN_PASSWORD", "JWT_APP_ID", "JWT_APP_SECRET", "JWT_ACCEPTED_ISSUERS",
        "JWT_ACCEPTED_AUDIENCES", "JWT_ALLOW_EMPTY", "JWT_ASAP_KEYSERVER", "JWT_SIGN_TYPE",
        "JWT_ENABLE_DOMAIN_VERIFICATION", "XMPP_PORT", "PROSODY_HTTP_PORT", "PROSODY_C2S_REQUIRE_ENCRYPTION",
        "PROSODY_ADMINS", "ENABLE_SUBDOMAINS", "PROSODY_ENABLE_RATE_LIMITS", "PROSODY_RATE_LIMIT_LOGIN_RATE",
        "PROSODY_RATE_LIMIT_SESSION_RATE", "PROSODY_RATE_LIMIT_TIMEOUT", "PROSODY_RATE_LIMIT_ALLOW_RANGES",
        "PROSODY_RATE_LIMIT_CACHE_SIZE", "PROSODY_C2S_LIMIT", "PROSODY_DISABLE_C2S_LIMIT", "PROSODY_TRUSTED_PROXIES",
        "PROSODY_ENABLE_METRICS", "PROSODY_METRICS_ALLOWED_CIDR", "SHARD",
        "PROSODY_REGION_NAME", "RELEASE_NUMBER", "JVB_BREWERY_MUC",
    ]

    /// The preset with the environment applied, plus notes for the log (never containing a password).
    public static func apply(
        to preset: ServerConfiguration,
        environment: [String: String]
    ) -> (ServerConfiguration, [String]) {
        func value(_ name: String) -> String? {
            guard let v = environment[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func flag(_ name: String) -> Bool { ["1", "true", "yes", "on"].contains(value(name)?.lowercased() ?? "") }
        var c = preset
        var notes: [String] = []
        let dockerMode = Self.variables.contains { value($0) != nil && !$0.hasPrefix("PARLEY_") }

        let domain = value("XMPP_DOMAIN") ?? "meet.jitsi"
        let authDomain = value("XMPP_AUTH_DOMAIN") ?? "auth.\(domain)"
        let mucDomain = value("XMPP_MUC_DOMAIN") ?? "muc.\(domain)"
        let internalMUC = value("XMPP_INTERNAL_MUC_DOMAIN") ?? "internal-muc.\(domain)"
        let focusUser = value("JICOFO_AUTH_USER") ?? "focus"
        let jvbUser = value("JVB_AUTH_USER") ?? "jvb"

        let secure = flag("ENABLE_AUTH")
        let authType = value("AUTH_TYPE")?.lowercased() ?? "internal"
        if secure && authType != "internal" && authType != "jwt" {
            notes.append("AUTH_TYPE=\(authType) is not supported; using internal accounts on \(domain)")
        }
        c.hosts = [ServerConfiguration.Host(domain: domain, authentication: secure ? .internalHashed : .anonymous)]
        if secure && authType == "jwt" {
            // docker's jitsi-meet.cfg.lua: authentication = "token" on the main VirtualHost.
            let (token, tokenNotes) = Self.tokenAuthentication(value: value, flag: flag)
            c.hosts = [ServerConfiguration.Host(domain: domain, authentication: .token, token: token)]
            notes += tokenNotes
        }
        if secure, flag("ENABLE_GUESTS") {
            c.hosts.append(.init(domain: value("XMPP_GUEST_DOMAIN") ?? "guest.\(domain)", authentication: .anonymous))
        }
        c.hosts.append(.init(domain: authDomain, authentication: .internalHashed))
        var serviceUsers: [(user: String, passwordVariable: String)] = [
            (focusUser, "JICOFO_AUTH_PASSWORD"), (jvbUser, "JVB_AUTH_PASSWORD"),
        ]
        if value("JIBRI_XMPP_PASSWORD") != nil {
            serviceUsers.append((value("JIBRI_XMPP_USER") ?? "jibri", "JIBRI_XMPP_PASSWORD"))
        }
        if value("JIGASI_XMPP_PASSWORD") != nil {
            serviceUsers.append((value("JIGASI_XMPP_USER") ?? "jigasi", "JIGASI_XMPP_PASSWORD"))
        }
        c.accounts = serviceUsers.compactMap { entry in
            (try? JID(localpart: entry.user, domainpart: authDomain, resourcepart: nil)).map {
                ServerConfiguration.Account(jid: $0, passwordEnvironment: entry.passwordVariable)
            }
        }
        // docker's hidden domain (`XMPP_HIDDEN_DOMAIN`, `hidden.<XMPP_DOMAIN>` by default; `XMPP_RECORDER_DOMAIN` in
        // older .env files) holds Jibri's recorder and Jigasi's transcriber, when their passwords are set.
        let hiddenDomain = value("XMPP_HIDDEN_DOMAIN") ?? value("XMPP_RECORDER_DOMAIN") ?? "hidden.\(domain)"
        let hiddenUsers: [(user: String, passwordVariable: String)] = [
            (value("JIBRI_RECORDER_USER") ?? "recorder", "JIBRI_RECORDER_PASSWORD"),
            (value("JIGASI_TRANSCRIBER_USER") ?? "transcriber", "JIGASI_TRANSCRIBER_PASSWORD"),
        ].filter { value($0.passwordVariable) != nil }
        if !hiddenUsers.isEmpty {
            c.hosts.append(.init(domain: hiddenDomain, authentication: .internalHashed))
            for entry in hiddenUsers {
                if let jid = try? JID(localpart: entry.user, domainpart: hiddenDomain, resourcepart: nil) {
                    c.accounts.append(.init(jid: jid, passwordEnvironment: entry.passwordVariable))
                }
            }
        }
        let serviceJIDs = c.accounts.filter { $0.jid.domainpart == authDomain }.map(\.jid)
        let focusJID = serviceJIDs.first ?? c.admins.first
        c.admins = focusJID.map { [$0] } ?? []
        c.c2s.unlimitedJIDs = serviceJIDs
        var conference = ServerConfiguration.MUC(domain: mucDomain, focusLock: true)
        if let max = value("MAX_PARTICIPANTS").flatMap(Int.init), max > 0 {
            // docker's `muc_access_whitelist`: focus, Jibri's recorder and Jigasi's transcriber are not counted.
            conference.maxOccupants = max
            conference.maxOccupantsExempt =
                (focusJID.map { [$0] } ?? []) + c.accounts.map(\.jid).filter { $0.domainpart != authDomain }
        }
        // docker's muc_password_whitelist: focus and the recorder follow a moderator's lock.
        conference.passwordExempt =
            (focusJID.map { [$0] } ?? []) + c.accounts.map(\.jid).filter { $0.domainpart != authDomain }
        // docker's `muc_filter_whitelist`: only the auth domain's accounts enter the breweries.
        let brewery = ServerConfiguration.MUC(
            domain: internalMUC,
            admins: Array(serviceJIDs.dropFirst()),
            allowedDomains: [authDomain]
        )
        c.muc = [conference, brewery]
        // docker's muc_mapper_domain_base = XMPP_DOMAIN with the prefix of XMPP_MUC_DOMAIN (mod_muc_domain_mapper).
        let tenants = ServerConfiguration.Tenants(base: domain, muc: mucDomain)
        c.tenants = tenants.mapper == nil ? nil : tenants
        if c.tenants == nil {
            notes.append("XMPP_MUC_DOMAIN \(mucDomain) is not one label before \(domain): /<tenant>/ URLs are off")
        }
        if let focusJID { c.focusProxy = .init(domain: "focus.\(domain)", target: focusJID) }
        // docker's ENABLE_END_CONFERENCE (on unless 0/false): endconference.<XMPP_DOMAIN> on the conference MUC.
        let endConferenceOff = ["0", "false", "no", "off"].contains(value("ENABLE_END_CONFERENCE")?.lowercased() ?? "")
        c.endConference = endConferenceOff ? nil : .init(domain: "endconference.\(domain)", muc: mucDomain)
        // docker's ENABLE_AV_MODERATION (on unless 0/false): avmoderation.<XMPP_DOMAIN> on the conference MUC.
        let avModerationOff = ["0", "false", "no", "off"].contains(value("ENABLE_AV_MODERATION")?.lowercased() ?? "")
        c.avModeration = avModerationOff ? nil : .init(domain: "avmoderation.\(domain)", muc: mucDomain)
        c.speakerStats = .init(domain: "speakerstats.\(domain)", muc: mucDomain)
        // docker's DISABLE_POLLS (off unless 1/true): polls.<XMPP_DOMAIN> on the conference MUC.
        c.polls = flag("DISABLE_POLLS") ? nil : .init(domain: "polls.\(domain)", muc: mucDomain)
        c.roomMetadata = .init(domain: "metadata.\(domain)", muc: mucDomain)
        c.conferenceDuration = .init(domain: "conferenceduration.\(domain)", muc: mucDomain)
        // docker's ENABLE_LOBBY (on unless 0/false): lobby.<XMPP_DOMAIN>; the recorder's domain skips it
        // (muc_lobby_whitelist).
        let lobbyOff = ["0", "false", "no", "off"].contains(value("ENABLE_LOBBY")?.lowercased() ?? "")
        var lobbyWhitelist: [JID] = []
        for account in c.accounts where account.jid.domainpart != authDomain {
            if let domain = try? JID(localpart: nil, domainpart: account.jid.domainpart, resourcepart: nil),
                !lobbyWhitelist.contains(domain)
            {
                lobbyWhitelist.append(domain)
            }
        }
        c.lobby =
            lobbyOff
            ? nil : .init(component: .init(domain: "lobby.\(domain)", muc: mucDomain), whitelist: lobbyWhitelist)
        // docker's ENABLE_BREAKOUT_ROOMS (on unless 0/false): breakout.<XMPP_DOMAIN> for the conference MUC's rooms.
        let breakoutOff = ["0", "false", "no", "off"].contains(value("ENABLE_BREAKOUT_ROOMS")?.lowercased() ?? "")
        c.breakoutRooms = breakoutOff ? nil : .init(domain: "breakout.\(domain)", muc: mucDomain)
        let (externalServices, externalServiceNotes) = Self.externalServices(value: value)
        c.externalServices = externalServices
        notes += externalServiceNotes
        notes += Self.applyServerSettings(to: &c, value: value, flag: flag)
        notes += Self.applyRateLimits(to: &c, dockerMode: dockerMode, value: value, flag: flag)
        let (operations, operationsNotes) = Self.operations(value: value, flag: flag, internalMUC: internalMUC)
        c.operations = operations
        notes += operationsNotes
        if let level = value("LOG_LEVEL").flatMap({ Logger.Level(rawValue: $0.lowercased()) }) { c.logLevel = level }
        if let dir = value("PARLEY_DATA_DIRECTORY") { c.dataDirectory = dir }
        if let address = value("PARLEY_LISTEN_ADDRESS") {
            c.listen.address = address
        } else if dockerMode {
            // Inside docker-jitsi-meet the other containers reach the server over the compose network.
            c.listen.address = "0.0.0.0"
            notes.append(
                "docker-jitsi-meet variables found: listening on all interfaces (set PARLEY_LISTEN_ADDRESS to change)"
            )
        }
        return (c, notes)
    }
}
