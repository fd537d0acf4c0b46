import NIOCore
import NIOWebSocket
import ParleyCore
import ParleyTLS
import ParleyTransports
import ParleyXML

/// A client session over WebSocket (RFC 7395): the framing for a `C2SSession`. Text frames in, one element
/// per frame out; ping answered with pong; a bad frame ends that session with the stream error RFC 6120 names.
///
/// It also holds back reading while its channel is unwritable (RFC 6120 §13.12, as NIO's `BackPressureHandler` does
/// on the other connections): a client that sends without reading fills its own socket buffers, not the server's
/// memory. Done here, not by a handler of its own, because every handler is a context per session and a hop for
/// every frame in and out.
final class WebSocketC2SHandler: ChannelDuplexHandler, C2STransport {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let eventLoop: any EventLoop
    private let shared: C2SContext
    private var codec: WebSocketXMPPCodec
    private let query: HTTPQuery
    private let connectionID: String
    private let secure: Bool
    private var session: C2SSession?
    private var context: ChannelHandlerContext?
    private var closeSent = false
    /// The frames written since the last flush, as one buffer (`appendTextFrame`).
    private var pendingOutput: ByteBuffer?
    /// Where this connection waits to be closed once its stream has ended (`ClosingConnections`).
    private var closeTickets: [ClosingConnections.Ticket] = []
    /// This loop's closing connections, looked up once the stream ends.
    private lazy var closers: ClosingConnections = self.shared.closingConnections(for: self.eventLoop).value
    /// This loop's parser of WebSocket frames, shared by its sessions.
    private lazy var frameParser: ElementSequenceParser =
        self.shared.frameParsers.value(for: self.eventLoop) { _ in ElementSequenceParser() }.value

    /// The session's own address as written in `to`, nearly every delivery's recipient.
    private var recipientAddress = RecipientAddressCache()

    /// Works out the client's address (through trusted proxies, `ClientAddress`) for rate limits, once, when the
    /// session starts, and only if the server limits rates: formatting and resolving it cost ~14,000 instructions a
    /// connection. Dropped once used.
    private var clientAddress: (() -> String?)?
    /// The pipeline's `ReadThrottleHandler`, when the server limits rates at all.
    private var throttle: ReadThrottleHandler?
    /// Reads the client's frames from the connection's bytes (`WebSocketFrameReader`).
    private var reader: WebSocketFrameReader
    /// Joins fragmented messages (RFC 6455 §5.4), with the bounds of the frame size limit.
    private var assembler: WebSocketMessageAssembler

    /// The most fragments of one message, as NIO's aggregator was configured.
    static let maxFragments = 256

    init(
        context shared: C2SContext,
        eventLoop: any EventLoop,
        query: HTTPQuery,
        secure: Bool,
        connectionID: String,
        clientAddress: (() -> String?)? = nil,
        maxMessageBytes: Int
    ) {
        self.clientAddress = clientAddress
        self.reader = WebSocketFrameReader(maxFrameSize: maxMessageBytes)
        self.assembler = WebSocketMessageAssembler(maxFragments: Self.maxFragments, maxBytes: maxMessageBytes)
        self.shared = shared
        self.eventLoop = eventLoop
        self.query = query
        self.secure = secure
        self.connectionID = connectionID
        self.codec = WebSocketXMPPCodec(
            maxStanzaBytes: shared.settings.maxStanzaBytes,
            maxDepth: shared.settings.maxDepth
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let session = C2SSession(
            context: self.shared,
            transport: self,
            secured: false,
            encryptionExempt: self.secure,
            connectionID: self.connectionID,
            query: self.query.parameters,
            supportsStreamManagement: true
        )
        self.session = session
        session.connectionOpened(remote: context.channel.remoteAddress)
        self.throttle = try? context.pipeline.syncOperations.handler(type: ReadThrottleHandler.self)
        session.startRateLimits(address: self.clientAddress?() ?? nil)
        self.clientAddress = nil
        session.debug("WebSocket client connected")
        session.start()
    }

    /// Reading waits while the channel is unwritable (`BackPressureGate`).
    private var backPressure = BackPressureGate()

    func read(context: ChannelHandlerContext) { self.backPressure.read(context: context) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.backPressure.writabilityChanged(context: context)
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.backPressure.release(context: context)
        self.context = nil
        self.pendingOutput = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.reader.append(self.unwrapInboundIn(data))
        while self.context != nil {
            let frame: WebSocketFrame?
            do {
                frame = try self.reader.next()
            } catch {
                return self.errorCaught(context: context, error: error)
            }
            guard let frame else { return }
            self.receive(frame, context: context)
        }
    }

    private func receive(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        switch frame.opcode {
        case .text, .binary, .continuation:
            let message: (opcode: WebSocketOpcode, data: ByteBuffer)?
            do {
                message = try self.assembler.add(frame)
            } catch {
                return self.errorCaught(context: context, error: error)
            }
            guard let message else { return }
            guard message.opcode == .text else {
                // RFC 7395 §3.2: XMPP over WebSocket uses text frames only.
                self.session?.close(StreamError(.badFormat, text: "Binary frames are not allowed (RFC 7395 §3.2)"))
                return
            }
            guard let session = self.session, !session.closing else { return }
            do {
                let event = try message.data.withUnsafeReadableBytes {
                    try self.codec.decode(frame: $0, with: self.frameParser)
                }
                session.receive(event)
            } catch let error as XMLStreamError {
                session.inputRefused(error)
            } catch {
                session.close(StreamError(.internalServerError))
            }
        case .ping:
            var payload = frame.unmaskedData
            self.writeControlFrame(opcode: .pong, payload: &payload, context: context)
        case .connectionClose:
            // The client closed without <close/>: answer the close frame and end the session.
            self.sendCloseFrame(context: context, code: .normalClosure)
            self.session?.transportClosed()
            self.session = nil
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.closeTickets.isEmpty { self.closers.forget(&self.closeTickets) }
        self.session?.transportClosed()
        self.session = nil
        self.pendingOutput = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The network failing under the connection (a reset, a TLS failure): counted, and the connection closes;
        // there is nobody left to send a stream error to.
        if error is IOError || error is OpenSSLError {
            C2SHandler.connectionFailed(
                error,
                logger: self.session?.logger ?? self.shared.logger,
                metrics: self.shared.metrics
            )
            context.close(promise: nil)
            return
        }
        // Oversized or malformed frames (`WebSocketFrameReader`, `WebSocketMessageAssembler`) end here: the session
        // ends with policy-violation.
        if let session = self.session, !session.closing {
            session.close(StreamError(.policyViolation, text: "Bad WebSocket frame: \(error)"))
        } else if self.closeSent, error is WebSocketFrameReader.Failure || error is WebSocketMessageAssembler.Failure {
            // A bad frame while we linger: the reader drops the rest. Closing now would reset the connection and
            // discard the stream error the peer has not read yet.
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: - C2STransport

    func sendStreamHeader(id: String, host: String) { self.write(WebSocketXMPPCodec.open(id: id, from: host)) }

    func send(_ element: XMLElement) { self.write(WebSocketXMPPCodec.encode(element)) }

    func send(_ prepared: PreparedStreamElement) { self.write(prepared.standalone) }

    func send(_ bytes: StanzaBytes, to recipient: JID?) {
        let value = recipient.map { self.recipientAddress.value(for: $0) }
        self.appendTextFrame { $0.writeStanza(bytes, toAttributeValue: value, declareNamespace: true) }
    }

    func flush() {
        guard let context = self.context else { return }
        self.writePendingOutput(context: context)
        context.flush()
    }

    /// Appends one text frame to what this loop turn sends the client (RFC 7395 §3.3.3: one stanza or stream
    /// element a frame): the frames of a turn leave as one buffer and one write into the pipeline at `flush`, as
    /// `C2SHandler` gathers a TCP session's output (a Jitsi joiner gets a dozen presences at once).
    private func appendTextFrame(_ writePayload: (inout ByteBuffer) -> Void) {
        guard let context = self.context, !self.closeSent else { return }
        var buffer = self.pendingOutput ?? context.channel.allocator.buffer(capacity: 1024)
        self.pendingOutput = nil  // one reference while writing: no copy-on-write
        WebSocketServerFrame.appendFrame(to: &buffer, writePayload)
        self.pendingOutput = buffer
    }

    /// Hands the gathered frames to the pipeline, before anything written after them.
    private func writePendingOutput(context: ChannelHandlerContext) {
        guard let output = self.pendingOutput else { return }
        self.pendingOutput = nil
        context.write(self.wrapOutboundOut(output), promise: nil)
    }

    var outputBacklog: Int { C2SHandler.outputBacklog(of: self.context?.channel) }

    func startTLS() -> Bool { false }

    func restartStream() {}

    func raiseStanzaLimit(to bytes: Int) { self.codec.raiseLimit(to: bytes) }

    func limitReading(to bytesPerSecond: Double?) { self.throttle?.limit(to: bytesPerSecond) }

    func close(_ error: StreamError?, needsHeader: Bool) {
        guard let context = self.context else { return }
        if let error {
            if needsHeader { self.write(WebSocketXMPPCodec.open(id: "error", from: "")) }
            self.write(WebSocketXMPPCodec.encode(error.element))
        }
        self.write(WebSocketXMPPCodec.close)
        self.sendCloseFrame(context: context, code: error == nil ? .normalClosure : .policyViolation)
        // A peer that never reads cannot hold the connection open.
        self.closeLater(linger: false)
    }

    private func sendCloseFrame(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !self.closeSent else { return }
        self.closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.writeControlFrame(opcode: .connectionClose, payload: &data, context: context)
            .whenComplete { _ in
                // Lingering close (as on TCP): a client still sending keeps reading our error instead of a reset.
                handler.value.closeLater(linger: true)
            }
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

    private func write(_ bytes: [UInt8]) {
        self.appendTextFrame { $0.writeBytes(bytes) }
    }

    /// A buffer for one frame's payload with room before it for the frame's header (`WebSocketServerFrame`).
    static func frameBuffer(_ context: ChannelHandlerContext, capacity: Int) -> ByteBuffer {
        WebSocketServerFrame.payloadBuffer(context.channel.allocator, capacity: capacity)
    }

    /// A pong or close frame (RFC 6455 §5.5), written and flushed.
    @discardableResult
    private func writeControlFrame(
        opcode: WebSocketOpcode,
        payload: inout ByteBuffer,
        context: ChannelHandlerContext
    )
        -> EventLoopFuture<Void>
    {
        let promise = context.eventLoop.makePromise(of: Void.self)
        self.writePendingOutput(context: context)
        self.writeFramed(&payload, opcode: opcode, context: context, promise: promise)
        context.flush()
        return promise.futureResult
    }

    /// Writes `payload` as one final frame of `opcode`, its header put in front (`WebSocketServerFrame`), as one
    /// buffer: the pipeline has no WebSocket encoder.
    private func writeFramed(
        _ payload: inout ByteBuffer,
        opcode: WebSocketOpcode,
        context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>?
    ) {
        let code = UInt8(webSocketOpcode: opcode)
        if !WebSocketServerFrame.prependHeader(to: &payload, opcode: code) {
            // No room before the payload: copied once into a buffer that has it.
            var framed = Self.frameBuffer(context, capacity: payload.readableBytes)
            framed.writeBuffer(&payload)
            WebSocketServerFrame.prependHeader(to: &framed, opcode: code)
            payload = framed
        }
        context.write(self.wrapOutboundOut(payload), promise: promise)
    }
}

@available(*, unavailable)
extension WebSocketC2SHandler: Sendable {}
