/// One STUN or TURN server the hosts tell their clients about (XEP-0215 §2, a `<service/>` element), as an
/// entry of Prosody's `external_services` list describes it (`mod_external_services`, which Jitsi's Prosody runs).
///
/// ```yaml
/// - { type: turn, host: turn.example.org, port: 3478, transport: udp, secret: true }
/// ```
///
/// Browsers turn each into an ICE server: `turn:turn.example.org:3478` with the username and password the host
/// hands out (lib-jitsi-meet's `strophe.jingle.js`). What a service's credentials are is `Credentials`.
public struct ExternalService: Sendable, Equatable, CustomStringConvertible {
    /// The service type, from the XMPP Registrar's registry of XEP-0215 §8.3 (RFC 5389 STUN, RFC 5766 TURN, and
    /// their TLS forms of RFC 7064 / RFC 7065).
    public enum Kind: String, Sendable, CaseIterable {
        case stun, stuns, turn, turns

        /// The port a client assumes when none is given (RFC 5389 §9, RFC 5766 §6: 3478; over TLS 5349).
        public var defaultPort: Int {
            switch self {
            case .stun, .turn: 3478
            case .stuns, .turns: 5349
            }
        }

        /// Whether the service relays (TURN), and so takes credentials.
        public var isRelay: Bool { self == .turn || self == .turns }
    }

    /// The transport protocol the client uses to reach the service (XEP-0215's `transport`).
    public enum Transport: String, Sendable, CaseIterable {
        case udp, tcp
    }

    /// What a client is given to sign in at the service.
    public enum Credentials: Sendable, Equatable {
        /// None: an open STUN server.
        case none
        /// The same username and password for everyone (docker-jitsi-meet's `TURN_USERNAME` / `TURN_PASSWORD`).
        case fixed(username: String, password: String)
        /// Made per request from the shared secret (`TURNRESTCredential`): they expire after the TTL. `user`, when
        /// set, follows the expiry in the username (`<expiry>:<user>`), as Prosody's item `username` does.
        case timeLimited(user: String?)
    }

    /// `type`.
    public var kind: Kind
    /// `host`: a host name or an IP address, as clients should reach it.
    public var host: String
    /// `port`; the kind's default when the configuration gives none.
    public var port: Int
    /// `transport`; left out of the answer when nil (clients then take UDP).
    public var transport: Transport?
    /// The credentials handed out with it.
    public var credentials: Credentials
    /// Seconds time-limited credentials stay valid; nil for the directory's default (Prosody's item `ttl`).
    public var ttl: Int?

    public init(
        kind: Kind,
        host: String,
        port: Int? = nil,
        transport: Transport? = nil,
        credentials: Credentials = .none,
        ttl: Int? = nil
    ) {
        self.kind = kind
        self.host = host
        self.port = port ?? kind.defaultPort
        self.transport = transport
        self.credentials = credentials
        self.ttl = ttl
    }

    /// Whether a client needs credentials to use it (XEP-0215's `restricted`): it has some.
    public var isRestricted: Bool { self.credentials != .none }

    /// `turn:host:port?transport=udp (time-limited credentials)`; never shows a password.
    public var description: String {
        var text = "\(self.kind.rawValue):\(self.host):\(self.port)"
        if let transport = self.transport { text += "?transport=\(transport.rawValue)" }
        switch self.credentials {
        case .none: break
        case .fixed: text += " (fixed credentials)"
        case .timeLimited: text += " (time-limited credentials)"
        }
        return text
    }
}
