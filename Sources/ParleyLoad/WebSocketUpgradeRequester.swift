import NIOCore
import NIOHTTP1

/// Sends the RFC 6455 opening handshake for RFC 7395 (`GET <path>` with `Sec-WebSocket-Protocol: xmpp`; NIO's
/// upgrade handler adds the key and the `Upgrade` headers) and reports a refused upgrade as `http:<status>`.
/// It is removed from the pipeline once the upgrade has succeeded.
final class WebSocketUpgradeRequester: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let client: LoadClient
    private let host: String
    private let path: String
    private var sent = false

    init(client: LoadClient, host: String, path: String) {
        self.client = client
        self.host = host
        self.path = path
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard !self.sent else { return }
        self.sent = true
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: self.host)
        headers.add(name: "Sec-WebSocket-Protocol", value: "xmpp")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: self.path, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data), head.status != .switchingProtocols {
            self.client.fail("http:\(head.status.code)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.client.linkClosed(error: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.client.fail("websocket:upgrade-refused")
        context.close(promise: nil)
    }
}
