import ParleyMUC

/// The server the room-name tests imagine: docker-jitsi-meet's domains and a handful of accounts.
enum RoomNamePolicyFixtures {
    static let localDomains = [
        "meet.jitsi", "auth.meet.jitsi", "guest.meet.jitsi", "hidden.meet.jitsi", "muc.meet.jitsi",
        "internal-muc.meet.jitsi", "lobby.meet.jitsi", "breakout.meet.jitsi", "focus.meet.jitsi",
    ]

    static let mucDomains = ["muc.meet.jitsi", "internal-muc.meet.jitsi", "lobby.meet.jitsi", "breakout.meet.jitsi"]

    /// Usernames of the imagined account store (normalised, as `isAccountName` receives them).
    static let accounts: Set<String> = [
        "focus", "jvb", "jibri", "jigasi", "recorder", "transcriber", "alice", "bob", "carol", "dave", "erin",
        "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil",
        "trent", "victor", "walter", "maria.rossi", "hans-mueller", "j_doe", "admin", "moderator", "kim", "lee",
        "wang", "sato", "müller", "anna", "oliver", "emma", "noah", "liam", "sophia", "lucas", "mia", "leon",
    ]

    static func policy(
        _ configuration: RoomNamePolicy.Configuration = .init(),
        mucDomains: [String]? = Self.mucDomains
    ) -> RoomNamePolicy {
        let accounts = Self.accounts
        return RoomNamePolicy(
            configuration: configuration,
            localDomains: Self.localDomains,
            mucDomains: mucDomains,
            isAccountName: { accounts.contains($0) }
        )
    }
}
