extension JitsiEnvironment {
    /// docker-jitsi-meet's STUN/TURN variables, read as its Prosody template (`prosody/rootfs/defaults/
    /// prosody.cfg.lua`) renders them into `external_services` and `external_service_secret`:
    ///
    /// - nothing is served unless `TURN_HOST` or `TURNS_HOST` is set (the template enables
    ///   `mod_external_services` only then; `STUN_HOST` alone is not served);
    /// - `STUN_HOST`: one `stun` service on `STUN_PORT` (443), UDP;
    /// - `TURN_HOST` (a comma-separated list) × `TURN_TRANSPORT` (a list, `tcp`): `turn` on `TURN_PORT` (443);
    /// - `TURNS_HOST` (a list): `turns` on `TURNS_PORT` (443), TCP;
    /// - `TURN_CREDENTIALS`, the shared secret: time-limited credentials valid `TURN_TTL` seconds (86400), with
    ///   `TURN_USERNAME` after the expiry when set; otherwise `TURN_USERNAME` / `TURN_PASSWORD` as fixed ones.
    ///
    /// The secret stays in the environment (`secretEnvironment`); notes never contain it.
    static func externalServices(value: (String) -> String?) -> (ServerConfiguration.ExternalServices, [String]) {
        var notes: [String] = []
        func list(_ name: String, default fallback: String? = nil) -> [String] {
            (value(name) ?? fallback ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        func port(_ name: String) -> Int {
            guard let text = value(name) else { return 443 }
            guard let port = Int(text), (1...65535).contains(port) else {
                notes.append("\(name)=\(text) is not a port; using 443")
                return 443
            }
            return port
        }
        let turnHosts = list("TURN_HOST")
        let turnsHosts = list("TURNS_HOST")
        guard !turnHosts.isEmpty || !turnsHosts.isEmpty else {
            if value("STUN_HOST") != nil {
                notes.append("STUN_HOST is served only with TURN_HOST or TURNS_HOST, as in docker-jitsi-meet")
            }
            return (ServerConfiguration.ExternalServices(), notes)
        }
        var section = ServerConfiguration.ExternalServices()
        if let text = value("TURN_TTL") {
            if let ttl = Int(text), (1...ConfigurationParser.maximumExternalServiceTTL).contains(ttl) {
                section.ttl = ttl
            } else {
                notes.append("TURN_TTL=\(text) is not a number of seconds; using \(section.ttl)")
            }
        }
        let credentials: ExternalService.Credentials
        if value("TURN_CREDENTIALS") != nil {
            section.secretEnvironment = "TURN_CREDENTIALS"
            credentials = .timeLimited(user: value("TURN_USERNAME"))
        } else if let username = value("TURN_USERNAME"), let password = value("TURN_PASSWORD") {
            credentials = .fixed(username: username, password: password)
        } else {
            credentials = .none
            notes.append(
                "TURN_HOST/TURNS_HOST without TURN_CREDENTIALS (or TURN_USERNAME and TURN_PASSWORD): no TURN credentials"
            )
        }
        if let host = value("STUN_HOST") {
            section.services.append(ExternalService(kind: .stun, host: host, port: port("STUN_PORT"), transport: .udp))
        }
        var transports: [ExternalService.Transport] = []
        for name in list("TURN_TRANSPORT", default: "tcp") {
            if let transport = ExternalService.Transport(rawValue: name.lowercased()) {
                transports.append(transport)
            } else {
                notes.append("TURN_TRANSPORT \(name) is neither udp nor tcp; left out")
            }
        }
        let turnPort = port("TURN_PORT")
        for host in turnHosts {
            for transport in transports {
                section.services.append(
                    ExternalService(
                        kind: .turn,
                        host: host,
                        port: turnPort,
                        transport: transport,
                        credentials: credentials
                    )
                )
            }
        }
        let turnsPort = port("TURNS_PORT")
        for host in turnsHosts {
            section.services.append(
                ExternalService(kind: .turns, host: host, port: turnsPort, transport: .tcp, credentials: credentials)
            )
        }
        return (section, notes)
    }
}
