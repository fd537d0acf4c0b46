/// The size and content of the presences clients send.
public enum PresenceProfile: String, CaseIterable, Sendable {
    /// `<presence to='room@muc/nick'><x xmlns='http://jabber.org/protocol/muc'/></presence>` (about 110 bytes).
    case minimal
    /// A current Jitsi Meet browser's presence on a docker-jitsi-meet deployment, byte for byte the shared
    /// fixtures' `participant-join-presence.xml` (join) and `participant-presence-update.xml` (updates), without the
    /// whitespace between tags: about 0.7 KB on the wire (`JitsiPresence.browserJoin`).
    case jitsi
    /// What a browser sends on a busy public deployment: the fixture's extensions plus avatar, E2EE keys,
    /// raised-hand and other `jitsi_participant_*` properties (about 1.5 KB on the wire; `JitsiPresence.large`).
    case jitsiLarge = "jitsi-large"
}
