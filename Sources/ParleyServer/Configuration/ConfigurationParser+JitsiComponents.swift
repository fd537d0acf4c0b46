import ParleyCore
import Yams

/// The `end_conference`, `av_moderation`, `speaker_stats`, `polls`, `room_metadata`, `conference_duration`,
/// `breakout_rooms` and `lobby` sections.
extension ConfigurationParser {
    static let jitsiComponentKeys = ["domain", "muc"]
    static let lobbyKeys = ["domain", "muc", "whitelist"]

    /// The `lobby` section: a component section with a `whitelist` (bare JIDs or domains, Jitsi's
    /// `muc_lobby_whitelist`); `null` turns the lobby off.
    func parseLobby(_ node: Node, keyPath: String, configuration: ServerConfiguration) -> ServerConfiguration.Lobby?? {
        if self.isNull(node) { return .some(nil) }
        let preset = configuration.lobby ?? ServerConfiguration.jitsiLobby
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.lobbyKeys) else { return nil }
        let component = self.component(
            fields,
            node: node,
            keyPath: keyPath,
            preset: preset.component,
            configuration: configuration
        )
        var lobby = ServerConfiguration.Lobby(component: component, whitelist: preset.whitelist)
        self.assign(fields, "whitelist", to: &lobby.whitelist, self.accountOrDomainList)
        return .some(lobby)
    }

    /// A component section starting from `preset`; `null` turns the component off.
    func parseJitsiComponent(
        _ node: Node,
        keyPath: String,
        preset: ServerConfiguration.JitsiComponent,
        configuration: ServerConfiguration
    ) -> ServerConfiguration.JitsiComponent?? {
        if self.isNull(node) { return .some(nil) }
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.jitsiComponentKeys) else { return nil }
        return .some(self.component(fields, node: node, keyPath: keyPath, preset: preset, configuration: configuration))
    }

    /// `domain` and `muc` of a component section, checked against the hosts, services and other components.
    private func component(
        _ fields: Fields,
        node: Node,
        keyPath: String,
        preset: ServerConfiguration.JitsiComponent,
        configuration: ServerConfiguration
    ) -> ServerConfiguration.JitsiComponent {
        var component = preset
        self.assign(fields, "domain", to: &component.domain, self.domain)
        self.assign(fields, "muc", to: &component.muc, self.domain)
        let taken = [
            configuration.focusProxy?.domain, configuration.endConference?.domain, configuration.avModeration?.domain,
            configuration.speakerStats?.domain, configuration.polls?.domain, configuration.lobby?.component.domain,
            configuration.roomMetadata?.domain, configuration.conferenceDuration?.domain,
            configuration.breakoutRooms?.domain,
        ]
        if configuration.hosts.contains(where: { $0.domain == component.domain })
            || configuration.muc.contains(where: { $0.domain == component.domain })
            || taken.contains(component.domain) && component.domain != preset.domain
        {
            self.error(
                "\(component.domain) is already used by a host, MUC service or component",
                at: fields["domain"] ?? node,
                keyPath: fields.path("domain")
            )
        }
        if !configuration.muc.contains(where: { $0.domain == component.muc }) {
            self.error(
                "\(keyPath).muc: \(component.muc) is not one of the muc services",
                at: fields["muc"] ?? node,
                keyPath: fields.path("muc")
            )
        }
        return component
    }
}
