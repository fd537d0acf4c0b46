import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// What a connection's peer address is, read from its socket address's bytes. `ipAddress` formats the address
/// with `inet_ntop`, thousands of instructions on every connection, for answers that two bytes give.
extension SocketAddress {
    /// A loopback peer: 127.0.0.0/8 (RFC 1122 §3.2.1.3), `::1` (RFC 4291 §2.5.3), or 127/8 mapped into IPv6
    /// (`::ffff:127.x.y.z`, RFC 4291 §2.5.5.2).
    var isLoopbackPeer: Bool {
        switch self {
        case .v4(let address):
            return UInt32(bigEndian: address.address.sin_addr.s_addr) >> 24 == 127
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { bytes in
                let ipv6Loopback = bytes.count == 16 && bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
                return ipv6Loopback || (SocketAddress.isV4Mapped(bytes) && bytes[12] == 127)
            }
        case .unixDomainSocket:
            return false
        }
    }

    /// An IPv6 peer that is not an IPv4 address mapped into IPv6 (RFC 4291 §2.5.5.2): what the IPv6 connection
    /// count counts.
    var isNativeIPv6: Bool {
        guard case .v6(let address) = self else { return false }
        return withUnsafeBytes(of: address.address.sin6_addr) { !SocketAddress.isV4Mapped($0) }
    }

    /// `::ffff:0:0/96`: ten zero bytes, then two 0xff.
    private static func isV4Mapped(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == 16 && bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
    }
}
