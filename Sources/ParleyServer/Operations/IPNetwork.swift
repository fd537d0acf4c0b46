import Glibc

/// An address range in CIDR notation (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6): `172.16.0.0/12`, `::1/128`.
/// A bare address is the range of that one address. Prosody's `openmetrics_allow_cidr` and
/// `http_health_allow_cidr` (`util.ip.parse_cidr`) take the same form.
///
/// An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`, what a dual-stack socket reports) is matched as its IPv4
/// address, so `10.0.0.0/8` admits it.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, with the bits past the prefix cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses `address` or `address/prefix`; nil when either part is malformed or the prefix is too long.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPNetwork.bytes(of: String(parts[0])) else { return nil }
        var length = address.count * 8
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...length).contains(given), parts[1].allSatisfy(\.isASCII) else {
                return nil
            }
            length = given
        }
        self.prefixLength = length
        self.network = IPNetwork.masked(address, to: length)
    }

    /// Whether `address` (an IP address in text, as NIO's `SocketAddress.ipAddress` gives it) is in this range.
    public func contains(_ address: String) -> Bool {
        guard var bytes = IPNetwork.bytes(of: address) else { return false }
        if bytes.count == 16, self.network.count == 4, bytes.prefix(12).elementsEqual(IPNetwork.mappedPrefix) {
            bytes = Array(bytes.suffix(4))
        }
        guard bytes.count == self.network.count else { return false }
        return IPNetwork.masked(bytes, to: self.prefixLength) == self.network
    }

    public var description: String {
        var text = [UInt8](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = self.network.count == 4 ? AF_INET : AF_INET6
        let written = self.network.withUnsafeBytes { source in
            text.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return false }
                return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    inet_ntop(family, source.baseAddress, $0, socklen_t(buffer.count)) != nil
                }
            }
        }
        let address = written ? String(decoding: text.prefix { $0 != 0 }, as: UTF8.self) : "?"
        return "\(address)/\(self.prefixLength)"
    }

    /// `::ffff:0:0/96`, the IPv4-mapped addresses (RFC 4291 §2.5.5.2).
    private static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

    /// The address's bytes (4 or 16), or nil. A zone (`fe80::1%eth0`) is ignored.
    static func bytes(of text: String) -> [UInt8]? {
        let address = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        guard !address.isEmpty, address.utf8.count <= 64 else { return nil }
        if address.contains(":") {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, address, &raw) == 1 else { return nil }
            return withUnsafeBytes(of: &raw) { Array($0) }
        }
        var raw = in_addr()
        guard inet_pton(AF_INET, address, &raw) == 1 else { return nil }
        return withUnsafeBytes(of: &raw) { Array($0) }
    }

    private static func masked(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let bitsHere = min(max(length - index * 8, 0), 8)
            let mask: UInt8 = bitsHere == 0 ? 0 : ~UInt8(0) << UInt8(8 - bitsHere)
            result[index] &= mask
        }
        return result
    }
}
