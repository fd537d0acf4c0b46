import ParleyCore

extension ServerConfiguration {
    /// `c2s`: policies and limits of client-to-server streams (RFC 6120).
    ///
    /// ```yaml
    /// c2s:
    ///   require_encryption: true
    ///   max_stanza_bytes: 262144
    ///   unlimited_jids: [focus@auth.meet.jitsi, jvb@auth.meet.jitsi]
    /// ```
    public struct C2S: Sendable, Equatable {
        /// `require_encryption`: refuse SASL and stanzas before STARTTLS (hosts may override).
        public var requireEncryption: Bool
        /// `allow_plaintext_loopback`: exempt connections from 127.0.0.0/8 and ::1 from `requireEncryption`.
        public var allowPlaintextLoopback: Bool
        /// `max_stanza_bytes`: the largest stanza a client may send (Prosody's `c2s_stanza_size_limit`).
        public var maxStanzaBytes: Int
        /// `unlimited_max_stanza_bytes`: the limit for `unlimitedJIDs` (Jitsi's `limits_exception`).
        public var unlimitedMaxStanzaBytes: Int
        /// `unlimited_jids`: bare JIDs that get `unlimitedMaxStanzaBytes` (Jicofo and the bridge send large
        /// Colibri stanzas).
        public var unlimitedJIDs: [JID]
        /// `max_depth`: the deepest element nesting accepted inside a stanza.
        public var maxDepth: Int
        /// `negotiation_timeout` (seconds): how long a connection may stay unauthenticated.
        public var negotiationTimeout: Duration
        /// `sm_hibernation` (seconds): how long a dropped session with XEP-0198 resumption waits (memory only).
        public var smHibernation: Int = 60
        /// `max_output_backlog` (bytes): output that may wait for a client that does not read (in its TCP or
        /// WebSocket connection, or for its next BOSH request) before its session is ended (`resource-constraint`
        /// stream error; BOSH: `policy-violation`).
        public var maxOutputBacklog: Int = 8 * 1024 * 1024
        /// `rate_limit` (bytes/s): how fast each client may send, its stanzas read more slowly past it (Prosody's
        /// `limits.c2s.rate`; docker's `PROSODY_C2S_LIMIT`, 10 kb/s); null (the preset) for no limit. Loopback,
        /// `rate_limits.allow` and `unlimited_jids` are exempt.
        public var rateLimit: Int? = nil
        /// `advertise_version`: whether to answer XEP-0092 software version queries (privacy: off).
        public var advertiseVersion: Bool

        public init(
            requireEncryption: Bool = true,
            allowPlaintextLoopback: Bool = false,
            maxStanzaBytes: Int = 262_144,
            unlimitedMaxStanzaBytes: Int = 10_485_760,
            unlimitedJIDs: [JID] = ServerConfiguration.jitsiServiceJIDs,
            maxDepth: Int = 100,
            negotiationTimeout: Duration = .seconds(30),
            advertiseVersion: Bool = false
        ) {
            self.requireEncryption = requireEncryption
            self.allowPlaintextLoopback = allowPlaintextLoopback
            self.maxStanzaBytes = maxStanzaBytes
            self.unlimitedMaxStanzaBytes = unlimitedMaxStanzaBytes
            self.unlimitedJIDs = unlimitedJIDs
            self.maxDepth = maxDepth
            self.negotiationTimeout = negotiationTimeout
            self.advertiseVersion = advertiseVersion
        }
    }
}
