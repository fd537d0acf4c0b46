import NIOCore
import ParleyTransports

/// The first handler of a web connection: answers a browser's plain WebSocket handshake itself
/// (`WebSocketHandshake`, RFC 6455 §4.2.2) and puts the session's handler in its place; hands anything else
/// (BOSH, health, an unusual or refused handshake) on unchanged: to `BOSHHTTPHandler`, which answers plain BOSH
/// requests and gives everything else to NIO's HTTP pipeline, which answers it as before.
/// Either way it leaves the pipeline after the first request head. Loop-bound, like the pipeline it is in.
///
/// NIO's HTTP decoder and upgrade handler cost ~150,000 instructions per WebSocket connection (parsing, building
/// and removing five handlers, header lookups); with this handler a WebSocket login and join took 869,345
/// instructions instead of 1,059,681 (callgrind, Docs/benchmark-details.md).
final class WebSocketHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The extra response headers for a handshake the server takes, nil for one it leaves to NIO's pipeline.
    typealias Accepting = (WebSocketHandshake) -> [(String, String)]?
    /// Adds the WebSocket handlers after this one, for the handshake taken.
    typealias InstallWebSocket = (any Channel, WebSocketHandshake) throws -> Void
    /// Adds the handlers for everything but the plain handshake after this one.
    typealias InstallHTTP = (any Channel) throws -> Void

    private let accepting: Accepting
    private let installWebSocket: InstallWebSocket
    private let installHTTP: InstallHTTP
    private var buffered: ByteBuffer?

    init(
        accepting: @escaping Accepting,
        installWebSocket: @escaping InstallWebSocket,
        installHTTP: @escaping InstallHTTP
    ) {
        self.accepting = accepting
        self.installWebSocket = installWebSocket
        self.installHTTP = installHTTP
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        var bytes: ByteBuffer
        if var earlier = self.buffered {
            self.buffered = nil
            earlier.writeBuffer(&input)
            bytes = earlier
        } else {
            bytes = input
        }
        switch bytes.withUnsafeReadableBytes({ WebSocketHandshake.read($0) }) {
        case .needMore:
            self.buffered = bytes
        case .notRecognized:
            self.handOverToHTTP(context: context, bytes: bytes)
        case .handshake(let handshake, let headLength):
            guard let headers = self.accepting(handshake) else {
                return self.handOverToHTTP(context: context, bytes: bytes)
            }
            // The response first: the WebSocket handlers may write as soon as they are added.
            context.writeAndFlush(
                self.wrapOutboundOut(WebSocketHandshakeHandler.response(handshake, headers: headers, context.channel)),
                promise: nil
            )
            do {
                try self.installWebSocket(context.channel, handshake)
            } catch {
                return context.fireErrorCaught(error)
            }
            bytes.moveReaderIndex(forwardBy: headLength)
            self.leave(context: context, passing: bytes)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.buffered = nil
        context.fireChannelInactive()
    }

    /// The next path takes the connection from its first byte.
    private func handOverToHTTP(context: ChannelHandlerContext, bytes: ByteBuffer) {
        do {
            try self.installHTTP(context.channel)
        } catch {
            return context.fireErrorCaught(error)
        }
        self.leave(context: context, passing: bytes)
    }

    /// Passes what was read on to the handlers now after this one, and leaves.
    private func leave(context: ChannelHandlerContext, passing bytes: ByteBuffer) {
        if bytes.readableBytes > 0 { context.fireChannelRead(self.wrapInboundOut(bytes)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// `101 Switching Protocols` (RFC 6455 §4.2.2 item 5), with the headers in the order NIO's upgrader writes them.
    static func response(
        _ handshake: WebSocketHandshake,
        headers: [(String, String)],
        _ channel: any Channel
    )
        -> ByteBuffer
    {
        var buffer = channel.allocator.buffer(capacity: 256)
        buffer.writeStaticString("HTTP/1.1 101 Switching Protocols\r\n")
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("Upgrade: websocket\r\nSec-WebSocket-Accept: ")
        buffer.writeString(handshake.accept)
        buffer.writeStaticString("\r\nConnection: upgrade\r\n\r\n")
        return buffer
    }
}

@available(*, unavailable)
extension WebSocketHandshakeHandler: Sendable {}
