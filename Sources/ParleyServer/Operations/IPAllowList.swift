/// Who may call an operator endpoint (`/metrics`, `/health`, `/ready`, the occupancy endpoints): the loopback
/// addresses `127.0.0.1` and `::1` always (Prosody's `openmetrics_allow_ips` and `http_health_allow_ips`
/// defaults), and the ranges an operator adds (`openmetrics_allow_cidr`, `http_health_allow_cidr`). Anyone else
/// gets 403, as from Prosody's `mod_http_openmetrics` and docker's `mod_http_health`.
public struct IPAllowList: Sendable, Hashable {
    public var networks: [IPNetwork]

    public init(_ networks: [IPNetwork] = []) {
        self.networks = networks
    }

    /// Exactly these two: the rest of 127.0.0.0/8 is allowed only through a range, as in Prosody.
    static let loopback: [IPNetwork] = [IPNetwork("127.0.0.1"), IPNetwork("::1")].compactMap { $0 }

    /// Whether a peer at `address` (text, nil when the peer is not an IP socket) may call the endpoint.
    public func permits(_ address: String?) -> Bool {
        guard let address else { return false }
        return IPAllowList.loopback.contains { $0.contains(address) } || self.networks.contains { $0.contains(address) }
    }
}
