import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import ParleyTLS

/// Opens a client's connection(s) on one event loop and builds the pipeline for its transport.
///
/// One bootstrap serves every connection of the loop: XMPP and HTTP servers speak second, so the handlers are
/// added once the TCP connection is up, with nothing lost in between.
final class ClientConnector: ClientConnecting {
    private let eventLoop: any EventLoop
    private let configuration: LoadConfiguration
    private let templates: StanzaTemplates
    private let tls: TLSContext?
    private let address: SocketAddress
    private let bootstrap: ClientBootstrap
    private let hostHeader: String

    init(
        eventLoop: any EventLoop,
        configuration: LoadConfiguration,
        templates: StanzaTemplates,
        tls: TLSContext?,
        address: SocketAddress
    ) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.templates = templates
        self.tls = tls
        self.address = address
        self.hostHeader = "\(configuration.host):\(configuration.port)"
        self.bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 256, initial: 2048, maximum: 65536)
            )
    }

    func connect(_ client: LoadClient) {
        switch self.configuration.transport {
        case .tcp, .starttls:
            self.openChannel(client) { channel in
                let handler = StreamLinkHandler(
                    client: client,
                    templates: self.templates,
                    tls: self.tls,
                    serverName: client.focus != nil ? self.templates.focusDomain : self.configuration.domain
                )
                try channel.pipeline.syncOperations.addHandler(handler)
            }
        case .websocket:
            self.openChannel(client) { channel in try self.configureWebSocket(channel, client) }
        case .bosh:
            let domain = client.focus != nil ? self.templates.focusDomain : self.configuration.domain
            let session = BOSHSession(client: client, templates: self.templates, domain: domain) {
                [unowned self] session in
                self.openBOSHConnection(session, client: client)
            }
            session.start()
        }
    }

    private func openChannel(_ client: LoadClient, configure: @escaping (any Channel) throws -> Void) {
        self.bootstrap.connect(to: self.address).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                client.worker.clientConnected(client)
                do {
                    try configure(channel)
                } catch {
                    client.fail("error:pipeline")
                    channel.close(promise: nil)
                }
            case .failure(let error):
                client.connectFailed(error)
            }
        }
    }

    private func configureWebSocket(_ channel: any Channel, _ client: LoadClient) throws {
        let requester = WebSocketUpgradeRequester(
            client: client,
            host: self.hostHeader,
            path: self.configuration.path(forRoom: client.room)
        )
        let boundClient = NIOLoopBound(client, eventLoop: channel.eventLoop)
        let boundRequester = NIOLoopBound(requester, eventLoop: channel.eventLoop)
        let templates = self.templates
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20) { channel, response in
            let client = boundClient.value
            guard response.headers[canonicalForm: "Sec-WebSocket-Protocol"].contains(where: { $0 == "xmpp" }) else {
                // RFC 7395 §3.2: without the `xmpp` subprotocol the client closes.
                client.fail("websocket:no-xmpp-subprotocol")
                return channel.close()
            }
            do {
                try channel.pipeline.syncOperations.addHandler(
                    NIOWebSocketFrameAggregator(
                        minNonFinalFragmentSize: 0,
                        maxAccumulatedFrameCount: 1024,
                        maxAccumulatedFrameSize: 1 << 22
                    )
                )
                try channel.pipeline.syncOperations.addHandler(
                    WebSocketLinkHandler(client: client, templates: templates)
                )
                return channel.eventLoop.makeSucceededVoidFuture()
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        let upgrade: NIOHTTPClientUpgradeConfiguration = (
            upgraders: [upgrader],
            completionHandler: { context in
                context.pipeline.syncOperations.removeHandler(boundRequester.value, promise: nil)
            }
        )
        try channel.pipeline.syncOperations.addHTTPClientHandlers(withClientUpgrade: upgrade)
        try channel.pipeline.syncOperations.addHandler(requester)
    }

    private func openBOSHConnection(_ session: BOSHSession, client: LoadClient) {
        self.bootstrap.connect(to: self.address).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                if !client.connectionCounted { client.worker.clientConnected(client) }
                do {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        BOSHConnectionHandler(
                            session: session,
                            host: self.hostHeader,
                            path: self.configuration.path(forRoom: client.room)
                        )
                    )
                } catch {
                    channel.close(promise: nil)
                    session.connectFailed(error)
                }
            case .failure(let error):
                session.connectFailed(error)
            }
        }
    }
}
