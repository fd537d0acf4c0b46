import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The plain-TCP transport on the raw loop: a non-blocking socket, one `recv` per readiness event into the loop's
/// shared buffer, and the client's replies to a read gathered into one `send`.
///
/// System calls per connection: `socket`, `setsockopt(TCP_NODELAY)`, `connect`, two `epoll_ctl` (add; drop write
/// interest once connected), then one `recv` per burst from the server and one `send` per burst of the client, and
/// `close`.
final class RawStreamLink: RawEventLoop.Handler, ClientLink {
    private let fd: Int32
    private let loop: RawEventLoop
    private let client: LoadClient
    private let templates: StanzaTemplates
    private var framer = XMLFramer(rootDepth: 1)
    private var connected = false
    private var closed = false
    private var reading = false
    private var outbound = ByteBuffer()
    private var watchingWritable = false

    private init(fd: Int32, loop: RawEventLoop, client: LoadClient, templates: StanzaTemplates) {
        self.fd = fd
        self.loop = loop
        self.client = client
        self.templates = templates
    }

    /// Starts a connection for `client`; failures reach the client as `connectFailed`.
    static func connect(client: LoadClient, loop: RawEventLoop, address: SocketAddress, templates: StanzaTemplates) {
        let fd = socket(
            address.protocol.rawValue,
            Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else {
            client.connectFailed(RawSocketError(errno: errno, operation: "socket"))
            return
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, socklen_t(length)) }
        if result != 0 && errno != EINPROGRESS {
            let code = errno
            close(fd)
            client.connectFailed(RawSocketError(errno: code, operation: "connect"))
            return
        }
        let link = RawStreamLink(fd: fd, loop: loop, client: client, templates: templates)
        do {
            try loop.register(fd, events: RawEventLoop.readable | RawEventLoop.writable, handler: link)
        } catch {
            close(fd)
            client.connectFailed(error)
        }
    }

    func handle(events: UInt32) {
        guard !self.closed else { return }
        if !self.connected {
            if events & RawEventLoop.failed != 0 {
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &code, &length)
                self.loop.unregister(self.fd)
                close(self.fd)
                self.closed = true
                self.client.connectFailed(RawSocketError(errno: code == 0 ? ECONNREFUSED : code, operation: "connect"))
                return
            }
            guard events & RawEventLoop.writable != 0 else { return }
            self.connected = true
            self.loop.modify(self.fd, events: RawEventLoop.readable)
            self.client.worker.clientConnected(self.client)
            self.client.linkUp(self)
            return
        }
        if events & (RawEventLoop.readable | RawEventLoop.failed) != 0 {
            self.readNow()
        }
        if !self.closed && events & RawEventLoop.writable != 0 {
            self.flush()
        }
    }

    private func readNow() {
        let buffer = self.loop.readBuffer
        let count = recv(self.fd, buffer.baseAddress, buffer.count, 0)
        if count > 0 {
            self.reading = true
            self.framer.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            let client = self.client
            let valid = self.framer.process { event in
                switch event {
                case .streamOpened:
                    return .proceed
                case .element(let element):
                    return client.received(element)
                case .streamClosed:
                    client.streamClosedByServer()
                    return .stop
                }
            }
            if !valid { client.fail("protocol:not-well-formed") }
            self.reading = false
            if !self.closed { self.flush() }
        } else if count == 0 {
            self.closeNow(error: nil)
        } else if errno != EAGAIN && errno != EINTR {
            self.closeNow(error: RawSocketError(errno: errno, operation: "recv"))
        }
    }

    private func flush() {
        while self.outbound.readableBytes > 0 {
            let written = self.outbound.withUnsafeReadableBytes { bytes in
                Glibc.send(self.fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                self.outbound.moveReaderIndex(forwardBy: written)
                continue
            }
            if written < 0 && (errno == EAGAIN || errno == EINTR) {
                if !self.watchingWritable {
                    self.watchingWritable = true
                    self.loop.modify(self.fd, events: RawEventLoop.readable | RawEventLoop.writable)
                }
                return
            }
            self.closeNow(error: RawSocketError(errno: errno, operation: "send"))
            return
        }
        self.outbound.clear()
        if self.watchingWritable {
            self.watchingWritable = false
            self.loop.modify(self.fd, events: RawEventLoop.readable)
        }
    }

    private func closeNow(error: (any Error)?) {
        guard !self.closed else { return }
        self.closed = true
        self.loop.unregister(self.fd)
        close(self.fd)
        self.client.linkClosed(error: error)
    }

    // MARK: - ClientLink

    func openStream(restart: Bool) {
        self.send(self.client.focus != nil ? self.templates.focusStreamOpen : self.templates.streamOpen)
    }

    func send(_ buffer: ByteBuffer) {
        guard !self.closed else { return }
        if self.outbound.readableBytes == 0 && self.outbound.readerIndex > 0 { self.outbound.clear() }
        var buffer = buffer
        self.outbound.writeBuffer(&buffer)
        if !self.reading { self.flush() }
    }

    func makeBuffer(capacity: Int) -> ByteBuffer {
        ByteBuffer()
    }

    var supportsTLS: Bool { false }

    func startTLS() throws {
        throw RawSocketError(errno: EOPNOTSUPP, operation: "starttls")
    }

    func closeStream() {
        self.send(self.templates.streamClose)
    }

    func abort() {
        self.closeNow(error: nil)
    }
}
