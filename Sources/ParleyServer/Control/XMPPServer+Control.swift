import NIOCore
import NIOHTTP1
import NIOPosix

extension XMPPServer {
    /// The control API's listener: HTTP/1.1 on 127.0.0.1 only, whatever `listen.address` says; the API changes
    /// and reveals everything, so it is never reachable from another machine.
    func listenControl(port: Int, service: ControlService) throws -> any Channel {
        let channel = try ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ControlHTTPHandler(service: service))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .wait()
        self.channels.withLock { $0.append(channel) }
        self.logger.notice(
            "The control API is on (loopback only)",
            metadata: ["port": "\(channel.localAddress?.port ?? port)"]
        )
        return channel
    }
}
