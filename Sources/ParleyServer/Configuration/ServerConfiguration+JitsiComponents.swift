import ParleyCore

extension ServerConfiguration {
    /// One of Jitsi's components that act on the rooms of the conference MUC (Prosody's `muc_component` option):
    /// `end_conference` (`mod_end_conference`), `av_moderation` (`mod_av_moderation_component`), `speaker_stats`
    /// (`mod_speakerstats_component`), `polls` (`mod_polls_component`). Each is announced
    /// on the hosts' disco#info, which is how lib-jitsi-meet finds it.
    public struct JitsiComponent: Sendable, Equatable {
        public var domain: String
        /// The MUC service whose rooms it acts on.
        public var muc: String

        public init(domain: String, muc: String) {
            self.domain = domain
            self.muc = muc
        }
    }

    /// docker-jitsi-meet turns it on unless `ENABLE_END_CONFERENCE=0`.
    public static let jitsiEndConference = JitsiComponent(domain: "endconference.meet.jitsi", muc: "muc.meet.jitsi")
    /// docker-jitsi-meet turns it on unless `ENABLE_AV_MODERATION=0`.
    public static let jitsiAVModeration = JitsiComponent(domain: "avmoderation.meet.jitsi", muc: "muc.meet.jitsi")
    /// docker-jitsi-meet always has it (`speakerstats_component`).
    public static let jitsiSpeakerStats = JitsiComponent(domain: "speakerstats.meet.jitsi", muc: "muc.meet.jitsi")
    /// Jitsi's lobby (`mod_muc_lobby_rooms`): the lobby MUC domain, the main MUC whose rooms get lobbies, and who
    /// skips the lobby besides admins and the focus (`muc_lobby_whitelist`: bare JIDs or domains).
    public struct Lobby: Sendable, Equatable {
        public var component: JitsiComponent
        public var whitelist: [JID]

        public init(component: JitsiComponent, whitelist: [JID] = []) {
            self.component = component
            self.whitelist = whitelist
        }
    }

    /// docker-jitsi-meet turns it on unless `ENABLE_LOBBY=0`.
    public static let jitsiLobby = Lobby(component: JitsiComponent(domain: "lobby.meet.jitsi", muc: "muc.meet.jitsi"))
    /// docker-jitsi-meet always has it (`conference_duration_component`).
    public static let jitsiConferenceDuration = JitsiComponent(
        domain: "conferenceduration.meet.jitsi",
        muc: "muc.meet.jitsi"
    )
    /// docker-jitsi-meet always has it (`room_metadata_component`).
    public static let jitsiRoomMetadata = JitsiComponent(domain: "metadata.meet.jitsi", muc: "muc.meet.jitsi")
    /// Jitsi's breakout rooms (`mod_muc_breakout_rooms`): the breakout MUC domain and the main MUC whose rooms have
    /// them. docker-jitsi-meet turns it on unless `ENABLE_BREAKOUT_ROOMS=0`.
    public static let jitsiBreakoutRooms = JitsiComponent(domain: "breakout.meet.jitsi", muc: "muc.meet.jitsi")
    /// docker-jitsi-meet turns it on unless `DISABLE_POLLS=1`.
    public static let jitsiPolls = JitsiComponent(domain: "polls.meet.jitsi", muc: "muc.meet.jitsi")
}
