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
    ///   status_file: /etc/jitsi/shard-status
    ///   agent_port: 6060
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
        /// `status_file`: signal-sidecar's status file (`/etc/jitsi/shard-status`), read every 5 seconds; a change of
        /// its word (`ready`, `drain`, `maint`) sets the shard's state. Null: none.
        public var statusFile: String?
        /// `agent_port`: a HAProxy agent-check port reporting the state and a weight (`HAProxyAgent`); 0 is off.
        public var agentPort = 0
        /// `drain_refuses_new_conferences`: while draining (or in maintenance), a conference request for a room
        /// that does not exist here is refused with `service-unavailable`; existing conferences go on. Off: only
        /// the load balancer keeps new conferences away.
        public var drainRefusesNewConferences = false

        public init() {}
    }
}
