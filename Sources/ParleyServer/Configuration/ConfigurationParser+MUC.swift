import ParleyCore
import Yams

/// The `muc` list and the `focus_proxy` section.
extension ConfigurationParser {
    static let mucKeys = [
        "domain", "restrict_room_creation", "room_locking", "focus_lock", "max_occupants", "history_length",
        "public_jids", "admins", "max_occupants_exempt", "allowed_domains", "password_exempt", "join_rate",
    ]
    static let focusProxyKeys = ["domain", "target"]

    func parseMUCs(_ node: Node, keyPath: String, hosts: [ServerConfiguration.Host]) -> [ServerConfiguration.MUC]? {
        guard let items = self.list(node, keyPath) else { return nil }
        var services: [ServerConfiguration.MUC] = []
        for (index, item) in items.enumerated() {
            let path = "\(keyPath)[\(index)]"
            guard let fields = self.fields(of: item, keyPath: path, allowed: Self.mucKeys) else { continue }
            guard let domainNode = fields["domain"], let domain = self.domain(domainNode, fields.path("domain")) else {
                if fields["domain"] == nil { self.error("a MUC service needs a domain", at: item, keyPath: path) }
                continue
            }
            if services.contains(where: { $0.domain == domain }) || hosts.contains(where: { $0.domain == domain }) {
                self.error(
                    "\(domain) is already used by another host or service",
                    at: domainNode,
                    keyPath: fields.path("domain")
                )
                continue
            }
            var muc = ServerConfiguration.MUC(domain: domain)
            self.assign(fields, "restrict_room_creation", to: &muc.restrictRoomCreation, self.bool)
            self.assign(fields, "room_locking", to: &muc.roomLocking, self.bool)
            self.assign(fields, "focus_lock", to: &muc.focusLock, self.bool)
            self.assign(fields, "max_occupants", to: &muc.maxOccupants) { node, keyPath -> Int?? in
                if self.isNull(node) { return .some(nil) }
                return self.integer(node, keyPath, in: 1...1_000_000).map { .some($0) }
            }
            self.assign(fields, "history_length", to: &muc.historyLength) { self.integer($0, $1, in: 0...100) }
            self.assign(fields, "join_rate", to: &muc.joinRate) { node, keyPath -> Int?? in
                if self.isNull(node) { return .some(nil) }
                return self.integer(node, keyPath, in: 1...100_000).map { .some($0) }
            }
            self.assign(fields, "public_jids", to: &muc.publicJIDs, self.bool)
            self.assign(fields, "admins", to: &muc.admins, self.jidList)
            self.assign(fields, "max_occupants_exempt", to: &muc.maxOccupantsExempt, self.accountOrDomainList)
            self.assign(fields, "password_exempt", to: &muc.passwordExempt, self.accountOrDomainList)
            self.assign(fields, "allowed_domains", to: &muc.allowedDomains) { node, keyPath -> [String]? in
                guard let items = self.list(node, keyPath) else { return nil }
                var domains: [String] = []
                for (index, item) in items.enumerated() {
                    guard let domain = self.domain(item, "\(keyPath)[\(index)]") else { return nil }
                    domains.append(domain)
                }
                return domains
            }
            services.append(muc)
        }
        return services
    }

    func parseFocusProxy(
        _ node: Node,
        keyPath: String,
        configuration: ServerConfiguration
    ) -> ServerConfiguration.FocusProxy?? {
        if self.isNull(node) { return .some(nil) }
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.focusProxyKeys) else { return nil }
        var proxy = ServerConfiguration.jitsiFocusProxy
        self.assign(fields, "domain", to: &proxy.domain, self.domain)
        self.assign(fields, "target", to: &proxy.target, self.bareJID)
        if configuration.hosts.contains(where: { $0.domain == proxy.domain })
            || configuration.muc.contains(where: { $0.domain == proxy.domain })
        {
            self.error(
                "\(proxy.domain) is already used by a host or MUC service",
                at: fields["domain"] ?? node,
                keyPath: fields.path("domain")
            )
        }
        if let problem = Self.hostProblem(for: proxy.target, in: configuration.hosts) {
            self.error("focus_proxy.target: \(problem)", at: fields["target"] ?? node, keyPath: fields.path("target"))
        }
        return .some(proxy)
    }

    /// A list of bare JIDs (`recorder@recorder.meet.jitsi`) or domains (`recorder.meet.jitsi`), as Jitsi's
    /// `muc_access_whitelist` takes them.
    func accountOrDomainList(_ node: Node, _ keyPath: String) -> [JID]? {
        guard let items = self.list(node, keyPath) else { return nil }
        var entries: [JID] = []
        for (index, item) in items.enumerated() {
            let path = "\(keyPath)[\(index)]"
            guard let text = self.string(item, path) else { continue }
            guard let jid = try? JID(text), jid.resourcepart == nil else {
                self.error("'\(text)' is neither a bare JID (user@domain) nor a domain", at: item, keyPath: path)
                continue
            }
            entries.append(jid)
        }
        return entries
    }
}
