import Foundation
import ParleyCore

/// Where RS256/384/512 public keys come from (Jitsi's `asap_key_server`, docker's `JWT_ASAP_KEYSERVER`): the key
/// named by a token's `kid` is the PEM at `<base>/<hex sha256(kid)>.pem` (Jitsi's `token/util.lib.lua`
/// `get_public_key`).
public struct KeyServer: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int
    /// The base path, without a trailing `/`.
    public let path: String

    /// Nil unless `url` is an `http` or `https` URL with a host.
    public init?(_ url: String) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty, parsed.query == nil
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = parsed.port ?? (scheme == "https" ? 443 : 80)
        var path = parsed.path
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    /// The path of `kid`'s key on the server.
    public func keyPath(kid: String) -> String {
        let digest = HashAlgorithm.sha256.hash(Array(kid.utf8))
        let hex = digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return "\(self.path)/\(hex.joined()).pem"
    }

    public var description: String {
        let defaultPort = self.scheme == "https" ? 443 : 80
        return "\(self.scheme)://\(self.host)\(self.port == defaultPort ? "" : ":\(self.port)")\(self.path)"
    }
}
