import Logging
import NIOCore
import ParleyCore
import ParleyTransports
import ParleyXML

/// A client connection over TCP (RFC 6120): the framing for a `C2SSession`. Bytes go through the stream
/// parser; the session's output is written as one `<stream:stream>` document.
///
/// STARTTLS happens in one tick, in this order: `<proceed/>` is flushed in plaintext, the TLS handler is
/// inserted first in the pipeline, the parser restarts (RFC 6120 §5.4.3.3; Prosody's `mod_tls` does the same).
final class C2SHandler: ChannelDuplexHandler, RemovableChannelHandler, C2STransport {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How long a closing stream may take to flush its last bytes.
    static let closeGracePeriod: TimeAmount = .seconds(2)
    /// How long input is drained after the last bytes of a closing stream were written.
    static let lingerPeriod: TimeAmount = .milliseconds(150)

    private let shared: C2SContext
    private let secured: Bool
    private let loopback: Bool
    private let connectionID: String
    private let parser: XMLStreamParser
    private var session: C2SSession?
    private var context: ChannelHandlerContext?
    /// Where this connection waits to be closed once its stream has ended (`ClosingConnections`).
    private var closeTickets: [ClosingConnections.Ticket] = []
    /// This loop's closing connections, looked up once the stream ends.
    private lazy var closers: ClosingConnections = self.shared.closingConnections(for: self.eventLoop).value
    /// Output since the last flush: a burst (a room's broadcast, a login step) leaves as one write.
    /// Nil between bursts, so an idle session holds no buffer.
    private var pendingOutput: ByteBuffer?
    /// The session's own address as written in `to`, nearly every delivery's recipient.
    private var recipientAddress = RecipientAddressCache()

    init(context shared: C2SContext, eventLoop: any EventLoop, secured: Bool, loopback: Bool, connectionID: String) {
        self.shared = shared
        self.eventLoop = eventLoop
        self.secured = secured
        self.loopback = loopback
        self.connectionID = connectionID
        self.parser = XMLStreamParser(
            configuration: .init(maxStanzaBytes: shared.settings.maxStanzaBytes, maxDepth: shared.settings.maxDepth)
        )
    }

    let eventLoop: any EventLoop

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.throttle = try? context.pipeline.syncOperations.handler(type: ReadThrottleHandler.self)
        if context.channel.isActive { self.begin(context: context) }
    }

    /// The pipeline's `ReadThrottleHandler`, when the server limits rates at all.
    private var throttle: ReadThrottleHandler?

    func limitReading(to bytesPerSecond: Double?) { self.throttle?.limit(to: bytesPerSecond) }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.backPressure.release(context: context)
        self.context = nil
    }

    /// Reading waits while the channel is unwritable (`BackPressureGate`).
    private var backPressure = BackPressureGate()

    func read(context: ChannelHandlerContext) { self.backPressure.read(context: context) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.backPressure.writabilityChanged(context: context)
        context.fireChannelWritabilityChanged()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.begin(context: context)
        context.fireChannelActive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard self.session == nil else { return }
        let session = C2SSession(
            context: self.shared,
            transport: self,
            secured: self.secured,
            encryptionExempt: self.loopback && self.shared.settings.allowPlaintextLoopback,
            connectionID: self.connectionID,
            canStartTLS: true,
            supportsStreamManagement: true
        )
        self.session = session
        // The channel's address, which NIO read once when it accepted the connection. The context's asks the kernel
        // again (`getpeername`) and formats the address again, each time.
        let remote = context.channel.remoteAddress
        session.connectionOpened(remote: remote)
        session.startRateLimits(address: remote?.ipAddress)
        if self.shared.settings.logAddresses, let address = remote {
            session.logger.info("Client connected", metadata: ["address": "\(address)"])
        } else {
            session.debug("Client connected")
        }
        session.start()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session = self.session, !session.closing else { return }
        let buffer = self.unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in
                try self.parser.feed(bytes) { event in session.receive(event) }
            }
        } catch let error as XMLStreamError {
            session.inputRefused(error)
        } catch {
            session.close(StreamError(.internalServerError))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.closeTickets.isEmpty { self.closers.forget(&self.closeTickets) }
        self.session?.transportClosed()
        self.session = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS failures and socket errors end here: count and log the reason, close this connection, nothing else.
        C2SHandler.connectionFailed(
            error,
            logger: self.session?.logger ?? self.shared.logger,
            metrics: self.shared.metrics
        )
        context.close(promise: nil)
    }

    /// Counts a connection's failure by kind; a client going away (reset, broken pipe, timeout) is logged at
    /// debug only: a join storm's clients leaving must not write one info line each (issue 13.8).
    static func connectionFailed(_ error: any Error, logger: Logger, metrics: ServerMetrics) {
        let kind = ConnectionErrorKind(error)
        metrics.connectionError(kind)
        if kind.isClientGoingAway {
            logger.debug("Connection ended by the client", metadata: ["reason": "\(kind.label)"])
        } else {
            logger.info("Connection error: \(error)")
        }
    }

    // MARK: - C2STransport

    func sendStreamHeader(id: String, host: String) {
        self.withPendingOutput { buffer in
            buffer.writeStaticString(C2SHandler.streamHeaderStart)
            buffer.writeString(id)  // made by SecureRandom from an alphabet that needs no escaping
            buffer.writeStaticString("' from='")
            buffer.writeString(XMLEscaping.escaped(host))
            buffer.writeStaticString("' version='1.0' xml:lang='en'>")
        }
    }

    /// RFC 6120 §4.7: the response stream header up to the value of its `id`.
    private static let streamHeaderStart: StaticString =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='"

    func send(_ element: XMLElement) {
        let bytes =
            element.namespace == Namespace.streams
            ? StreamElementEncoding.encode(element, declarePrefix: false)
            : element.serialized(inheritedNamespace: Namespace.client)
        self.withPendingOutput { $0.writeBytes(bytes) }
    }

    func send(_ prepared: PreparedStreamElement) { self.withPendingOutput { $0.writeBytes(prepared.inStream) } }

    func send(_ bytes: StanzaBytes, to recipient: JID?) {
        let value = recipient.map { self.recipientAddress.value(for: $0) }
        self.withPendingOutput { $0.writeStanza(bytes, toAttributeValue: value, declareNamespace: false) }
    }

    private func withPendingOutput(_ body: (inout ByteBuffer) -> Void) {
        guard let context = self.context else { return }
        var buffer = self.pendingOutput ?? context.channel.allocator.buffer(capacity: 1024)
        self.pendingOutput = nil  // one reference while writing: no copy-on-write
        body(&buffer)
        self.pendingOutput = buffer
    }

    func flush() {
        guard let context = self.context else { return }
        self.writePendingOutput(context: context)
        context.flush()
    }

    /// Reading from this client pauses while its channel is unwritable (`read(context:)`), so what grows past the
    /// high water mark comes from other sessions.
    var outputBacklog: Int { C2SHandler.outputBacklog(of: self.context?.channel) }

    /// Bytes waiting in `channel` for the peer: 0 while it is writable (the common case costs one atomic load).
    static func outputBacklog(of channel: (any Channel)?) -> Int {
        guard let channel, !channel.isWritable else { return 0 }
        return (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// Hands what `send` gathered to the pipeline as one buffer.
    private func writePendingOutput(context: ChannelHandlerContext) {
        guard let output = self.pendingOutput else { return }
        self.pendingOutput = nil
        context.write(self.wrapOutboundOut(output), promise: nil)
    }

    func startTLS() -> Bool {
        guard let context = self.context, let make = self.shared.makeTLSHandler else { return false }
        self.flush()
        do {
            try context.pipeline.syncOperations.addHandler(try make(), position: .first)
        } catch {
            return false
        }
        self.parser.reset()
        return true
    }

    func restartStream() { self.parser.reset() }

    func raiseStanzaLimit(to bytes: Int) { self.parser.configuration.maxStanzaBytes = bytes }

    func close(_ error: StreamError?, needsHeader: Bool) {
        guard let context = self.context else { return }
        // What is still pending goes first, in the same write.
        var buffer = self.pendingOutput ?? context.channel.allocator.buffer(capacity: 256)
        self.pendingOutput = nil
        if let error {
            if needsHeader {
                buffer.writeStaticString(
                    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
                )
            }
            buffer.writeBytes(StreamElementEncoding.encode(error.element, declarePrefix: false))
        }
        buffer.writeStaticString("</stream:stream>")
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.writeAndFlush(self.wrapOutboundOut(buffer)).whenComplete { _ in
            // Lingering close: input is still read (and dropped) for a moment, so a peer that is still
            // sending does not get a reset that would discard the stream error before it reads it.
            handler.value.closeLater(linger: true)
        }
        // A write can wait forever behind a TLS handshake the peer never finishes, or a peer that never
        // reads: close regardless after a grace period.
        self.closeLater(linger: false)
    }

    func abort() {
        self.pendingOutput = nil
        self.context?.close(promise: nil)
    }

    /// Hands the connection to the loop's `ClosingConnections`, unless it is closed already.
    private func closeLater(linger: Bool) {
        guard let channel = self.context?.channel else { return }
        let closers = self.closers
        closers.closeLater(channel, linger: linger, tickets: &self.closeTickets)
    }
}

@available(*, unavailable)
extension C2SHandler: Sendable {}
