import Foundation
import ParleyCore

extension JitsiEnvironment {
    /// `operations` from docker-jitsi-meet's variables (`prosody/rootfs/defaults/prosody.cfg.lua`,
    /// `conf.d/visitors.cfg.lua`) and Jicofo's brewery name: `/metrics` for `PROSODY_METRICS_ALLOWED_CIDR` (docker's default
    /// `172.16.0.0/12` when `PROSODY_ENABLE_METRICS` is on and no range is given; loopback only otherwise), the
    /// shard identity from `SHARD`, `PROSODY_REGION_NAME` and `RELEASE_NUMBER`, and the brewery
    /// `<JVB_BREWERY_MUC>@<internal MUC>`.
    static func operations(
        value: (String) -> String?,
        flag: (String) -> Bool,
        internalMUC: String
    ) -> (ServerConfiguration.Operations, [String]) {
        var operations = ServerConfiguration.Operations()
        var notes: [String] = []
        let ranges = value("PROSODY_METRICS_ALLOWED_CIDR") ?? (flag("PROSODY_ENABLE_METRICS") ? "172.16.0.0/12" : nil)
        if let ranges {
            for text in ranges.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            where !text.isEmpty {
                if let network = IPNetwork(text) {
                    operations.metricsAllow.append(network)
                } else {
                    notes.append("PROSODY_METRICS_ALLOWED_CIDR: '\(text)' is not an address range; ignored")
                }
            }
        }
        for (variable, field) in [
            ("SHARD", \ServerConfiguration.Operations.shard), ("PROSODY_REGION_NAME", \.region),
            ("RELEASE_NUMBER", \.release),
        ] {
            guard let text = value(variable) else { continue }
            if text.utf8.count <= 128, text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) {
                operations[keyPath: field] = text
            } else {
                notes.append("\(variable) must be at most 128 visible ASCII characters without spaces; ignored")
            }
        }
        let breweryName = value("JVB_BREWERY_MUC") ?? "jvbbrewery"
        operations.brewery = try? JID(localpart: breweryName, domainpart: internalMUC, resourcepart: nil)
        return (operations, notes)
    }
}
