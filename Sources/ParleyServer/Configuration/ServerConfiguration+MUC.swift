import ParleyCore

extension ServerConfiguration {
    /// One MUC service (XEP-0045) in the file's `muc` list.
    public struct MUC: Sendable, Equatable {
        public var domain: String
        /// Only admins create rooms (Jitsi preset: on); others get "Room creation is restricted".
        public var restrictRoomCreation: Bool
        /// XEP-0045 §10.1 room locking (Jitsi preset: off).
        public var roomLocking: Bool
        /// Jitsi's `jicofo_lock`: joins wait for the `focus` occupant (conference rooms).
        public var focusLock: Bool
        /// Jitsi's `muc_max_occupants`: the most occupants of any room, a cap no room owner can raise; nil for
        /// none. Admins and `maxOccupantsExempt` are neither counted nor refused.
        public var maxOccupants: Int?
        /// Jitsi's `muc_access_whitelist`: bare JIDs, or domains, exempt from `maxOccupants` besides the admins.
        public var maxOccupantsExempt: [JID]
        /// Jitsi's `muc_password_whitelist`: bare JIDs, or domains, that enter locked rooms without the password.
        public var passwordExempt: [JID] = []
        /// Jitsi's `muc_filter_whitelist` (`mod_muc_filter_access`): only accounts of these domains may join;
        /// empty admits every domain.
        public var allowedDomains: [String]
        /// Groupchat history kept in memory for late joiners; 0 (the default) keeps none.
        public var historyLength: Int
        /// `muc#roomconfig_whois=anyone` by default (Jitsi's clients need real JIDs).
        public var publicJIDs: Bool
        /// Owners of every room of this service, besides the global `admins`.
        public var admins: [JID]
        /// Jitsi's `mod_muc_rate_limit` (`muc_rate_joins`): new occupants per second per room, the others queued
        /// in order; nil (the preset) for no limit. docker's `PROSODY_ENABLE_RATE_LIMITS` sets 3.
        public var joinRate: Int? = nil

        public init(
            domain: String,
            restrictRoomCreation: Bool = true,
            roomLocking: Bool = false,
            focusLock: Bool = false,
            maxOccupants: Int? = nil,
            historyLength: Int = 0,
            publicJIDs: Bool = true,
            admins: [JID] = [],
            maxOccupantsExempt: [JID] = [],
            allowedDomains: [String] = []
        ) {
            self.domain = domain
            self.restrictRoomCreation = restrictRoomCreation
            self.roomLocking = roomLocking
            self.focusLock = focusLock
            self.maxOccupants = maxOccupants
            self.historyLength = historyLength
            self.publicJIDs = publicJIDs
            self.admins = admins
            self.maxOccupantsExempt = maxOccupantsExempt
            self.allowedDomains = allowedDomains
        }
    }

    /// Jitsi's `client_proxy` component: conference IQs to `domain` reach a live session of `target`.
    public struct FocusProxy: Sendable, Equatable {
        public var domain: String
        public var target: JID

        public init(domain: String, target: JID) {
            self.domain = domain
            self.target = target
        }
    }

    /// `muc.meet.jitsi` (conference rooms, focus lock) and `internal-muc.meet.jitsi` (the bridge, Jibri and
    /// Jigasi breweries, where jvb is an owner too, and only `auth.meet.jitsi` accounts may join, as
    /// docker-jitsi-meet's `muc_filter_whitelist` has it).
    public static let jitsiMUCs: [MUC] = [
        MUC(domain: "muc.meet.jitsi", focusLock: true),
        MUC(
            domain: "internal-muc.meet.jitsi",
            admins: [JID(literal: "jvb@auth.meet.jitsi")],
            allowedDomains: ["auth.meet.jitsi"]
        ),
    ]

    public static let jitsiFocusProxy = FocusProxy(
        domain: "focus.meet.jitsi",
        target: JID(literal: "focus@auth.meet.jitsi")
    )
}
