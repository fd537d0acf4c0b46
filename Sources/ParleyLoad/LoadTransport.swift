/// How a client reaches the server.
public enum LoadTransport: String, CaseIterable, Sendable {
    /// RFC 6120 over TCP without TLS (the server must allow it, e.g. on loopback).
    case tcp
    /// RFC 6120 over TCP with STARTTLS (§5) before authentication.
    case starttls
    /// RFC 7395: XMPP over WebSocket, subprotocol `xmpp`, one element per text frame.
    case websocket
    /// XEP-0124/XEP-0206: XMPP over BOSH, HTTP/1.1 long polling with two connections per client.
    case bosh

    /// Prosody's and Parley's default port for the transport.
    public var defaultPort: Int {
        switch self {
        case .tcp, .starttls: return 5222
        case .websocket, .bosh: return 5280
        }
    }

    /// The HTTP path Prosody and Parley serve the transport on; nil for TCP.
    public var defaultPath: String? {
        switch self {
        case .tcp, .starttls: return nil
        case .websocket: return "/xmpp-websocket"
        case .bosh: return "/http-bind"
        }
    }

    /// File descriptors one client holds open.
    public var socketsPerClient: Int { self == .bosh ? 2 : 1 }

    /// Whether stanzas are sent as stand-alone documents that must declare `xmlns='jabber:client'`
    /// (RFC 7395 §3.3.3; XEP-0206 §5), rather than inheriting it from a stream header.
    var stanzasDeclareNamespace: Bool { self == .websocket || self == .bosh }
}
