import ParleyCore

/// Jitsi's breakout rooms of one main room (`mod_muc_breakout_rooms`): the rooms moderators listed, with their
/// names, and those that exist now (someone is in them).
///
/// Parley keeps a main room's breakout rooms inside its `RoomState`, as it keeps the lobby: the breakout domain's
/// stanzas are handed to the main room (`RoomState.breakoutStanza`), so one event loop owns the main room and all
/// its breakout rooms. Affiliations come from the main room at once, the room list with everyone's participants is
/// made without asking other loops, and no breakout room outlives its main room.
public struct BreakoutRooms: Sendable {
    /// A breakout room a moderator added: its node on the breakout domain and its name (the subject).
    public struct Listed: Sendable, Equatable {
        public let name: BreakoutRoomName
        public internal(set) var subject: String?
    }

    /// The listed rooms, in the order they were added.
    public internal(set) var listed: [Listed] = []
    /// Jitsi's `breakout_rooms_counter`: rooms ever added (lib-jitsi-meet numbers new rooms from it).
    public internal(set) var counter = 0
    /// Jitsi's `breakout_rooms_active`: set by the first room added; from then on the main room stays while any of
    /// its rooms is in use, and occupants get the room list when someone comes or goes.
    public internal(set) var active = false
    /// The breakout rooms that exist, by node.
    var rooms: [String: RoomState] = [:]
    /// The room list is to be sent (Jitsi sends at most one every 0.3 s: `RoomTimer.breakoutRoomsUpdate`).
    var updateDue = false
    /// Everyone has left every room: the main room closes after `RoomTimer.breakoutRoomsClose` unless someone joins.
    var closeDue = false

    /// Nicks of participants moving between the main room and its breakout rooms (they left one with
    /// `<status>switch_room</status>`), with their bare JID and since when: nobody else may take such a nick
    /// meanwhile (Jitsi's `switching_room_cache`).
    var switching: [String: (bareJID: JID, sinceMillis: Int64)] = [:]

    /// The most breakout rooms a main room may list (Jitsi sets no bound).
    public static let maxRooms = 100
    /// The most participants remembered as moving at once (Jitsi's cache holds 1,000).
    static let maxSwitching = 1000
    /// How long a moving participant's nick stays reserved, in milliseconds. Jitsi's module keeps it until the
    /// participant joins or its session ends; Parley's rooms do not see sessions end, so the reservation lapses.
    static let switchingMillis: Int64 = 60_000

    /// Who is moving with `nick` now, if anyone.
    func switchingHolder(_ nick: String, at nowMillis: Int64) -> JID? {
        guard let entry = self.switching[nick], nowMillis - entry.sinceMillis < Self.switchingMillis else { return nil }
        return entry.bareJID
    }

    /// Remembers that `bareJID` is moving with `nick`, forgetting the oldest when there are too many.
    mutating func noteSwitching(_ nick: String, _ bareJID: JID, at nowMillis: Int64) {
        if self.switching[nick] == nil, self.switching.count >= Self.maxSwitching,
            let oldest = self.switching.min(by: { $0.value.sinceMillis < $1.value.sinceMillis })?.key
        {
            self.switching[oldest] = nil
        }
        self.switching[nick] = (bareJID, nowMillis)
    }

    public init() {}

    /// Whether the main room stays when it empties (Jitsi makes it persistent once it has breakout rooms).
    var keepsMainRoom: Bool { self.active }

    /// The breakout rooms that exist now, by node (for tests and administration).
    public var liveRooms: [String: RoomState] { self.rooms }

    func index(of node: String) -> Int? { self.listed.firstIndex { $0.name.node == node } }

    /// What a breakout room takes from its main room: set by the main room before each stanza it hands over.
    public struct MainRoomView: Sendable {
        /// The main room's JID.
        public let jid: JID
        /// The main room's JID as clients know it (`muc#roominfo_breakout_main_room`): a tenant's room in its virtual
        /// form.
        public let clientJID: JID
        /// The main room's lobby while the main room is members-only (`muc#roominfo_lobbyroom`).
        var lobbyJID: JID?
        /// Who holds a joiner's nick in the main room or another breakout room (`BreakoutRoomsNickPolicy`).
        var nickHolder: (nick: String, bareJID: JID)?
        /// A non-focus occupant joined or left this breakout room since the main room last looked.
        var joined = false
        var left = false
        /// An occupant left this breakout room with `<status>switch_room</status>` (its nick and bare JID).
        var switching: (nick: String, bareJID: JID)?
    }
}

/// Names Jitsi's breakout rooms use on the wire (`mod_muc_breakout_rooms`, lib-jitsi-meet `BreakoutRooms`).
enum BreakoutRoomsWire {
    static let identityType = "breakout_rooms"
    static let renameFeature = "http://jitsi.org/protocol/breakout_rooms#rename"
    static let add = "features/breakout-rooms/add"
    static let remove = "features/breakout-rooms/remove"
    static let rename = "features/breakout-rooms/rename"
    static let moveToRoom = "features/breakout-rooms/move-to-room"
    static let update = "features/breakout-rooms/update"
    static let removedReason = "Breakout room removed."
    static let invalidReason = "Breakout room is invalid."
    static let allLeftReason = "All occupants left."
}
