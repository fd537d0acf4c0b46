import ParleyCore

extension JitsiEnvironment {
    /// The prosody image's variables about the server itself rather than Jitsi's features (docker-jitsi-meet
    /// `prosody/rootfs/defaults/prosody.cfg.lua` and `conf.d/jitsi-meet.cfg.lua`):
    /// - `XMPP_PORT` → `listen.c2s_port` (`c2s_ports`), `PROSODY_HTTP_PORT` → `listen.http_port` (`http_ports`);
    /// - `PROSODY_C2S_REQUIRE_ENCRYPTION` → `c2s.require_encryption` (on unless `0`/`false`);
    /// - `PROSODY_ADMINS` → more `admins` (comma-separated bare JIDs), beside focus;
    /// - `ENABLE_SUBDOMAINS` → `tenants` (on unless `0`/`false`; docker's `muc_domain_mapper`).
    ///
    /// Returns notes for the log about values it could not use.
    static func applyServerSettings(
        to c: inout ServerConfiguration,
        value: (String) -> String?,
        flag: (String) -> Bool
    ) -> [String] {
        var notes: [String] = []
        func isOff(_ name: String) -> Bool { ["0", "false", "no", "off"].contains(value(name)?.lowercased() ?? "") }
        for (name, field) in [
            ("XMPP_PORT", \ServerConfiguration.listen.c2sPort), ("PROSODY_HTTP_PORT", \.listen.httpPort),
        ] {
            guard let text = value(name) else { continue }
            if let port = Int(text), (1...65535).contains(port) {
                c[keyPath: field] = port
            } else {
                notes.append("\(name)=\(text) is not a port; keeping \(c[keyPath: field])")
            }
        }
        if isOff("PROSODY_C2S_REQUIRE_ENCRYPTION") { c.c2s.requireEncryption = false }
        if let admins = value("PROSODY_ADMINS") {
            for entry in admins.split(separator: ",") {
                let text = entry.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { continue }
                guard let jid = try? JID(text), jid.localpart != nil, jid.resourcepart == nil else {
                    notes.append("PROSODY_ADMINS: '\(text)' is not a bare JID; left out")
                    continue
                }
                if !c.admins.contains(jid) { c.admins.append(jid) }
            }
        }
        if isOff("ENABLE_SUBDOMAINS") { c.tenants = nil }
        return notes
    }
}
