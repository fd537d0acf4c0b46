import NIOCore
import NIOPosix
import Synchronization
import Testing

/// What the server relies on when it does not set TCP_NODELAY on each client connection (`XMPPServer`): NIO's
/// ServerBootstrap sets it on the listener, and on Linux an accepted socket inherits it.
@Suite struct SocketOptionsTests {
    @Test func acceptedConnectionsHaveNoDelayWithoutSettingIt() throws {
        #if os(Linux)
        let seen = Mutex<[Int32]>([])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let value = try channel.syncOptions?.getOption(.tcpOption(.tcp_nodelay)) ?? -1
                    seen.withLock { $0.append(Int32(value)) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        let client = try ClientBootstrap(group: group).connect(to: server.localAddress!).wait()
        defer { try? client.close().wait() }
        for _ in 0..<200 where seen.withLock({ $0.isEmpty }) { usleep(10_000) }
        #expect(seen.withLock { $0 } == [1])
        #endif
    }
}
