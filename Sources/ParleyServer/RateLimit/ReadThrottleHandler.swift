import NIOCore
import ParleyCore

/// Slowed reading: a connection may send `bytesPerSecond` (with `burstSeconds` of it at once); bytes past that are
/// held and passed on as the budget refills, and the server reads nothing more from the socket until they are all
/// through, as Prosody's `mod_limits` (`limits.c2s.rate`) and Jitsi's `mod_rate_limit` (`session_rate` for a
/// limited session) do. The client's further bytes wait in its own socket buffers and then in its kernel: nothing
/// is refused, nothing is lost, and no other session is slowed. At most one read's bytes are held.
///
/// Sits right above the socket (or the TLS handler), beside `BackPressureHandler`, holding `read` the same way.
/// Without a rate it passes everything on and counts nothing. Loop-bound; the session sets the rate through its
/// transport.
final class ReadThrottleHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var bucket: TokenBucket?
    /// Bytes read from the socket and not passed on yet.
    private var held: ByteBuffer?
    private var readPending = false
    private var release: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init() {}

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.release?.cancel()
        self.release = nil
        self.context = nil
    }

    /// Sets the rate (nil: unlimited; what is held is passed on at once).
    func limit(to bytesPerSecond: Double?, burstSeconds: Double = 2) {
        self.bucket = bytesPerSecond.map { TokenBucket(capacity: $0 * burstSeconds, refillPerSecond: $0) }
        if let context = self.context, self.held != nil { self.passHeld(context: context, fromTimer: true) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.bucket != nil || self.held != nil else { return context.fireChannelRead(data) }
        var incoming = self.unwrapInboundIn(data)
        if var held = self.held {
            held.writeBuffer(&incoming)
            self.held = held
        } else {
            self.held = incoming
        }
        self.passHeld(context: context, fromTimer: false)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client is gone: what it sent before going still counts (its last stanzas, its </stream>).
        self.release?.cancel()
        self.release = nil
        if let held = self.held {
            self.held = nil
            context.fireChannelRead(self.wrapInboundOut(held))
            context.fireChannelReadComplete()
        }
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if self.held != nil {
            self.readPending = true
        } else {
            context.read()
        }
    }

    /// Passes on as much of `held` as the budget allows; waits for the rest, or reads again once it is through.
    private func passHeld(context: ChannelHandlerContext, fromTimer: Bool) {
        guard var held = self.held else { return }
        let now = RateLimiter.nowMillis
        var passed = false
        if var bucket = self.bucket {
            let allowed = Int(max(0, bucket.available(nowMillis: now)).rounded(.down))
            let count = min(allowed, held.readableBytes)
            if count > 0, let slice = held.readSlice(length: count) {
                _ = bucket.take(Double(count), nowMillis: now)
                self.held = held.readableBytes > 0 ? held : nil
                context.fireChannelRead(self.wrapInboundOut(slice))
                passed = true
            }
            self.bucket = bucket
        } else {
            self.held = nil
            context.fireChannelRead(self.wrapInboundOut(held))
            passed = true
        }
        if passed, fromTimer { context.fireChannelReadComplete() }
        guard let remaining = self.held, let bucket = self.bucket else {
            if self.readPending {
                self.readPending = false
                context.read()
            }
            return
        }
        guard self.release == nil else { return }
        let wait = max(bucket.millisUntil(Double(remaining.readableBytes)), 1)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.release = context.eventLoop.scheduleTask(in: .milliseconds(wait)) {
            let handler = handler.value
            handler.release = nil
            guard let context = handler.context else { return }
            handler.passHeld(context: context, fromTimer: true)
        }
    }
}

@available(*, unavailable)
extension ReadThrottleHandler: Sendable {}
