import Logging
import NIOCore
import ParleyCore
import ParleyXML

/// One client connection over TCP (RFC 6120): bytes → `XMLStreamParser` → `C2SStateMachine` → actions.
///
/// Owns the parser, the state machine and the session's presence bookkeeping, all on the channel's event
/// loop. STARTTLS happens in one tick, in this order: `<proceed/>` is flushed in plaintext, the TLS handler
/// is inserted first in the pipeline, the parser restarts (RFC 6120 §5.4.3.3; Prosody's `mod_tls` does the same).
final class C2SHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = C2SOutbound
    typealias OutboundOut = ByteBuffer

    /// How long a closing stream may take to flush its last bytes.
    static let closeGracePeriod: TimeAmount = .seconds(2)

    private let shared: C2SContext
    private var machine: C2SStateMachine
    private let parser: XMLStreamParser
    private var session: SessionHandle?
    /// Entities that got directed presence (RFC 6121 §4.6): they get unavailable when the session ends.
    private var directedPresence: Set<JID> = []
    private var available = false
    private var timeout: Scheduled<Void>?
    private var closing = false
    private var pendingRead = false
    private var logger: Logger

    init(context shared: C2SContext, secured: Bool, loopback: Bool, connectionID: String) {
        self.shared = shared
        let settings = shared.settings
        self.machine = C2SStateMachine(
            configuration: .init(
                hosts: settings.hosts, tlsAvailable: shared.makeTLSHandler != nil && !secured,
                requireEncryption: settings.requireEncryption,
                encryptionExempt: loopback && settings.allowPlaintextLoopback),
            secured: secured, credentials: shared.credentials)
        self.parser = XMLStreamParser(
            configuration: .init(maxStanzaBytes: settings.maxStanzaBytes, maxDepth: settings.maxDepth))
        var logger = shared.logger
        logger[metadataKey: "connection"] = "\(connectionID)"
        self.logger = logger
    }

    // MARK: - Inbound

    func channelActive(context: ChannelHandlerContext) {
        if self.shared.settings.logAddresses, let address = context.remoteAddress {
            self.logger.info("Client connected", metadata: ["address": "\(address)"])
        } else {
            self.logger.debug("Client connected")
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timeout = context.eventLoop.scheduleTask(in: self.shared.settings.negotiationTimeout) {
            let (handler, context) = loopBound.value
            guard !handler.machine.isBound else { return }
            handler.logger.info("Negotiation timed out")
            handler.perform([.close(StreamError(.connectionTimeout, text: "No session was established in time"))], context: context)
        }
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive, self.timeout == nil { self.channelActive(context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        let buffer = self.unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in
                try self.parser.feed(bytes) { event in
                    guard !self.closing else { return }
                    let actions: [C2SAction]
                    switch event {
                    case .streamOpened(let header): actions = self.machine.streamOpened(header)
                    case .element(let element): actions = self.machine.receive(element)
                    case .streamClosed: actions = self.machine.streamClosed()
                    }
                    self.perform(actions, context: context)
                }
            }
        } catch let error as XMLStreamError {
            self.logger.debug("Refused input: \(error.message)")
            self.perform(self.machine.fail(StreamError(error)), context: context)
        } catch {
            self.perform(self.machine.fail(StreamError(.internalServerError)), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.endSession()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS failures and socket errors end here: log the reason, close this connection, nothing else.
        self.logger.info("Connection error: \(error)")
        self.closing = true
        context.close(promise: nil)
    }

    // MARK: - Backpressure: stop reading while the client is not reading what we send it

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            self.pendingRead = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, self.pendingRead {
            self.pendingRead = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .stanza(let stanza):
            guard !self.closing else {
                promise?.succeed()
                return
            }
            self.writeElement(stanza.element, context: context, promise: promise)
        case .close(let error):
            self.perform([.close(error)], context: context)
            promise?.succeed()
        }
    }

    // MARK: - Actions

    private func perform(_ actions: [C2SAction], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .sendStreamHeader(let id, let host):
                var header = "<?xml version='1.0'?><stream:stream xmlns='\(Namespace.client)' "
                header += "xmlns:stream='\(Namespace.streams)' id='\(id)' from='"
                header += XMLEscaping.escaped(host) + "' version='1.0' xml:lang='en'>"
                self.writeBytes(Array(header.utf8), context: context, promise: nil)
            case .send(let element):
                self.writeElement(element, context: context, promise: nil)
            case .startTLS:
                context.flush()
                guard let make = self.shared.makeTLSHandler else { continue }
                do {
                    try context.pipeline.syncOperations.addHandler(try make(), position: .first)
                } catch {
                    self.logger.error("Could not start TLS: \(error)")
                    self.closing = true
                    context.close(promise: nil)
                    return
                }
                self.machine.tlsEstablished()
                self.parser.reset()
            case .restartStream:
                self.parser.reset()
            case .authenticated(let jid):
                if self.shared.settings.unlimitedJIDs.contains(jid) {
                    self.parser.configuration.maxStanzaBytes = self.shared.settings.unlimitedMaxStanzaBytes
                }
                self.logger.debug("Authenticated")
            case .bind(let resource, let request):
                self.bind(resource: resource, request: request, context: context)
            case .route(let stanza):
                self.route(stanza)
            case .broadcastPresence(let presence):
                self.broadcastPresence(presence)
            case .close(let error):
                self.close(error, context: context)
                return
            }
        }
        context.flush()
    }

    private func bind(resource: String?, request: Stanza, context: ChannelHandlerContext) {
        guard let user = self.machine.user else { return }
        let jid: JID
        do {
            if let resource {
                jid = try user.with(resource: resource)
            } else {
                jid = try user.with(resource: SecureRandom.string(count: 12, alphabet: SecureRandom.identifierAlphabet))
            }
        } catch {
            self.perform(self.machine.bindFailed(StanzaError(.badRequest, text: "Invalid resource: \(error)"), request: request), context: context)
            return
        }
        let handle = SessionHandle(jid: jid, sink: ChannelStanzaSink(channel: context.channel))
        if let replaced = self.shared.router.registry.bind(handle) {
            replaced.close(StreamError(.conflict, text: "Replaced by a new connection for the same resource"))
        }
        self.session = handle
        self.timeout?.cancel()
        self.timeout = nil
        self.logger.debug("Bound a session")
        self.perform(self.machine.bound(jid, request: request), context: context)
    }

    private func route(_ stanza: Stanza) {
        if stanza.kind == .presence, let to = stanza.to {
            // Directed presence bookkeeping (RFC 6121 §4.6).
            switch stanza.type {
            case nil: self.directedPresence.insert(to)
            case "unavailable": self.directedPresence.remove(to)
            default: break
            }
        }
        self.shared.router.route(stanza, from: self.session)
    }

    /// Presence without `to`: the session becomes available or unavailable (RFC 6121 §4.2, §4.5).
    /// Parley keeps no roster, so there is nobody to broadcast to except the directed-presence recipients
    /// on unavailable.
    private func broadcastPresence(_ presence: Stanza) {
        guard let session = self.session else { return }
        switch presence.type {
        case nil:
            let priority = presence.element.child("priority").flatMap { Int($0.text.trimmingCharacters(in: .whitespaces)) } ?? 0
            session.setPresence(available: true, priority: max(-128, min(127, priority)))
            self.available = true
        case "unavailable":
            session.setPresence(available: false, priority: 0)
            self.available = false
            self.sendUnavailableToDirected(presence)
        default:
            break  // subscription management needs a roster
        }
    }

    private func sendUnavailableToDirected(_ template: Stanza?) {
        guard let session = self.session, !self.directedPresence.isEmpty else { return }
        let targets = self.directedPresence
        self.directedPresence.removeAll()
        for target in targets {
            var element = template?.element ?? XMLElement(name: "presence", namespace: Namespace.client)
            element[attribute: "type"] = "unavailable"
            let stanza = Stanza(unchecked: element, kind: .presence, from: session.jid, to: target)
            self.shared.router.route(stanza, from: session)
        }
    }

    private func close(_ error: StreamError?, context: ChannelHandlerContext) {
        guard !self.closing else { return }
        self.closing = true
        var bytes: [UInt8] = []
        if let error {
            self.logger.info("Closing with stream error \(error.condition.rawValue)")
            if !self.headerWasSent {
                bytes += Array("<?xml version='1.0'?><stream:stream xmlns='\(Namespace.client)' xmlns:stream='\(Namespace.streams)' version='1.0'>".utf8)
            }
            bytes += C2SHandler.streamElementBytes(error.element)
        }
        bytes += Array("</stream:stream>".utf8)
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
        // A write can wait forever behind a TLS handshake the peer never finishes, or a peer that never
        // reads: close regardless after a grace period.
        context.eventLoop.scheduleTask(in: C2SHandler.closeGracePeriod) { channel.close(promise: nil) }
        self.endSession()
    }

    private var headerWasSent: Bool { self.machine.headerWasSent }

    /// The session is over: clean up presence and leave the registry (RFC 6121 §4.6.3).
    private func endSession() {
        self.timeout?.cancel()
        self.timeout = nil
        guard let session = self.session else { return }
        self.sendUnavailableToDirected(nil)
        self.session = nil
        session.setPresence(available: false, priority: 0)
        self.shared.router.registry.unbind(session)
        self.shared.sessionEnded(session)
    }

    // MARK: - Encoding

    private func writeElement(_ element: XMLElement, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if element.namespace == Namespace.streams {
            self.writeBytes(C2SHandler.streamElementBytes(element), context: context, promise: promise)
        } else {
            self.writeBytes(element.serialized(inheritedNamespace: Namespace.client), context: context, promise: promise)
        }
    }

    private func writeBytes(_ bytes: [UInt8], context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(self.wrapOutboundOut(buffer), promise: promise)
    }

    /// Stream-namespace elements keep the conventional `stream:` prefix, which some clients match literally.
    static func streamElementBytes(_ element: XMLElement) -> [UInt8] {
        var out = Array("<stream:\(element.name)".utf8)
        for attribute in element.attributes where attribute.namespace.isEmpty {
            out += Array(" \(attribute.name)='".utf8)
            XMLEscaping.appendEscaped(attribute.value, into: &out)
            out.append(UInt8(ascii: "'"))
        }
        if element.children.isEmpty {
            out += Array("/>".utf8)
            return out
        }
        out.append(UInt8(ascii: ">"))
        for child in element.children {
            switch child {
            case .element(let e): e.serialize(into: &out, inheritedNamespace: Namespace.client)
            case .text(let t): XMLEscaping.appendEscaped(t, into: &out, isAttribute: false)
            }
        }
        out += Array("</stream:\(element.name)>".utf8)
        return out
    }
}

@available(*, unavailable)
extension C2SHandler: Sendable {}
