import NIOCore

/// Holds a `read` while the channel is unwritable and passes it on once it is writable again (RFC 6120 §13.12: a
/// peer that sends without reading fills its own socket buffers, not the server's memory). It is what NIO's
/// `BackPressureHandler` does, kept inside a session's own handler (`C2SHandler`, `WebSocketC2SHandler`), so that its
/// connection needs no handler and context for it and a read takes one hop fewer.
struct BackPressureGate {
    private var held = false

    /// The handler's `read(context:)`.
    mutating func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            self.held = true
        }
    }

    /// The handler's `channelWritabilityChanged(context:)`, before it passes the event on.
    mutating func writabilityChanged(context: ChannelHandlerContext) {
        if self.held, context.channel.isWritable {
            self.held = false
            context.read()
        }
    }

    /// The handler leaves the pipeline: a held read goes on.
    mutating func release(context: ChannelHandlerContext) {
        if self.held {
            self.held = false
            context.read()
        }
    }
}
