import NIOCore
import NIOHTTP1
import NIOWebSocket
import ParleyTransports

/// The WebSocket upgrade (RFC 6455 §4.2.2) for a handshake that `WebSocketHandshakeHandler` leaves to NIO's HTTP
/// pipeline: NIO's `HTTPServerUpgradeHandler` parses and answers it, and this puts the same session handler in place
/// as the fast path does, reading the bytes NIO's HTTP decoder hands on. Its checks are those of NIO's
/// `NIOWebSocketServerUpgrader`: one `Sec-WebSocket-Key`, one `Sec-WebSocket-Version: 13`, and the server's own
/// (`upgradeHeaders`: the `xmpp` subprotocol at `/xmpp-websocket`, RFC 7395 §3.3.1, and the room-name policy).
/// A refused upgrade leaves the request to the HTTP handler, which answers it.
struct XMPPWebSocketUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol = "websocket"
    /// None: NIO requires these to be named in `Connection` too, which browsers do not do; the key and the version
    /// are checked in `buildUpgradeResponse`, as NIO's own WebSocket upgrader does.
    let requiredUpgradeHeaders: [String] = []
    /// The extra response headers for a request's target and offered subprotocols; nil refuses the upgrade.
    let upgradeHeaders: @Sendable (String, [String]) -> [(String, String)]?
    /// Adds the session's handler for a target and the `X-Forwarded-For` values.
    let addSession: @Sendable (any Channel, String, [String]) throws -> Void

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        let keys = upgradeRequest.headers["Sec-WebSocket-Key"]
        guard keys.count == 1, let key = keys.first, upgradeRequest.headers["Sec-WebSocket-Version"] == ["13"] else {
            return channel.eventLoop.makeFailedFuture(NIOWebSocketUpgradeError.invalidUpgradeHeader)
        }
        let protocols = upgradeRequest.headers["Sec-WebSocket-Protocol"].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let extra = self.upgradeHeaders(upgradeRequest.uri, protocols) else {
            return channel.eventLoop.makeFailedFuture(NIOWebSocketUpgradeError.unsupportedWebSocketTarget)
        }
        var headers = initialResponseHeaders
        headers.add(contentsOf: extra)
        headers.replaceOrAdd(name: "Upgrade", value: "websocket")
        headers.add(name: "Sec-WebSocket-Accept", value: WebSocketHandshake.accept(forKey: key))
        headers.replaceOrAdd(name: "Connection", value: "upgrade")
        return channel.eventLoop.makeSucceededFuture(headers)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        context.eventLoop.makeCompletedFuture {
            try self.addSession(context.channel, upgradeRequest.uri, upgradeRequest.headers["X-Forwarded-For"])
        }
    }
}
