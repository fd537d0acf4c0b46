import ParleyCore
import ParleyXML

/// One room's state and logic (XEP-0045), as a pure value: a stanza in, the deliveries out, in the order
/// the XEP prescribes. No I/O and no clock of its own, so every ordering rule can be tested directly.
///
/// Deliveries are stanzas addressed to real JIDs (`to`), sent from the room or an occupant JID (`from`).
public struct RoomState: Sendable {
    public let jid: JID
    public let meetingID: String
    public let createdMillis: Int64
    public var configuration: RoomConfiguration
    public internal(set) var occupants: [String: Occupant] = [:]
    /// Nicks in join order: broadcasts follow it, so every recipient sees the same order.
    var order: [String] = []
    var nickByRealJID: [JID: String] = [:]
    public internal(set) var affiliations: [JID: Affiliation] = [:]
    /// True until the first successful join (that self-presence carries status 201).
    public internal(set) var isNew = true
    public internal(set) var locked: Bool
    public internal(set) var destroyed = false
    /// Jitsi's `jicofo_lock`: set once the focus occupant has joined.
    public internal(set) var focusJoined = false
    var queuedJoins: [Stanza] = []
    var history: [(stanza: Stanza, stampMillis: Int64)] = []
    var subject: (text: String, by: String)? = nil {
        didSet { self.subjectTemplate = nil }
    }
    /// The subject message every joiner gets (§7.2.15), serialized once for the current subject
    /// (`joinerSubjectMessage(to:)`).
    var subjectTemplate: Stanza?
    let service: MUCServiceConfiguration
    let iqSecret: [UInt8]
    /// Why non-admins may not use this room's name, when the room-name policy refuses it.
    let nameRefusal: StanzaError?
    /// What a join must pass, in order (`JoinPolicies.standard`).
    let joinPolicies: JoinPolicies
    /// Jitsi's audio/video moderation of this room (`RoomState+AVModeration`).
    public internal(set) var avModerationState = AVModeration()
    /// Jitsi's speaker statistics of this room (`RoomState+SpeakerStats`).
    public internal(set) var speakerStatsState = SpeakerStats()
    /// Jitsi's polls of this room (`RoomState+Polls`).
    public internal(set) var pollsState = Polls()
    /// When the conference started: the first time the room had more than one occupant (`RoomState+ConferenceDuration`).
    public internal(set) var conferenceStartedMillis: Int64?
    /// The conference-duration message for this conference's start, serialized once for every later joiner.
    var conferenceDurationTemplate: (started: Int64, message: Stanza)?
    /// Jitsi's room metadata (`RoomState+RoomMetadata`).
    public internal(set) var roomMetadataState = RoomMetadata()
    /// Jitsi's lobby of this room while it has one (`RoomState+LobbyRooms`).
    var lobbyRoom: LobbyRoom?
    /// Jitsi's breakout rooms of this main room (`RoomState+BreakoutRooms`).
    public internal(set) var breakoutRoomsState = BreakoutRooms()
    /// For a breakout room: its main room and what it takes from it (`RoomState+BreakoutRooms`); nil otherwise.
    public internal(set) var breakoutOf: BreakoutRooms.MainRoomView?
    /// Why the room was destroyed (the `<reason>` of §10.9), for the features that follow its end.
    var destroyReason: String?
    /// The time of the stanza being handled, in milliseconds since 1970: the room has no clock of its own.
    var clockMillis: Int64 = 0

    public init(
        jid: JID,
        service: MUCServiceConfiguration,
        meetingID: String,
        createdMillis: Int64,
        iqSecret: [UInt8],
        nameRefusal: StanzaError? = nil,
        joinPolicies: JoinPolicies = .standard
    ) {
        self.jid = jid.bare
        self.service = service
        self.meetingID = meetingID
        self.createdMillis = createdMillis
        self.iqSecret = iqSecret
        self.nameRefusal = nameRefusal
        self.joinPolicies = joinPolicies
        self.configuration = service.defaultRoom
        self.configuration.historyLength = min(self.configuration.historyLength, service.maxHistoryLength)
        self.locked = service.roomLocking
    }

    /// Handles one stanza addressed to the room or to one of its occupants. `now` stamps history.
    public mutating func handle(_ stanza: Stanza, nowMillis: Int64 = 0) -> [Stanza] {
        guard !self.destroyed, stanza.from != nil else { return [] }
        self.clockMillis = nowMillis
        switch stanza.kind {
        case .presence: return self.handlePresence(stanza)
        case .message: return self.handleMessage(stanza, nowMillis: nowMillis)
        case .iq: return self.handleIQ(stanza)
        }
    }

    /// Joins still held by the focus lock.
    public var queuedJoinCount: Int { self.queuedJoins.count }

    public var isEmpty: Bool { self.occupants.isEmpty }

    /// The occupant limit in force: the room's `muc#roomconfig_maxusers` under the service's hard cap
    /// (`MaxOccupantsPolicy`).
    public var effectiveMaxOccupants: Int {
        min(
            self.configuration.maxOccupants ?? Int.max,
            self.service.maxOccupants ?? Int.max,
            self.service.hardMaxOccupants
        )
    }

    // MARK: - Helpers shared by the handlers

    /// The affiliation of a real bare JID: configured admins own every room.
    func affiliation(of jid: JID) -> Affiliation {
        let bare = jid.bare
        return self.affiliation(ofBare: bare, isAdmin: self.service.isAdmin(bare))
    }

    /// `affiliation(of:)` for a bare JID whose admin status the caller already knows.
    func affiliation(ofBare bare: JID, isAdmin: Bool) -> Affiliation {
        isAdmin ? .owner : self.affiliations[bare] ?? .none
    }

    func occupantJID(_ nick: String) -> JID {
        self.occupants[nick]?.jid ?? (try? self.jid.with(resource: nick)) ?? self.jid
    }

    func occupant(of real: JID) -> Occupant? {
        self.nickByRealJID[real].flatMap { self.occupants[$0] }
    }

    /// Every session of every occupant, in join order.
    var allSessions: [JID] { self.order.compactMap { self.occupants[$0] }.flatMap(\.sessions) }

    /// A stanza error reply to `stanza`, sent from where it was addressed.
    func errorReply(_ stanza: Stanza, _ error: StanzaError) -> [Stanza] {
        guard !stanza.isError else { return [] }
        return [stanza.errorReply(error)]
    }
}
