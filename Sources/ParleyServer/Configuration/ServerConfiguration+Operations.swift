import ParleyCore

extension ServerConfiguration {
    /// `operations`: what load balancers, monitoring and shard routing see on the web listener
    /// (Docs/Operations.md). Every endpoint answers loopback (`127.0.0.1`, `::1`) only, unless a range is added.
    ///
    /// ```yaml
    /// operations:
    ///   openmetrics_allow_cidr: 172.16.0.0/12      # or a list
    ///   shard: shard-1
    ///   region: eu-central
    ///   release: "1234"
    ///   brewery: jvbbrewery@internal-muc.meet.jitsi
    /// ```
    public struct Operations: Sendable, Equatable {
        /// `metrics`: serve `GET /metrics` (Prometheus text; Prosody's `mod_http_openmetrics`).
        public var metrics = true
        /// `openmetrics_allow_cidr`: ranges besides loopback that may read `/metrics` (docker's
        /// `PROSODY_METRICS_ALLOWED_CIDR`).
        public var metricsAllow: [IPNetwork] = []
        /// `health_allow_cidr`: ranges besides loopback that may call `/health` and `/ready` (docker's
        /// `mod_http_health` option `http_health_allow_cidr`).
        public var healthAllow: [IPNetwork] = []
        /// `occupancy`: serve `/room-size`, `/room`, `/room-census` and `/sessions` (Jitsi's `mod_muc_size`,
        /// `mod_muc_census`).
        public var occupancy = true
        /// `occupancy_allow_cidr`: ranges besides loopback that may call the occupancy endpoints.
        public var occupancyAllow: [IPNetwork] = []
        /// `occupancy_identities`: `/room` lists each occupant's nick JID, display name and e-mail, as Jitsi's
        /// `mod_muc_size` does. Off: only that the occupant is there (privacy).
        public var occupancyIdentities = false
        /// `brewery`: the room where the videobridges gather (Jicofo's `bridge.brewery-jid`); `/ready` and the
        /// `parley_brewery_bridges` gauge count its occupants other than the focus. Null: no brewery is watched.
        public var brewery: JID? = JID(literal: "jvbbrewery@internal-muc.meet.jitsi")
        /// `shard`, `region`, `release`: this server's place among Jitsi's shards (docker's `SHARD`,
        /// `PROSODY_REGION_NAME`, `RELEASE_NUMBER`; Jitsi's `mod_jiconop` options `shard_name`, `region_name`,
        /// `release_number`): disco identities on the main domain and `X-Jitsi-*` headers on the web listener.
        public var shard: String?
        public var region: String?
        public var release: String?

        public init() {}
    }
}
