import ParleyCore

/// One MUC service (XEP-0045) on its own domain, e.g. `muc.meet.jitsi` or `internal-muc.meet.jitsi`.
public struct MUCServiceConfiguration: Sendable, Hashable {
    public var domain: String
    /// Only admins create rooms; others get `cancel/not-allowed` "Room creation is restricted" (Jitsi preset: on).
    public var restrictRoomCreation = true
    /// XEP-0045 §10.1: a new room stays locked until its owner configures it (Jitsi preset: off).
    public var roomLocking = false
    /// Jitsi's `jicofo_lock`: joins wait until the occupant with `focusNick` is in (conference rooms only).
    public var focusLock = false
    public var focusNick = "focus"
    /// The most joins held while waiting for focus, per room (Jitsi: 500).
    public var maxQueuedJoins = 500
    /// Jitsi's `mod_muc_rate_limit` (`muc_rate_joins`): new occupants per second per room, the rest queued
    /// (`JoinRateQueue`); nil for no limit.
    public var joinRate: Int?
    /// Bare JIDs that are owners of every room (Prosody's `component_admins_as_room_owners`).
    public var admins: Set<JID> = []
    /// Room defaults.
    public var defaultRoom = RoomConfiguration()
    /// The most history messages a room may be configured to keep.
    public var maxHistoryLength = 20
    /// The longest nick accepted, in bytes.
    public var maxNickBytes = 128
    /// The most occupants in one room when the room sets no limit (a safety bound, not a policy).
    public var hardMaxOccupants = 10_000
    /// Jitsi's `muc_max_occupants` (docker's `MAX_PARTICIPANTS`): a cap on every room of the service that no room
    /// owner can raise or lift through `muc#roomconfig_maxusers`; nil for none. See `MaxOccupantsPolicy`.
    public var maxOccupants: Int?
    /// Neither counted nor refused by the occupant limits, besides admins (Jitsi's `muc_access_whitelist`): bare
    /// JIDs, or domains given as a JID without a localpart (`recorder.meet.jitsi`).
    public var maxOccupantsExempt: Set<JID> = []
    /// Enter password-protected rooms without the password, besides admins (Jitsi's `muc_password_whitelist`: the
    /// recorder and transcriber must follow a moderator's lock): bare JIDs or domains.
    public var passwordExempt: Set<JID> = []
    /// Only accounts of these domains may join (Jitsi's `mod_muc_filter_access` with `muc_filter_whitelist`);
    /// empty admits every domain. See `DomainAccessPolicy`.
    public var allowedDomains: Set<String> = []
    /// Jitsi's audio/video moderation component (`avmoderation.meet.jitsi`), the sender of the notices this
    /// service's rooms make; nil when off.
    public var avModerationComponent: JID?
    /// Jitsi's speaker statistics component (`speakerstats.meet.jitsi`), the sender of the totals this service's
    /// rooms give joiners; nil when off (no statistics are kept).
    public var speakerStatsComponent: JID?
    /// Jitsi's polls component (`polls.meet.jitsi`), the sender of this service's rooms' poll messages; nil when off.
    public var pollsComponent: JID?
    /// Jitsi's room metadata component (`metadata.meet.jitsi`), the sender of this service's rooms' metadata; nil
    /// when off.
    public var roomMetadataComponent: JID?
    /// Jitsi's conference duration component (`conferenceduration.meet.jitsi`), the sender of the start time this
    /// service's rooms give joiners; nil when off.
    public var conferenceDurationComponent: JID?
    /// Jitsi's lobby MUC domain (`lobby.meet.jitsi`) for this service's rooms; nil when there is no lobby.
    public var lobbyDomain: String?
    /// Who skips the lobby besides admins and the focus (Jitsi's `muc_lobby_whitelist`): bare JIDs, or domains
    /// as a JID without a localpart.
    public var lobbyWhitelist: Set<JID> = []
    /// Jitsi's breakout rooms MUC domain (`breakout.meet.jitsi`, `mod_muc_breakout_rooms`) for this service's rooms,
    /// also the sender of their room lists; nil when there are no breakout rooms.
    public var breakoutRoomsDomain: String?
    /// Clients know a tenant's room `[acme]standup@muc.meet.jitsi` as `standup@muc.acme.meet.jitsi` (Jitsi's
    /// `mod_muc_domain_mapper` on this service): addresses the rooms write into payloads use that form.
    public var mapsTenantAddresses = false
    /// Room disco and listing only for occupants (Jitsi's `muc_hide_all`).
    public var hideRooms = true

    public init(domain: String) {
        self.domain = domain
    }

    public func isAdmin(_ jid: JID) -> Bool { self.admins.contains(jid.bare) }

    /// Whether `jid`'s account or domain is on `lobbyWhitelist`.
    public func isLobbyWhitelisted(_ jid: JID) -> Bool { Self.lists(jid, in: self.lobbyWhitelist) }

    /// Admins, and the accounts and domains of `maxOccupantsExempt`.
    public func isExemptFromMaxOccupants(_ jid: JID) -> Bool {
        self.isAdmin(jid) || Self.lists(jid, in: self.maxOccupantsExempt)
    }

    /// Admins, and the accounts and domains of `passwordExempt`.
    public func isExemptFromPassword(_ jid: JID) -> Bool {
        self.isAdmin(jid) || Self.lists(jid, in: self.passwordExempt)
    }

    /// Whether `list` names `jid`'s bare JID or its domain (a JID without a localpart).
    static func lists(_ jid: JID, in list: Set<JID>) -> Bool {
        guard !list.isEmpty else { return false }
        if list.contains(jid.bare) { return true }
        return (try? JID(localpart: nil, domainpart: jid.domainpart, resourcepart: nil)).map { list.contains($0) }
            ?? false
    }
}
