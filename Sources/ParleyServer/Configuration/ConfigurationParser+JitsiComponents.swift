import ParleyCore
import Yams

/// The `end_conference`, `av_moderation`, `speaker_stats` and `polls` sections.
extension ConfigurationParser {
    static let jitsiComponentKeys = ["domain", "muc"]

    /// A component section starting from `preset`; `null` turns the component off.
    func parseJitsiComponent(
        _ node: Node, keyPath: String, preset: ServerConfiguration.JitsiComponent, configuration: ServerConfiguration
    ) -> ServerConfiguration.JitsiComponent?? {
        if self.isNull(node) { return .some(nil) }
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.jitsiComponentKeys) else { return nil }
        var component = preset
        self.assign(fields, "domain", to: &component.domain, self.domain)
        self.assign(fields, "muc", to: &component.muc, self.domain)
        let taken = [
            configuration.focusProxy?.domain, configuration.endConference?.domain, configuration.avModeration?.domain,
            configuration.speakerStats?.domain, configuration.polls?.domain,
        ]
        if configuration.hosts.contains(where: { $0.domain == component.domain })
            || configuration.muc.contains(where: { $0.domain == component.domain })
            || taken.contains(component.domain) && component.domain != preset.domain
        {
            self.error(
                "\(component.domain) is already used by a host, MUC service or component",
                at: fields["domain"] ?? node, keyPath: fields.path("domain"))
        }
        if !configuration.muc.contains(where: { $0.domain == component.muc }) {
            self.error(
                "\(keyPath).muc: \(component.muc) is not one of the muc services", at: fields["muc"] ?? node,
                keyPath: fields.path("muc"))
        }
        return .some(component)
    }
}
