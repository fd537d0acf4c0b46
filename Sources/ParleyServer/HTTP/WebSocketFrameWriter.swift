import NIOCore
import NIOWebSocket
import ParleyTransports

/// Sits on the head side of NIO's `WebSocketFrameEncoder` and writes text frames already framed by
/// `WebSocketServerFrame`, one buffer each, past the encoder. Everything else passes through untouched.
/// Loop-bound, like the pipeline it is in.
final class WebSocketFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes `payload` (made by `WebSocketServerFrame.payloadBuffer`) as one final text frame; false when this
    /// writer has left the pipeline.
    func writeText(_ payload: inout ByteBuffer) -> Bool {
        guard let context = self.context else { return false }
        if !WebSocketServerFrame.prependHeader(to: &payload) {
            // No room before the payload: copied once into a buffer that has it.
            var framed = WebSocketServerFrame.payloadBuffer(context.channel.allocator, capacity: payload.readableBytes)
            framed.writeBuffer(&payload)
            WebSocketServerFrame.prependHeader(to: &framed)
            payload = framed
        }
        context.write(self.wrapOutboundOut(payload), promise: nil)
        return true
    }

    /// Puts a writer on the head side of the encoder `NIOWebSocketServerUpgrader` has added.
    static func install(in pipeline: ChannelPipeline.SynchronousOperations) throws -> WebSocketFrameWriter {
        let writer = WebSocketFrameWriter()
        let encoder = try pipeline.handler(type: WebSocketFrameEncoder.self)
        try pipeline.addHandler(writer, position: .before(encoder))
        return writer
    }
}

@available(*, unavailable)
extension WebSocketFrameWriter: Sendable {}
