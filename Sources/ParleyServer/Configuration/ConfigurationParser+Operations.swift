import ParleyCore
import Yams

extension ConfigurationParser {
    static let operationsKeys = [
        "metrics", "openmetrics_allow_cidr", "health_allow_cidr", "occupancy", "occupancy_allow_cidr",
        "occupancy_identities", "brewery", "shard", "region", "release", "status_file", "agent_port",
        "drain_refuses_new_conferences",
    ]

    /// The `operations` section (`ServerConfiguration.Operations`). `muc` is the parsed MUC list: a brewery on
    /// a domain that is not one of them is an error (nothing would ever be counted).
    func parseOperations(
        _ node: Node,
        keyPath: String,
        muc: [ServerConfiguration.MUC]
    )
        -> ServerConfiguration
        .Operations
    {
        var operations = ServerConfiguration.Operations()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.operationsKeys) else {
            return operations
        }
        self.assign(fields, "metrics", to: &operations.metrics, self.bool)
        self.assign(fields, "occupancy", to: &operations.occupancy, self.bool)
        self.assign(fields, "occupancy_identities", to: &operations.occupancyIdentities, self.bool)
        self.assign(fields, "openmetrics_allow_cidr", to: &operations.metricsAllow, self.networks)
        self.assign(fields, "health_allow_cidr", to: &operations.healthAllow, self.networks)
        self.assign(fields, "occupancy_allow_cidr", to: &operations.occupancyAllow, self.networks)
        self.assign(fields, "shard", to: &operations.shard) { self.headerValue($0, $1) }
        self.assign(fields, "region", to: &operations.region) { self.headerValue($0, $1) }
        self.assign(fields, "release", to: &operations.release) { self.headerValue($0, $1) }
        self.assign(fields, "status_file", to: &operations.statusFile) { node, keyPath in
            self.nullableString(node, keyPath)
        }
        self.assign(fields, "agent_port", to: &operations.agentPort, self.port)
        self.assign(fields, "drain_refuses_new_conferences", to: &operations.drainRefusesNewConferences, self.bool)
        if let node = fields["brewery"] {
            if self.isNull(node) {
                operations.brewery = nil
            } else if let room = self.bareJID(node, fields.path("brewery")) {
                if muc.contains(where: { $0.domain == room.domainpart }) {
                    operations.brewery = room
                } else {
                    self.error(
                        "'\(room.domainpart)' is not one of the MUC domains (muc[].domain)",
                        at: node,
                        keyPath: fields.path("brewery")
                    )
                }
            }
        }
        return operations
    }

    /// One range (`10.0.0.0/8`), or a list of them, as Prosody's `*_allow_cidr` options take one.
    func networks(_ node: Node, _ keyPath: String) -> [IPNetwork]? {
        let items: [Node]
        if case .scalar = node, !self.isNull(node) {
            items = [node]
        } else {
            guard let list = self.list(node, keyPath) else { return nil }
            items = list
        }
        var networks: [IPNetwork] = []
        for (index, item) in items.enumerated() {
            let itemPath = items.count == 1 && node.sequence == nil ? keyPath : "\(keyPath)[\(index)]"
            guard let text = self.string(item, itemPath) else { return nil }
            guard let network = IPNetwork(text) else {
                self.error(
                    "'\(text)' is not an address range such as 10.0.0.0/8 or fd00::/8",
                    at: item,
                    keyPath: itemPath
                )
                return nil
            }
            networks.append(network)
        }
        return networks
    }

    /// A value written into an HTTP header and a disco identity: visible ASCII, at most 128 bytes.
    func headerValue(_ node: Node, _ keyPath: String) -> String? {
        guard let text = self.string(node, keyPath) else { return nil }
        guard text.utf8.count <= 128, text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            self.error(
                "must be at most 128 visible ASCII characters without spaces (it goes into an HTTP header)",
                at: node,
                keyPath: keyPath
            )
            return nil
        }
        return text
    }
}
