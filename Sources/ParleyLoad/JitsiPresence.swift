/// The extensions of a Jitsi Meet participant's presence (lib-jitsi-meet's presence map), in two sizes.
///
/// `browserJoin` and `browserUpdates` are the shared fixtures' `participant-join-presence.xml` and
/// `participant-presence-update.xml` as a browser puts them on the wire (no whitespace between tags; the tests
/// compare them with the fixtures byte for byte). Updates resend the whole map without the MUC `<x/>`, as
/// lib-jitsi-meet's `ChatRoom.sendPresence()` does; what changes between them is what changes in a meeting.
///
/// `large` is the busy-deployment variant: the fixture's map plus the properties the fixture README lists as what
/// makes presences grow to 1–1.5 KB (`avatar-url`, the E2EE identity keys, `jitsi_participant_raisedHand` and
/// other `jitsi_participant_*` properties).
enum JitsiPresence {
    /// The fixture's presence map, `SourceInfo` and any extra property left to the caller.
    private static let browserHead =
        #"<stats-id>Rosalind-mQZ</stats-id>"#
        + #"<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://jitsi.org/jitsi-meet" "#
        + #"ver="83D+XTo7EbBtZ5C7HLZj3Ofh1oQ="/>"#
        + #"<features><feature var="https://jitsi.org/meet/e2ee"/></features>"#
        + #"<jitsi_participant_region>eu-central</jitsi_participant_region>"#
        + #"<jitsi_participant_codecList>av1,vp9,vp8,h264</jitsi_participant_codecList>"#
        + #"<email>alice@example.org</email>"#
        + #"<nick xmlns="http://jabber.org/protocol/nick">Alice Example</nick>"#

    private static func sourceInfo(_ json: String) -> String { "<SourceInfo>\(json)</SourceInfo>" }

    /// The join: `participant-join-presence.xml`'s children (audio muted, camera on), the MUC `<x/>` first.
    static let browserJoin =
        #"<x xmlns="http://jabber.org/protocol/muc"/>"# + browserHead
        + sourceInfo(#"{"3f9a1c7e-a0":{"muted":true},"3f9a1c7e-v0":{"muted":false}}"#)

    /// Five updates as a meeting produces them (`SignalingLayerImpl.setTrackMuteStatus`, `setTrackVideoType`,
    /// `JitsiConference.setLocalParticipantProperty`): unmute, mute, camera off, screen share started (this one is
    /// `participant-presence-update.xml` exactly), and a participant property changing (a raised hand: a current
    /// browser sends its connection statistics to the bridge, not in presence, so a property change stands for
    /// the issue's "stats" update).
    static let browserUpdates: [String] = [
        browserHead + sourceInfo(#"{"3f9a1c7e-a0":{"muted":false},"3f9a1c7e-v0":{"muted":false}}"#),
        browserHead + sourceInfo(#"{"3f9a1c7e-a0":{"muted":true},"3f9a1c7e-v0":{"muted":false}}"#),
        browserHead + sourceInfo(#"{"3f9a1c7e-a0":{"muted":true},"3f9a1c7e-v0":{"muted":true}}"#),
        browserHead
            + sourceInfo(
                #"{"3f9a1c7e-a0":{"muted":false},"3f9a1c7e-v0":{"muted":false},"3f9a1c7e-v1":{"muted":false,"videoType":"desktop"}}"#
            ),
        browserHead + "<jitsi_participant_raisedHand>1763773200000</jitsi_participant_raisedHand>"
            + sourceInfo(
                #"{"3f9a1c7e-a0":{"muted":false},"3f9a1c7e-v0":{"muted":false},"3f9a1c7e-v1":{"muted":false,"videoType":"desktop"}}"#
            ),
    ]

    /// The busy-deployment presence map; `sourceInfo` picks one of three mute states, so that updates differ.
    static func large(sourceInfo: Int) -> String {
        let sources: String
        switch sourceInfo % 3 {
        case 0: sources = #"{"3f9a1c7e-a0":{"muted":true},"3f9a1c7e-v0":{"muted":false}}"#
        case 1: sources = #"{"3f9a1c7e-a0":{"muted":false},"3f9a1c7e-v0":{"muted":false}}"#
        default:
            sources =
                #"{"3f9a1c7e-a0":{"muted":false},"3f9a1c7e-v0":{"muted":false},"3f9a1c7e-v1":{"muted":false,"videoType":"desktop"}}"#
        }
        return "<stats-id>Rosalind-mQZ</stats-id>"
            + "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://jitsi.org/jitsi-meet' "
            + "ver='83D+XTo7EbBtZ5C7HLZj3Ofh1oQ='/>"
            + "<features><feature var='https://jitsi.org/meet/e2ee'/></features>"
            + "<jitsi_participant_region>eu-central</jitsi_participant_region>"
            + "<jitsi_participant_codecList>av1,vp9,vp8,h264</jitsi_participant_codecList>"
            + "<email>alice@example.org</email>"
            + "<avatar-url>https://www.gravatar.com/avatar/8a4c5e0d6f1b2a3c9e7d4b6a1f0e2c3d?d=wavatar&amp;size=200"
            + "</avatar-url>"
            + "<nick xmlns='http://jabber.org/protocol/nick'>Alice Example</nick>"
            + "<jitsi_participant_e2ee.enabled>true</jitsi_participant_e2ee.enabled>"
            + "<jitsi_participant_e2ee.idKey.curve25519>H6yiGz3mWbGfP2kQ5wJ0tV8cXrA1nE4sLdU7oBqKjMe"
            + "</jitsi_participant_e2ee.idKey.curve25519>"
            + "<jitsi_participant_e2ee.idKey.ed25519>Zp4QvN9aR2xT7cW1mK6yH3bF8dJ0sL5gE2uA9oVnYtI"
            + "</jitsi_participant_e2ee.idKey.ed25519>"
            + "<jitsi_participant_raisedHand>1763773200000</jitsi_participant_raisedHand>"
            + "<jitsi_participant_localRecording>false</jitsi_participant_localRecording>"
            + "<jitsi_participant_supportsSessionRestart>true</jitsi_participant_supportsSessionRestart>"
            + "<jitsi_participant_requestingTranscription>false</jitsi_participant_requestingTranscription>"
            + "<jitsi_participant_sources_version>2</jitsi_participant_sources_version>"
            + "<SourceInfo>\(sources)</SourceInfo>"
    }
}
