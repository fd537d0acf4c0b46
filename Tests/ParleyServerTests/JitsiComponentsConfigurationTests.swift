import ParleyCore
import Testing

@testable import ParleyServer

/// The Jitsi component sections (`end_conference`, `av_moderation`, …, `lobby`, `breakout_rooms`) and docker's
/// `ENABLE_END_CONFERENCE`, `ENABLE_AV_MODERATION`, `DISABLE_POLLS`, `ENABLE_LOBBY`, `ENABLE_BREAKOUT_ROOMS`.
@Suite struct JitsiComponentsConfigurationTests {
    @Test func thePresetServesBothOnTheConferenceMUC() throws {
        let preset = ServerConfiguration.jitsiPreset
        #expect(preset.endConference == .init(domain: "endconference.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(preset.avModeration == .init(domain: "avmoderation.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(preset.speakerStats == .init(domain: "speakerstats.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(preset.polls == .init(domain: "polls.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(preset.roomMetadata == .init(domain: "metadata.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(preset.conferenceDuration == .init(domain: "conferenceduration.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(preset.lobby == .init(component: .init(domain: "lobby.meet.jitsi", muc: "muc.meet.jitsi")))
        let running = XMPPServer.Configuration(preset)
        #expect(running.lobby?.domain == "lobby.meet.jitsi" && running.lobby?.muc == "muc.meet.jitsi")
        #expect(running.endConference?.domain == "endconference.meet.jitsi")
        #expect(running.endConference?.muc == "muc.meet.jitsi")
        #expect(running.avModeration?.domain == "avmoderation.meet.jitsi")
        #expect(preset.breakoutRooms == .init(domain: "breakout.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(
            running.breakoutRooms?.domain == "breakout.meet.jitsi" && running.breakoutRooms?.muc == "muc.meet.jitsi"
        )
    }

    @Test func theSectionsRenameOrTurnThemOff() throws {
        let off = try ConfigurationLoader.load(
            yaml: "end_conference: null\nav_moderation: null\nspeaker_stats: null\n",
            path: "off.yaml",
            environment: [:]
        )
        #expect(off.endConference == nil && off.avModeration == nil && off.speakerStats == nil)
        #expect(XMPPServer.Configuration(off).speakerStats == nil)
        let lobby = try ConfigurationLoader.load(
            yaml: "lobby:\n  domain: waiting.meet.jitsi\n  whitelist: [recorder.meet.jitsi, jigasi@auth.meet.jitsi]\n",
            path: "lobby.yaml",
            environment: [:]
        )
        #expect(lobby.lobby?.component.domain == "waiting.meet.jitsi")
        #expect(lobby.lobby?.whitelist.map(\.description) == ["recorder.meet.jitsi", "jigasi@auth.meet.jitsi"])
        #expect(try ConfigurationLoader.load(yaml: "lobby: null\n", path: "l.yaml", environment: [:]).lobby == nil)
        #expect(XMPPServer.Configuration(off).endConference == nil && XMPPServer.Configuration(off).avModeration == nil)
        let renamed = try ConfigurationLoader.load(
            yaml: "end_conference:\n  domain: end.meet.jitsi\nav_moderation:\n  domain: av.meet.jitsi\n",
            path: "renamed.yaml",
            environment: [:]
        )
        #expect(renamed.endConference == .init(domain: "end.meet.jitsi", muc: "muc.meet.jitsi"))
        #expect(renamed.avModeration == .init(domain: "av.meet.jitsi", muc: "muc.meet.jitsi"))
        let breakout = try ConfigurationLoader.load(
            yaml: "breakout_rooms:\n  domain: rooms.meet.jitsi\n",
            path: "breakout.yaml",
            environment: [:]
        )
        #expect(breakout.breakoutRooms == .init(domain: "rooms.meet.jitsi", muc: "muc.meet.jitsi"))
        let noBreakout = try ConfigurationLoader.load(yaml: "breakout_rooms: null\n", path: "b.yaml", environment: [:])
        #expect(noBreakout.breakoutRooms == nil && XMPPServer.Configuration(noBreakout).breakoutRooms == nil)
    }

    @Test func badValuesAreReportedWithTheirKey() {
        let cases = [
            ("end_conference:\n  muc: nowhere.meet.jitsi\n", "end_conference.muc"),
            ("end_conference:\n  domain: auth.meet.jitsi\n", "end_conference.domain"),
            ("end_conference:\n  domian: end.meet.jitsi\n", "end_conference.domian"),
            ("av_moderation:\n  domain: endconference.meet.jitsi\n", "av_moderation.domain"),
            ("av_moderation:\n  muc: conference.meet.jitsi\n", "av_moderation.muc"),
            ("speaker_stats:\n  domain: avmoderation.meet.jitsi\n", "speaker_stats.domain"),
            ("polls:\n  muc: nowhere.meet.jitsi\n", "polls.muc"),
            ("room_metadata:\n  domain: polls.meet.jitsi\n", "room_metadata.domain"),
            ("lobby:\n  whitelist: [\"a@b/c\"]\n", "lobby.whitelist[0]"),
            ("lobby:\n  whitelist: []\n  secret: x\n", "lobby.secret"),
            ("breakout_rooms:\n  domain: lobby.meet.jitsi\n", "breakout_rooms.domain"),
            ("breakout_rooms:\n  muc: nowhere.meet.jitsi\n", "breakout_rooms.muc"),
        ]
        for (yaml, key) in cases {
            let outcome = ConfigurationLoader.parse(yaml: yaml, path: "bad.yaml", environment: [:])
            #expect(outcome.errors.map(\.keyPath) == [key], "\(yaml)")
        }
    }

    @Test func dockerTurnsThemOnUnlessDisabled() {
        let (on, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["XMPP_DOMAIN": "meet.example.org"])
        #expect(on.endConference == .init(domain: "endconference.meet.example.org", muc: "muc.meet.example.org"))
        #expect(on.avModeration == .init(domain: "avmoderation.meet.example.org", muc: "muc.meet.example.org"))
        #expect(on.speakerStats == .init(domain: "speakerstats.meet.example.org", muc: "muc.meet.example.org"))
        #expect(on.polls == .init(domain: "polls.meet.example.org", muc: "muc.meet.example.org"))
        #expect(on.roomMetadata == .init(domain: "metadata.meet.example.org", muc: "muc.meet.example.org"))
        #expect(
            on.conferenceDuration == .init(domain: "conferenceduration.meet.example.org", muc: "muc.meet.example.org")
        )
        let (noPolls, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["DISABLE_POLLS": "1"])
        #expect(noPolls.polls == nil && noPolls.speakerStats != nil)
        #expect(on.lobby?.component == .init(domain: "lobby.meet.example.org", muc: "muc.meet.example.org"))
        let (noLobby, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["ENABLE_LOBBY": "0"])
        #expect(noLobby.lobby == nil)
        #expect(on.breakoutRooms == .init(domain: "breakout.meet.example.org", muc: "muc.meet.example.org"))
        let (noBreakout, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["ENABLE_BREAKOUT_ROOMS": "false"])
        #expect(noBreakout.breakoutRooms == nil && noBreakout.lobby != nil)
        let (recorded, _) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["JIBRI_RECORDER_PASSWORD": "r", "XMPP_RECORDER_DOMAIN": "recorder.meet.jitsi"]
        )
        #expect(recorded.lobby?.whitelist.map(\.description) == ["recorder.meet.jitsi"])
        let (off, _) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["ENABLE_END_CONFERENCE": "0", "ENABLE_AV_MODERATION": "false"]
        )
        #expect(off.endConference == nil && off.avModeration == nil)
    }
}
