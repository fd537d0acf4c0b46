/// The client's IP address for rate limits: the peer's, or, when the peer is a trusted proxy (nginx on the same
/// machine, Prosody's `trusted_proxies`), the last address of `X-Forwarded-For` that is not itself a trusted proxy
/// (each proxy appends the address it got the request from). A header from anyone else is ignored: a client
/// cannot name its own address.
enum ClientAddress {
    static func resolve(peer: String?, forwardedFor: [String], trusted: [IPNetwork]) -> String? {
        guard let peer else { return nil }
        guard trusted.contains(where: { $0.contains(peer) }) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !hop.isEmpty {
            guard IPNetwork(hop) != nil else { return peer }  // not an address: trust nothing further
            if !trusted.contains(where: { $0.contains(hop) }) { return hop }
        }
        return peer
    }
}
