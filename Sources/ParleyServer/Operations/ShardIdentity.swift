import NIOHTTP1

/// Where this server stands among Jitsi's shards (`operations.shard`, `region`, `release`), published as Jitsi's
/// `mod_jiconop` does (disco identities `server/shard`, `server/region`, `server/release` on the main domain, which
/// lib-jitsi-meet's `_processDiscoInfoIdentities` reads) and as meet.jit.si's nginx does (`X-Jitsi-Shard`,
/// `X-Jitsi-Region`, `X-Jitsi-Release` on `/http-bind`, `/xmpp-websocket` and the health paths, exposed to
/// scripts by `Access-Control-Expose-Headers`, so lib-jitsi-meet's keep-alive notices a shard change).
struct ShardIdentity: Sendable {
    let shard: String?
    let region: String?
    let release: String?

    /// The headers; empty when no identity is configured. Made once: every BOSH and web response carries them.
    let headers: HTTPHeaders

    init(_ settings: ServerConfiguration.Operations) {
        self.shard = settings.shard
        self.region = settings.region
        self.release = settings.release
        self.headers = ShardIdentity.headers(shard: settings.shard, region: settings.region, release: settings.release)
    }

    /// The disco identities, in mod_jiconop's order.
    var discoIdentities: [DiscoIdentity] {
        [("shard", self.shard), ("region", self.region), ("release", self.release)].compactMap { type, name in
            name.map { DiscoIdentity(category: "server", type: type, name: $0) }
        }
    }

    private static func headers(shard: String?, region: String?, release: String?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        var exposed: [String] = []
        for (name, value) in [("X-Jitsi-Shard", shard), ("X-Jitsi-Region", region), ("X-Jitsi-Release", release)] {
            guard let value else { continue }
            headers.add(name: name, value: value)
            exposed.append(name)
        }
        if !exposed.isEmpty {
            headers.add(
                name: "Access-Control-Expose-Headers",
                value: (["Content-Type"] + exposed).joined(separator: ", ")
            )
        }
        return headers
    }
}
