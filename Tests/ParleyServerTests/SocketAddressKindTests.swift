import NIOCore
import Testing

@testable import ParleyServer

/// The peer kinds read from a socket address's bytes agree with what its text says.
@Suite("Socket address kinds")
struct SocketAddressKindTests {
    @Test(
        "loopback peers: 127/8, ::1, and 127/8 mapped into IPv6; nothing else",
        arguments: [
            ("127.0.0.1", true), ("127.200.3.4", true), ("128.0.0.1", false), ("10.0.0.1", false),
            ("126.255.255.255", false), ("::1", true), ("::2", false), ("::", false), ("::ffff:127.0.0.1", true),
            ("::ffff:10.0.0.1", false), ("2001:db8::1", false), ("::ffff:7f00:1", true), ("1::1", false),
        ]
    )
    func loopback(address: String, loopback: Bool) throws {
        let socketAddress = try SocketAddress(ipAddress: address, port: 5222)
        #expect(socketAddress.isLoopbackPeer == loopback)
        #expect(XMPPServer.isLoopback(socketAddress) == loopback)
    }

    @Test(
        "native IPv6 peers: IPv6 addresses that are not IPv4 mapped into IPv6",
        arguments: [
            ("127.0.0.1", false), ("192.0.2.1", false), ("::1", true), ("2001:db8::1", true),
            ("::ffff:192.0.2.1", false), ("::fffe:192.0.2.1", true),
        ]
    )
    func nativeIPv6(address: String, native: Bool) throws {
        #expect(try SocketAddress(ipAddress: address, port: 1).isNativeIPv6 == native)
    }

    @Test("no address is not loopback")
    func none() {
        #expect(!XMPPServer.isLoopback(nil))
    }
}
