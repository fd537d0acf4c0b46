/// What `parley import prosody` knows about Prosody's and Jitsi's modules and options beyond the ones it maps:
/// why each is left out. Anything in neither the mapping nor this catalogue is reported as not supported.
enum ProsodyCatalog {
    /// Modules whose work Parley does itself (no setting needed), with what stands for them.
    static let builtInModules: [String: String] = [
        "roster": "the focus proxy needs no roster", "saslauth": "SASL is built in", "tls": "STARTTLS is built in",
        "disco": "service discovery is built in", "ping": "XEP-0199 is built in", "bosh": "BOSH is listen.http_port",
        "websocket": "WebSocket is listen.http_port", "smacks": "XEP-0198 is built in (c2s.sm_hibernation)",
        "limits_exception": "c2s.unlimited_jids", "external_services": "external_services",
        "turncredentials": "external_services", "speakerstats": "speaker_stats",
        "conference_duration": "conference_duration", "end_conference": "end_conference",
        "av_moderation": "av_moderation", "muc_lobby_rooms": "lobby", "room_metadata": "room_metadata",
        "polls": "polls", "muc_hide_all": "Parley hides rooms from non-occupants",
        "muc_meeting_id": "meeting ids and the focus lock are built in (muc[].focus_lock)",
        "muc_domain_mapper": "tenants", "token_verification": "hosts[].token",
        "token_affiliation": "built in with token hosts", "presence_identity": "built in with token hosts",
        "muc_max_occupants": "muc[].max_occupants", "muc_password_whitelist": "muc[].password_exempt",
        "muc_filter_access": "muc[].allowed_domains", "version": "c2s.advertise_version",
        "jitsi_session": "built in (the room parameter of BOSH and WebSocket URLs)",
        "muc_password_check": "built in", "http": "listen.http_port", "muc": "the muc list",
        "auth_token": "hosts[].token", "auth_jitsi-anonymous": "authentication: anonymous",
        "muc_resource_validate": "built in", "http_openmetrics": "operations.metrics (/metrics)",
        "measure_stanza_counts": "operations.metrics", "muc_census": "operations.occupancy (/room-census)",
        "muc_size": "operations.occupancy (/room-size, /room)", "muc_breakout_rooms": "breakout_rooms",
        "muc_rate_limit": "muc[].join_rate", "turn_external": "external_services",
        "limits": "c2s.rate_limit", "rate_limit": "rate_limits",
    ]

    /// Modules and options that mean nothing to Parley, with the reason.
    static let ignored: [String: String] = [
        "gc": "Lua's garbage collector settings; Parley has no garbage collector",
        "pidfile": "Parley runs in the foreground (systemd, docker) and writes no pid file",
        "daemonize": "Parley runs in the foreground (systemd, docker)",
        "posix": "Parley runs in the foreground (systemd, docker)",
        "network_backend": "Prosody's event loop; Parley uses SwiftNIO's epoll on every core",
        "network_settings": "Prosody's socket settings; Parley's backlog is 1024",
        "use_libevent": "Prosody's event loop; Parley uses SwiftNIO",
        "unbound": "DNS resolver settings for s2s; Parley has no s2s",
        "plugin_paths": "where Prosody finds Lua plugins; Parley runs none",
        "data_path": "Prosody's data; the accounts in it are imported into data_directory",
        "certificates": "Prosody's certificate folder; the certificate found is tls.certificate",
        "storage": "Parley keeps rooms and sessions in memory only", "default_storage": "Parley keeps rooms in memory",
        "log": "Parley logs to standard error (the journal or docker logs); log_level is mapped",
        "statistics": "Parley's metrics are always collected (operations.metrics)",
        "statistics_interval": "Parley's metrics are read at each scrape",
        "admin_adhoc": "no XMPP administration commands; use parley user and parley check",
        "admin_telnet": "no telnet console; use parley user and parley check",
        "admin_shell": "no console; use parley user and parley check", "admin_socket": "no console",
        "component_admins_as_room_owners": "Parley's admins own every room already",
        "consider_bosh_secure": "mapped to http.behind_tls_proxy",
        "consider_websocket_secure": "mapped to http.behind_tls_proxy", "http_default_host": "one HTTP listener",
        "http_host": "one HTTP listener", "http_paths": "fixed paths /http-bind and /xmpp-websocket",
        "http_external_url": "not needed", "s2s_secure_auth": "no s2s", "s2s_secure_domains": "no s2s",
        "s2s_require_encryption": "no s2s", "s2s_insecure_domains": "no s2s", "s2s_ports": "no s2s",
        "s2s_interfaces": "no s2s", "modules_disabled": "Parley loads no modules",
        "smacks_max_unacked_stanzas": "Parley acknowledges by its own rule",
        "smacks_max_old_sessions": "Parley's own limit", "smacks_max_hibernated_sessions": "Parley's own limit",
        "smacks_max_ack_delay": "Parley's own timing", "smacks_enabled_s2s": "no s2s",
        "muc_tombstones": "destroyed rooms leave nothing behind in Parley",
        "muc_room_cache_size": "rooms live in memory until empty",
        "muc_room_allow_persistent": "Parley's rooms are never persistent",
        "muc_room_default_persistent": "Parley's rooms are never persistent",
        "muc_room_default_public": "Parley's rooms are hidden", "muc_room_default_members_only": "Jitsi sets it live",
        "muc_room_default_moderated": "Jitsi sets it live", "muc_room_default_language": "not needed",
        "muc_room_default_change_subject": "not needed", "name": "the disco name of a component",
        "allow_unencrypted_plain_auth": "Parley offers PLAIN only over TLS",
        "allow_registration": "in-band registration is off in Parley",
        "c2s_timeout": "Parley's c2s.negotiation_timeout", "limits_resolution": "Parley meters every read",
        "ssl": "TLS versions and ciphers: OpenSSL's defaults",
        "cross_domain_bosh": "mapped to http.cors_origins",
        "cross_domain_websocket": "mapped to http.cors_origins", "muc_mapper_domain_base": "read for tenants.base",
        "muc_mapper_domain_prefix": "tenants.muc is the main MUC", "uptime": "not needed", "time": "not needed",
        "register": "in-band registration is off in Parley", "offline": "no offline messages (privacy)",
        "s2s": "no s2s", "dialback": "no s2s", "s2s_bidi": "no s2s", "component_ports": "no external components",
        "component_interfaces": "no external components", "pep": "not used by Jitsi",
        "pubsub": "not used by Jitsi's signalling", "vcard": "not used by Jitsi", "vcard_legacy": "not used by Jitsi",
        "private": "not used by Jitsi", "blocklist": "not used by Jitsi", "carbons": "not used by Jitsi",
        "csi_simple": "not used by Jitsi", "announce": "not used by Jitsi", "welcome": "not used by Jitsi",
        "motd": "not used by Jitsi", "watchregistrations": "in-band registration is off",
        "server_contact_info": "not used by Jitsi", "lastactivity": "not used by Jitsi",
        "cloud_notify": "not used by Jitsi", "http_files": "not used by Jitsi",
        "groups": "not used by Jitsi", "legacyauth": "not used by Jitsi", "proxy65": "not used by Jitsi",
        "http_health": "Parley answers /health on listen.http_port",
        "bookmarks": "not used by Jitsi", "vcard4": "not used by Jitsi", "invites": "in-band registration is off",
        "invites_adhoc": "in-band registration is off", "invites_register": "in-band registration is off",
        "mimicking": "not used by Jitsi", "tombstones": "not used by Jitsi", "http_file_share": "not used by Jitsi",
        "account_activity": "not used by Jitsi", "user_account_management": "use parley user",
        "debug_sql": "no SQL storage", "sql": "no SQL storage", "sql_manage_tables": "no SQL storage",
        "archive_expires_after": "no message archive (privacy)",
        "c2s_close_timeout": "Parley's own timing", "anonymous_strict": "random resources are built in",
        "anonymous_auth_methods": "random resources are built in",
        "disallow_s2s": "no s2s", "s2sout_override": "no s2s", "s2s_whitelist": "no s2s",
        "wait_for_host_disable_auto_owners": "Parley makes no automatic owners",
    ]

    /// Modules Parley has no equivalent for, with what it means.
    static let unsupported: [String: String] = [

        "mam": "Parley keeps no message archive (privacy)", "muc_mam": "Parley keeps no message archive (privacy)",
        "jibri_session": "recording metadata is not in Parley yet",
        "visitors": "visitor nodes are not in Parley", "visitors_component": "visitor nodes are not in Parley",
        "fmuc": "visitor nodes are not in Parley", "s2s_whitelist": "no s2s",
        "filter_messages": "message filtering is not in Parley yet", "persistent_lobby": "not in Parley yet",
        "muc_wait_for_host": "not in Parley yet", "reservations": "conference reservations are not in Parley yet",
        "muc_kick_participant": "not in Parley yet", "system_chat_message": "not in Parley yet",
        "matrix_power_sync": "Matrix authentication is not in Parley",
        "matrix_affiliation": "Matrix authentication is not in Parley",
        "matrix_lobby_bypass": "Matrix authentication is not in Parley",
        "auth_cyrus": "LDAP (cyrus) authentication is not in Parley", "firewall": "mod_firewall is not in Parley",
        "recorder_prefixes": "not in Parley yet", "transcriber_prefixes": "not in Parley yet",
        "http_cors_override": "read for http.cors_origins where it is a simple list",
    ]

    /// The Jitsi component modules Parley has, with its YAML section.
    static let jitsiComponents: [(module: String, section: String)] = [
        ("speakerstats_component", "speaker_stats"), ("conference_duration_component", "conference_duration"),
        ("end_conference", "end_conference"), ("av_moderation_component", "av_moderation"),
        ("room_metadata_component", "room_metadata"), ("polls_component", "polls"),
    ]

    /// Why a module or option is left out, and whether it is merely ignored or not supported.
    static func verdict(for name: String) -> (MigrationNote.Kind, String) {
        if let reason = self.ignored[name] { return (.ignored, reason) }
        if let reason = self.unsupported[name] { return (.unsupported, reason) }
        if name.hasPrefix("s2s") { return (.ignored, "no s2s") }
        if name.hasPrefix("rate_limit_") { return (.unsupported, "not one of Parley's rate_limits keys") }
        if name.hasPrefix("uvs_") || name.hasPrefix("matrix_") {
            return (.unsupported, "Matrix authentication is not in Parley")
        }
        if name.hasPrefix("cyrus_") || name.hasPrefix("ldap_") { return (.unsupported, "LDAP is not in Parley") }
        return (.unsupported, "Parley does not know it (a custom plugin?)")
    }
}
