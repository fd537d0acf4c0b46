import ParleyCore
import ParleyXML

/// A room's speaker statistics (Jitsi's `mod_speakerstats_component`), in memory with the room: for every
/// participant who was in it, by occupant JID, how long it was the dominant speaker, its display name once it has
/// left, and the face landmarks its client reported. Participants who left stay in, so a late joiner's totals
/// include them; everything is dropped with the room and nothing is written anywhere.
public struct SpeakerStats: Sendable, Equatable {
    /// One participant's totals.
    public struct Entry: Sendable, Equatable {
        public let nick: String
        /// Milliseconds as the dominant speaker, not counting the current stretch.
        public internal(set) var totalMillis: Int64 = 0
        /// When the current speaking stretch began; nil while not counting (not dominant, or silent).
        var speakingSince: Int64?
        public internal(set) var isDominant = false
        public internal(set) var isSilent = false
        /// The `<nick xmlns='http://jabber.org/protocol/nick'>` of its last presence, set when it leaves.
        public internal(set) var displayName: String?
        public internal(set) var faceLandmarks: [FaceLandmark] = []

        init(nick: String) {
            self.nick = nick
        }

        /// The total including the current stretch, as of `now`.
        public func total(at now: Int64) -> Int64 {
            guard let since = self.speakingSince, now > since else { return self.totalMillis }
            let (sum, overflow) = self.totalMillis.addingReportingOverflow(now - since)
            return overflow ? Int64.max : sum
        }

        /// lib-jitsi-meet's dominant speaker events: counting starts when it becomes dominant and not silent and
        /// stops when it is no longer dominant or falls silent (the module's `setDominantSpeaker`).
        mutating func setDominant(_ dominant: Bool, silent: Bool, at now: Int64) {
            let counting = dominant && !silent
            if counting, self.speakingSince == nil {
                self.speakingSince = now
            } else if !counting, let since = self.speakingSince {
                self.totalMillis = self.total(at: max(now, since))
                self.speakingSince = nil
            }
            self.isDominant = dominant
            self.isSilent = silent
        }
    }

    /// One `<faceLandmarks/>` report.
    public struct FaceLandmark: Sendable, Equatable {
        public let faceExpression: String
        public let timestamp: Int64
        public let duration: Int64
    }

    /// The most face-landmark reports kept per participant; later ones are dropped (a client cannot grow the
    /// server's memory without bound).
    public static let maxFaceLandmarks = 2_000
    /// The most participants counted per room (those who left included); later joiners are not counted, so a room
    /// that lives long with many comings and goings keeps bounded memory and bounded join notices.
    public static let maxEntries = 2_000

    /// Entries by occupant JID (`room@service/nick`), the way the module keys them.
    public internal(set) var entries: [JID: Entry] = [:]
    /// The occupant JID of the current dominant speaker.
    public internal(set) var dominantSpeaker: JID?
    /// Whether anything could be reported to a joiner yet: someone spoke, left or reported face landmarks. Until
    /// then a join costs no walk over the entries.
    var hasReportable = false

    public init() {}
}

/// What a client sends the component: `<speakerstats xmlns='http://jitsi.org/jitmeet' room='…' silence='…'/>` when
/// it becomes the dominant speaker (lib-jitsi-meet's `sendDominantSpeakerEvent`), or `<faceLandmarks room='…'
/// faceExpression='…' timestamp='…' duration='…'/>` (`sendFaceLandmarksEvent`).
public enum SpeakerStatsCommand: Sendable, Equatable {
    case dominantSpeaker(room: JID, silence: Bool)
    case faceLandmark(room: JID, SpeakerStats.FaceLandmark)

    public static let namespace = "http://jitsi.org/jitmeet"

    /// The room the command is for.
    public var room: JID {
        switch self {
        case .dominantSpeaker(let room, _), .faceLandmark(let room, _): room
        }
    }

    /// Reads the command from a message's payload: the first `speakerstats` or `faceLandmarks` child in the
    /// namespace; nil when there is none. A missing or malformed room, or bad numbers, are `modify/bad-request`.
    public init?(message: XMLElement) throws(StanzaError) {
        guard
            let element = message.elements.first(where: {
                $0.namespace == Self.namespace && ($0.name == "speakerstats" || $0.name == "faceLandmarks")
            })
        else { return nil }
        guard let text = element[attribute: "room"], let room = try? JID(text), room.localpart != nil,
            room.resourcepart == nil
        else {
            throw StanzaError(.badRequest, text: "Expected the room's bare JID in room=")
        }
        if element.name == "speakerstats" {
            self = .dominantSpeaker(room: room, silence: element[attribute: "silence"] == "true")
            return
        }
        guard let expression = element[attribute: "faceExpression"], !expression.isEmpty, expression.utf8.count <= 32,
            let timestamp = Self.milliseconds(element[attribute: "timestamp"]),
            let duration = Self.milliseconds(element[attribute: "duration"])
        else {
            throw StanzaError(.badRequest, text: "faceLandmarks needs faceExpression, timestamp and duration")
        }
        self = .faceLandmark(
            room: room,
            SpeakerStats.FaceLandmark(faceExpression: expression, timestamp: timestamp, duration: duration)
        )
    }

    /// A non-negative number of milliseconds, whole or not, within range; nil otherwise (never a trap).
    static func milliseconds(_ text: String?) -> Int64? {
        guard let text, text.utf8.count <= 24, let value = Double(text), value.isFinite, value >= 0,
            value < 9.0e15
        else { return nil }
        return Int64(value.rounded())
    }
}
