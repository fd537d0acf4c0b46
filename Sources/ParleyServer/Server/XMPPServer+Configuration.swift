import NIOCore
import ParleyCore
import ParleyMUC

extension XMPPServer {
    /// Everything the running server needs, with the Jitsi preset's values as defaults.
    public struct Configuration: Sendable {
        public var hosts: [HostConfiguration] = [
            HostConfiguration(domain: "meet.jitsi", authentication: .anonymous),
            HostConfiguration(domain: "auth.meet.jitsi", authentication: .internalHashed),
        ]
        public var listenAddress = "127.0.0.1"
        /// 0 binds a free port.
        public var c2sPort = 5222
        /// XEP-0368 direct TLS; nil disables it.
        public var c2sTLSPort: Int? = 5223
        /// The web transports (BOSH, WebSocket) and `/health`; nil disables them. 0 binds a free port.
        public var httpPort: Int? = 5280
        /// The same web listener over TLS (no nginx in front); nil (the default) disables it.
        public var httpsPort: Int? = nil
        /// Origins allowed to use BOSH from a browser (CORS); `*` allows any.
        public var corsOrigins: [String] = []
        /// BOSH and WebSocket arrive through nginx, which terminates TLS (Jitsi's `consider_*_secure`).
        public var webTransportsSecure = true
        /// BOSH timing (XEP-0124).
        public var boshMaxWait = 60
        public var boshInactivity = 60
        /// XEP-0198: seconds a dropped, resumable session waits for its client.
        public var hibernationSeconds = 60
        /// Output that may wait for a client that does not read (TCP, WebSocket: bytes in its channel; BOSH:
        /// bytes waiting for its next request) before the server ends its session.
        public var maxOutputBacklog = Configuration.defaultMaxOutputBacklog
        /// 8 MiB: some thousand presences of a large room, far above what a reading client ever has waiting.
        public static let defaultMaxOutputBacklog = 8 * 1024 * 1024

        /// The backlog bound in force: `maxOutputBacklog`, but never below twice the largest stanza a client may
        /// send (`unlimitedMaxStanzaBytes` when there are `unlimitedJIDs`: Jicofo's and the bridge's Colibri
        /// stanzas), so one large stanza on its way to a client that reads never trips it.
        public var outputBacklogBound: Int {
            let unlimited = self.unlimitedJIDs.isEmpty ? 0 : self.unlimitedMaxStanzaBytes
            let largest = max(self.maxStanzaBytes, unlimited)
            return max(self.maxOutputBacklog, largest > Int.max / 2 ? Int.max : 2 * largest)
        }
        public var requireEncryption = true
        public var allowPlaintextLoopback = false
        /// Prosody's `c2s_stanza_size_limit`.
        public var maxStanzaBytes = 256 * 1024
        /// For `unlimitedJIDs` (Jitsi's `mod_limits_exception`): 10 MiB.
        public var unlimitedMaxStanzaBytes = 10 * 1024 * 1024
        public var unlimitedJIDs: [JID] = []
        public var maxDepth = 100
        public var negotiationTimeout: TimeAmount = .seconds(30)
        public var advertiseVersion = false
        public var logAddresses = false
        /// Services owning whole domains besides the MUC services and the focus proxy.
        public var domains: [String: any DomainHandler] = [:]
        /// MUC services (XEP-0045).
        public var mucServices: [MUCServiceConfiguration] = []
        /// Jitsi's focus proxy: (component domain, focus account).
        public var focusProxy: (domain: String, target: JID)?
        /// Jitsi's end conference component: its domain and the MUC service whose rooms it ends.
        public var endConference: (domain: String, muc: String)?
        /// Jitsi's audio/video moderation component: its domain and the MUC service whose rooms it moderates.
        public var avModeration: (domain: String, muc: String)?
        /// Jitsi's speaker statistics component: its domain and the MUC service whose rooms it counts.
        public var speakerStats: (domain: String, muc: String)?
        /// Jitsi's polls component: its domain and the MUC service whose rooms' polls it relays.
        public var polls: (domain: String, muc: String)?
        /// Jitsi's room metadata component: its domain and the MUC service whose rooms keep metadata.
        public var roomMetadata: (domain: String, muc: String)?
        /// Jitsi's conference duration component: its domain and the MUC service whose rooms report their start.
        public var conferenceDuration: (domain: String, muc: String)?
        /// Jitsi's lobby: the lobby MUC domain, the main MUC, and who skips the lobby.
        public var lobby: (domain: String, muc: String, whitelist: [JID])?
        /// Jitsi's breakout rooms: the breakout MUC domain and the main MUC whose rooms have them.
        public var breakoutRooms: (domain: String, muc: String)?
        /// XEP-0215: the STUN/TURN servers and credentials every host hands its sessions; nil for none.
        public var externalServices: ExternalServiceDiscovery?
        /// Tenants' virtual MUC domains (Jitsi's `mod_muc_domain_mapper`); nil maps nothing.
        public var tenants: MUCDomainMapper?
        /// Bytes per second each client may send (`c2s.rate_limit`, Prosody's `limits.c2s.rate`); nil for none.
        public var readRate: Double?
        /// Jitsi's `mod_rate_limit` (`rate_limits`); nil when off.
        var rateLimits: RateLimitSettings?
        /// Proxies whose `X-Forwarded-For` names the client (`http.trusted_proxies`, Prosody's `trusted_proxies`).
        public var trustedProxies: [IPNetwork] = IPAllowList.loopback
        /// The test control API (`Docs/Testing-Jicofo.md`); nil (the default) serves none.
        public var control: ControlSettings?
        /// `parley serve --seed`: makes meeting ids, anonymous usernames and server-made ids repeatable; nil
        /// (the default) keeps them random.
        public var seed: UInt64?
        /// The room-name policy: a refusal for a room localpart, or nil when allowed.
        public var roomNamePolicy: @Sendable (String) -> StanzaError? = { _ in nil }

        /// Metrics, health and readiness, occupancy and shard identity on the web listener (Docs/Operations.md).
        public var operations = ServerConfiguration.Operations()
        /// The HAProxy agent-check port (`operations.agent_port`); nil: off, 0: a free port.
        public var agentPort: Int?
        public init() {}
    }
}
