import NIOCore
import NIOPosix

/// Turns what went wrong for one client into a short condition name, so a run's errors can be counted by kind.
///
/// XMPP failures keep their defined condition (RFC 6120 §4.9.3, §6.5, §8.3.3): `stream:policy-violation`,
/// `sasl:not-authorized`, `stanza:service-unavailable`. Failures outside XMPP get a transport prefix:
/// `connect:refused`, `http:503`, `bosh:remote-connection-failed`, `tls:handshake`, and the generator's own
/// limits `timeout:<stage>` and `closed:<stage>` (the server hung up before the client was done).
///
/// ```
/// <presence type='error' …><error type='cancel'><service-unavailable xmlns='…'/></error></presence>
///     → "stanza:service-unavailable"
/// ```
public enum ErrorClassifier {
    /// The condition carried by an error element received from the server: a stream error, a SASL failure or a
    /// stanza of type `error`. Anything else is `protocol:unexpected-<name>`.
    public static func condition(of element: ElementView) -> String {
        if element.isNamed("error") {
            // <stream:error><condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>…</stream:error>
            return "stream:" + (element.firstChildName(under: "error") ?? "undefined-condition")
        }
        if element.isNamed("failure") {
            return "sasl:" + (element.firstChildName(under: "failure") ?? "undefined-condition")
        }
        if element.attribute("type", is: "error") {
            return "stanza:" + (element.firstChildName(under: "error") ?? "undefined-condition")
        }
        return "protocol:unexpected-" + element.name
    }

    /// The condition for an error thrown by NIO while connecting or on an open channel.
    public static func condition(of error: any Error, stage: String) -> String {
        if let raw = error as? RawSocketError {
            return (stage == "connect" ? "connect:" : "socket:") + Self.errnoName(raw.errno)
        }
        if let io = error as? IOError {
            return "connect:" + Self.errnoName(io.errnoCode)
        }
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first {
                return Self.condition(of: first.error, stage: stage)
            }
            return "connect:failed"
        }
        if let channelError = error as? ChannelError {
            switch channelError {
            case .connectTimeout: return "connect:timeout"
            case .ioOnClosedChannel, .alreadyClosed, .eof: return "closed:" + stage
            default: return "channel:" + stage
            }
        }
        let typeName = String(describing: type(of: error))
        if typeName.contains("OpenSSL") || typeName.contains("TLS") { return "tls:handshake" }
        if typeName.contains("WebSocket") || typeName.contains("Upgrade") { return "websocket:upgrade" }
        return "error:" + typeName
    }

    static func errnoName(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "refused"
        case ECONNRESET: return "reset"
        case ETIMEDOUT: return "timeout"
        case EADDRNOTAVAIL: return "no-local-port"
        case EMFILE, ENFILE: return "too-many-files"
        case EPIPE: return "broken-pipe"
        case ENETUNREACH, EHOSTUNREACH: return "unreachable"
        default: return "errno-\(code)"
        }
    }
}
