import NIOCore

/// Opens plain-TCP clients on a raw loop (see `RawEventLoop` for why).
final class RawConnector: ClientConnecting {
    private let loop: RawEventLoop
    private let address: SocketAddress
    private let templates: StanzaTemplates

    init(loop: RawEventLoop, address: SocketAddress, templates: StanzaTemplates) {
        self.loop = loop
        self.address = address
        self.templates = templates
    }

    func connect(_ client: LoadClient) {
        RawStreamLink.connect(client: client, loop: self.loop, address: self.address, templates: self.templates)
    }
}
