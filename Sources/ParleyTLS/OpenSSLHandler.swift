import NIOCore

/// TLS as a channel handler: ciphertext below, plaintext above, OpenSSL over a `ByteBufferBIO` in between.
///
/// Added at the front of a c2s pipeline right after `<proceed/>` for STARTTLS (RFC 6120 §5.4.3.3), or when the
/// connection is accepted on a direct TLS port (XEP-0368). Takes the server or client role from its `TLSContext`.
///
/// - The handshake starts as soon as the channel is active (on `handlerAdded` if it already is).
/// - Writes made before the handshake completes are held, then encrypted in order once it has; their promises
///   complete with the write of the ciphertext that carries them.
/// - On completion it fires the user inbound event `TLSHandshakeCompleted`, before any plaintext.
/// - `close` sends close_notify (RFC 8446 §6.1), then closes; a close_notify from the peer is answered and closes
///   the channel too.
/// - Any handshake or record failure (garbage, a wrong version, a rejected certificate) fires `errorCaught` with an
///   `OpenSSLError` exactly once and closes the channel; nothing is read or written after that.
public final class OpenSSLHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// NIOSSL's connection states.
    enum ConnectionState {
        case idle
        case handshaking
        case active
        /// Our close_notify is being written; the promise completes when the channel has closed.
        case closing(EventLoopPromise<Void>?)
        case closed
    }

    private(set) var state: ConnectionState = .idle

    private var isClosed: Bool {
        if case .closed = self.state { true } else { false }
    }
    let connection: TLSConnection
    /// Plaintext writes not yet encrypted, oldest first.
    var pendingWrites = CircularBuffer<PendingWrite>()
    /// How many of `pendingWrites`, from the front, a flush has covered.
    var flushedWriteCount = 0

    struct PendingWrite {
        var data: ByteBuffer
        var promise: EventLoopPromise<Void>?
    }

    /// - Parameters:
    ///   - context: a server or client context; the handler takes its role.
    ///   - serverHostname: client side only: the name sent as SNI and, if the context verifies peers, checked
    ///     against the server's certificate.
    /// - Throws: `OpenSSLError` if OpenSSL cannot create the session or refuses the hostname.
    public init(context: TLSContext, serverHostname: String? = nil) throws {
        self.connection = try TLSConnection(context: context, serverHostname: serverHostname)
    }

    // MARK: - Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.startHandshake(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.failPendingWrites(ChannelError.ioOnClosedChannel)
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.startHandshake(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        let previous = self.state
        self.state = .closed
        self.failPendingWrites(ChannelError.ioOnClosedChannel)
        if case .closing(let promise) = previous {
            promise?.succeed(())
        }
        context.fireChannelInactive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .idle = self.state else {
            return
        }
        self.state = .handshaking
        self.advanceHandshake(context: context)
    }

    // MARK: - Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.state {
        case .closed:
            return  // after a failure or close nothing more is read
        case .idle:
            self.state = .handshaking
        case .handshaking, .active, .closing:
            break
        }
        self.connection.receive(self.unwrapInboundIn(data))
        if case .handshaking = self.state {
            self.advanceHandshake(context: context)
        }
        switch self.state {
        case .active, .closing:
            self.readPlaintext(context: context)
        case .idle, .handshaking, .closed:
            break
        }
        self.connection.finishReceiving()
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        let result = self.connection.handshake()
        guard case .complete(let summary) = result else {
            self.writeCiphertext(context: context)
            switch result {
            case .complete, .incomplete:
                break
            case .closed:
                let reasons = ["the peer closed the connection during the handshake"]
                self.fail(context: context, error: OpenSSLError(operation: "SSL_do_handshake", reasons: reasons))
            case .failed(let error):
                self.fail(context: context, error: error)
            }
            return
        }
        self.state = .active
        // The last flight (a client's Finished) and the writes held during the handshake leave with one flush, so
        // the peer gets them in one segment and reads them at once.
        let queued = self.writeCiphertext(context: context, flush: false)
        context.fireUserInboundEventTriggered(summary)
        if !self.encryptFlushedWrites(context: context) && queued {
            context.flush()
        }
    }

    /// Decrypts everything received into one buffer, then passes it on. Decrypting first means a handler above that
    /// writes or closes in its `channelRead` never runs while OpenSSL is mid-read.
    private func readPlaintext(context: ChannelHandlerContext) {
        guard self.connection.hasInput else {
            return
        }
        var plaintext = context.channel.allocator.buffer(capacity: 0)
        let ending = self.connection.readPlaintext(into: &plaintext)
        self.writeCiphertext(context: context)  // e.g. the answer to a TLS 1.3 KeyUpdate
        if plaintext.readableBytes > 0, !self.isClosed {
            context.fireChannelRead(self.wrapInboundOut(plaintext))
        }
        switch ending {
        case .failed(let error):
            self.fail(context: context, error: error)
        case .closed:
            self.peerSentCloseNotify(context: context)
        case .complete, .incomplete:
            break
        }
    }

    private func peerSentCloseNotify(context: ChannelHandlerContext) {
        switch self.state {
        case .active:
            self.sendCloseNotifyThenClose(context: context, promise: nil)
        case .closing(let promise):
            // Both close_notify alerts have crossed: nothing is left to wait for.
            self.state = .closed
            context.close(promise: promise)
        case .idle, .handshaking, .closed:
            break
        }
    }

    // MARK: - Closing

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        switch self.state {
        case .idle, .handshaking:
            // No session to close yet: nothing secret was sent, so close the transport.
            self.state = .closed
            self.failPendingWrites(ChannelError.ioOnClosedChannel)
            context.close(promise: promise)
        case .active:
            self.encryptFlushedWrites(context: context)
            self.failPendingWrites(ChannelError.ioOnClosedChannel)
            if case .active = self.state {
                self.sendCloseNotifyThenClose(context: context, promise: promise)
            } else {
                context.close(promise: promise)
            }
        case .closing(let pending):
            if let pending {
                pending.futureResult.cascade(to: promise)
            } else {
                self.state = .closing(promise)
            }
        case .closed:
            context.close(promise: promise)
        }
    }

    /// Sends close_notify and closes once it has been written, so the alert is not lost to a socket closed under it.
    private func sendCloseNotifyThenClose(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        self.state = .closing(promise)
        self.connection.shutdown()
        let ciphertext = self.connection.takeCiphertext() ?? context.channel.allocator.buffer(capacity: 0)
        context.writeAndFlush(self.wrapOutboundOut(ciphertext)).assumeIsolated().whenComplete { _ in
            guard case .closing(let promise) = self.state else {
                return
            }
            self.state = .closed
            context.close(promise: promise)
        }
    }

    /// The one way a failure ends the connection: send any alert OpenSSL queued, fail the held writes, report the
    /// error once, close.
    func fail(context: ChannelHandlerContext, error: OpenSSLError) {
        let closePromise: EventLoopPromise<Void>?
        switch self.state {
        case .closed:
            return
        case .closing(let promise):
            closePromise = promise
        case .idle, .handshaking, .active:
            closePromise = nil
        }
        self.state = .closed
        self.writeCiphertext(context: context)
        self.failPendingWrites(error)
        context.fireErrorCaught(error)
        context.close(promise: closePromise)
    }
}

@available(*, unavailable)
extension OpenSSLHandler: Sendable {}
