import NIOCore
import ParleyTLS
import ParleyXML

/// The fake bridge's connection: bytes through ParleyXML's stream parser into `FakeBridgeSession`, its actions
/// performed on the channel (STARTTLS by inserting a client `OpenSSLHandler` in front). Loop-bound.
public final class FakeBridgeHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var session: FakeBridgeSession
    private let tls: TLSContext
    private let report: @Sendable (String) -> Void
    private let failed: @Sendable (String) -> Void
    private let parser: XMLStreamParser
    private var statsTimer: RepeatedTask?
    private let statsInterval: TimeAmount

    /// - Parameters:
    ///   - report: each JSON line (printed by `parley fake-bridge`).
    ///   - failed: called once if the bridge gives up (login refused, stream closed).
    public init(
        session: FakeBridgeSession,
        tls: TLSContext,
        statsInterval: TimeAmount,
        report: @escaping @Sendable (String) -> Void,
        failed: @escaping @Sendable (String) -> Void
    ) {
        self.session = session
        self.tls = tls
        self.statsInterval = statsInterval
        self.report = report
        self.failed = failed
        // Colibri2 requests for large conferences are big (Jicofo's limit exception: 10 MiB).
        self.parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 10 * 1024 * 1024))
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.write(self.session.streamHeader, context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        var actions: [FakeBridgeSession.Action] = []
        do {
            try buffer.withUnsafeReadableBytes { bytes in
                try self.parser.feed(bytes) { event in
                    switch event {
                    case .streamOpened: break
                    case .element(let element): actions += self.session.received(element)
                    case .streamClosed: actions += self.session.closed()
                    }
                }
            }
        } catch {
            actions += [.report(FakeBridgeSession.json(["event": "failed", "reason": "\(error)"])), .fail("\(error)")]
        }
        self.perform(actions, context: context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.statsTimer?.cancel()
        self.perform(self.session.closed(), context: context)
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.perform([.fail("\(error)")], context: context)
        context.close(promise: nil)
    }

    private func perform(_ actions: [FakeBridgeSession.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .openStream:
                self.write(self.session.streamHeader, context: context)
            case .startTLS:
                do {
                    let handler = try OpenSSLHandler(
                        context: self.tls,
                        serverHostname: self.session.configuration.domain
                    )
                    try context.pipeline.syncOperations.addHandler(handler, position: .first)
                } catch {
                    self.perform([.fail("TLS: \(error)")], context: context)
                    return
                }
                self.parser.reset()
            case .restartStream:
                self.parser.reset()
            case .send(let element):
                context.write(
                    self.wrapOutboundOut(
                        context.channel.allocator.buffer(bytes: element.serialized(inheritedNamespace: "jabber:client"))
                    ),
                    promise: nil
                )
            case .report(let line):
                self.report(line)
                if line.contains("\"event\":\"joined\"") { self.startStats(context: context) }
            case .fail(let reason):
                self.statsTimer?.cancel()
                self.failed(reason)
                context.close(promise: nil)
                return
            }
        }
        context.flush()
    }

    /// JVB republishes its stats presence every few seconds.
    private func startStats(context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let channelContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.statsTimer = context.eventLoop.scheduleRepeatedTask(
            initialDelay: self.statsInterval,
            delay: self.statsInterval
        ) { _ in
            let handler = handler.value
            guard let presence = handler.session.statsPresence else { return }
            handler.perform([.send(presence)], context: channelContext.value)
        }
    }

    private func write(_ text: String, context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}

@available(*, unavailable)
extension FakeBridgeHandler: Sendable {}
