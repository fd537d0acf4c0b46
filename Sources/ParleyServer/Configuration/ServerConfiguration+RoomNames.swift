import ParleyMUC

extension ServerConfiguration {
    /// The domains the room-name policy treats as this server's: every host, and the domains of the declared
    /// accounts and admins. A name ending with one is an XMPP address (`focusauth.meet.jitsi`).
    ///
    /// MUC and component domains (`muc.meet.jitsi`, `focus.meet.jitsi`) are subdomains of the preset's hosts, so
    /// the policy's suffix rule covers them; a `muc` section should add its domains here.
    public var roomNameLocalDomains: [String] {
        var domains: [String] = []
        for domain in self.hosts.map(\.domain) + self.accounts.map(\.jid.domainpart) + self.admins.map(\.domainpart)
        where !domains.contains(domain) {
            domains.append(domain)
        }
        return domains
    }

    /// The usernames of the declared `accounts` (`focus`, `jvb`): account names even before the store has them.
    public var declaredAccountNames: Set<String> {
        Set(self.accounts.compactMap(\.jid.localpart))
    }

    /// The room-name policy of this configuration: `room_names` over `roomNameLocalDomains`.
    ///
    /// - Parameters:
    ///   - mucDomains: the MUC domains, for reading `room@domain` (see `RoomNamePolicy.init`); nil accepts any
    ///     local domain and its subdomains.
    ///   - isAccountName: whether a normalised name is an account's username; it should also cover
    ///     `declaredAccountNames`.
    public func roomNamePolicy(
        mucDomains: [String]? = nil,
        isAccountName: @escaping @Sendable (String) -> Bool
    ) -> RoomNamePolicy {
        RoomNamePolicy(
            configuration: self.roomNames,
            localDomains: self.roomNameLocalDomains,
            mucDomains: mucDomains,
            breakoutDomains: self.breakoutRooms.map { [$0.domain] } ?? [],
            isAccountName: isAccountName
        )
    }
}
