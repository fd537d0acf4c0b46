import NIOCore
import NIOPosix

/// A HAProxy agent-check port (HAProxy's `agent-check agent-port N`), as signal-sidecar's TCP agent serves one, so
/// an install needs no sidecar: each connection gets one line and is closed.
///
/// | state | readiness (`/ready`) | line |
/// |---|---|---|
/// | `ready` | ready | `up ready 100%` |
/// | `ready` | not ready (no focus or no bridge) | `up drain 0%` (existing rooms stay, new ones go elsewhere) |
/// | `drain` | any | `up drain 0%` |
/// | `maint` | any | `maint` |
///
/// HAProxy's agent protocol: words separated by spaces, a weight as a percentage, `ready`/`drain`/`maint` for the
/// administrative state and `up` for the operational one, ended by a newline.
enum HAProxyAgent {
    static func line(state: ShardState, ready: Bool) -> String {
        switch state {
        case .maint: "maint\n"
        case .drain: "up drain 0%\n"
        case .ready: ready ? "up ready 100%\n" : "up drain 0%\n"
        }
    }

    /// Binds the agent port; every connection gets the current line and is closed.
    static func listen(
        host: String,
        port: Int,
        group: any EventLoopGroup,
        endpoints: OperatorEndpoints
    ) throws -> any Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AgentHandler(endpoints: endpoints))
                }
            }
            .bind(host: host, port: port)
            .wait()
    }

    private final class AgentHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let endpoints: OperatorEndpoints

        init(endpoints: OperatorEndpoints) {
            self.endpoints = endpoints
        }

        func channelActive(context: ChannelHandlerContext) {
            let channel = context.channel
            let endpoints = self.endpoints
            let state = endpoints.status.state
            endpoints.bridges(on: context.eventLoop).whenComplete { result in
                // No brewery watched: nil, which no bridge is missing from (as `/ready` counts it).
                let bridges: Int?
                switch result {
                case .success(let count): bridges = count
                case .failure: bridges = 0
                }
                let readiness = OperatorEndpoints.Readiness(focusOnline: endpoints.focusOnline, bridges: bridges)
                let line = HAProxyAgent.line(state: state, ready: readiness.missing.isEmpty)
                channel.writeAndFlush(channel.allocator.buffer(string: line)).whenComplete { _ in
                    channel.close(promise: nil)
                }
            }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
