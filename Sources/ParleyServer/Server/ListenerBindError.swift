import Foundation
import NIOCore

/// A listener that could not bind: which one, where, why, and who holds the port when that is visible.
///
/// ```
/// cannot listen for c2s (STARTTLS) on 127.0.0.1:5222: the address is in use (errno 98). It is held by
/// prosody (pid 812, /usr/bin/lua5.4 /usr/bin/prosody): stop it with `systemctl stop prosody` …
/// ```
public struct ListenerBindError: Error, Sendable, CustomStringConvertible {
    /// What the listener serves: "c2s (STARTTLS)", "HTTP (BOSH and WebSocket)"…
    public var role: String
    public var address: String
    public var port: Int
    /// The OS error number, when the failure was one.
    public var errno: Int32?
    /// What the underlying error said.
    public var reason: String
    /// The processes seen listening on the port (only looked up for "address in use").
    public var holders: [PortHolder]

    /// Wraps `error` from binding `role` to `address:port`, looking up the port's holders when it is in use.
    public init(role: String, address: String, port: Int, error: any Error, procRoot: String = "/proc") {
        self.role = role
        self.address = address
        self.port = port
        let code = (error as? IOError)?.errnoCode
        self.errno = code
        self.reason = code.map { String(cString: strerror($0)) } ?? String(describing: error)
        self.holders = code == EADDRINUSE ? PortHolder.find(port: port, procRoot: procRoot) : []
    }

    public var description: String {
        let host = self.address.contains(":") ? "[\(self.address)]" : self.address
        var text = "cannot listen for \(self.role) on \(host):\(self.port): \(self.reason)"
        if let errno = self.errno { text += " (errno \(errno))" }
        switch self.errno {
        case EADDRINUSE:
            if self.holders.isEmpty {
                text +=
                    ". Another process holds the port (not visible to this user; `ss -ltnp 'sport = :\(self.port)'` "
                    + "as root names it); stop it or choose another port in `listen`"
            } else {
                for holder in self.holders {
                    text += ". It is held by \(holder): \(holder.stopAdvice)"
                }
            }
        case EACCES:
            text += ". Ports below 1024 need root or the capability CAP_NET_BIND_SERVICE"
        case EADDRNOTAVAIL:
            text += ". \(self.address) is not an address of this machine (listen.address)"
        default:
            break
        }
        return text
    }
}
