/// The size and content of the presences clients send.
public enum PresenceProfile: String, CaseIterable, Sendable {
    /// `<presence to='room@muc/nick'><x xmlns='http://jabber.org/protocol/muc'/></presence>` (about 110 bytes).
    case minimal
    /// What a Jitsi Meet browser sends on a busy deployment: the extensions of
    /// `Tests/Fixtures/jitsi/participant-join-presence.xml` plus avatar, E2EE key, raised-hand and other
    /// `jitsi_participant_*` properties (about 1.5 KB on the wire).
    case jitsi
}
