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
        /// The default occupant limit of a room; nil for none. Admins are exempt.
        public var maxOccupants: Int?
        /// Groupchat history kept in memory for late joiners; 0 (the default) keeps none.
        public var historyLength: Int
        /// `muc#roomconfig_whois=anyone` by default (Jitsi's clients need real JIDs).
        public var publicJIDs: Bool
        /// Owners of every room of this service, besides the global `admins`.
        public var admins: [JID]

        public init(
            domain: String, restrictRoomCreation: Bool = true, roomLocking: Bool = false, focusLock: Bool = false,
            maxOccupants: Int? = nil, historyLength: Int = 0, publicJIDs: Bool = true, admins: [JID] = []
        ) {
            self.domain = domain
            self.restrictRoomCreation = restrictRoomCreation
            self.roomLocking = roomLocking
            self.focusLock = focusLock
            self.maxOccupants = maxOccupants
            self.historyLength = historyLength
            self.publicJIDs = publicJIDs
            self.admins = admins
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

    /// `muc.meet.jitsi` (conference rooms, focus lock) and `internal-muc.meet.jitsi` (the bridge brewery,
    /// where jvb is an owner too).
    public static let jitsiMUCs: [MUC] = [
        MUC(domain: "muc.meet.jitsi", focusLock: true),
        MUC(domain: "internal-muc.meet.jitsi", admins: [JID(literal: "jvb@auth.meet.jitsi")]),
    ]

    public static let jitsiFocusProxy = FocusProxy(domain: "focus.meet.jitsi", target: JID(literal: "focus@auth.meet.jitsi"))
}
