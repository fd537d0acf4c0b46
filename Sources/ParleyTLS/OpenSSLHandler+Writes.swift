import NIOCore

// MARK: - Outbound: plaintext in, ciphertext out

extension OpenSSLHandler {
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.state {
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        case .idle, .handshaking, .active:
            self.pendingWrites.append(PendingWrite(data: self.unwrapOutboundIn(data), promise: promise))
        }
    }

    public func flush(context: ChannelHandlerContext) {
        self.flushedWriteCount = self.pendingWrites.count
        switch self.state {
        case .active:
            self.encryptFlushedWrites(context: context)
        case .idle, .handshaking:
            break  // encrypted and sent once the handshake completes
        case .closing, .closed:
            break
        }
    }

    /// Encrypts the flushed writes in order and sends their ciphertext as one write. Each write's promise
    /// completes with that write: it succeeds once the ciphertext carrying it is written and fails if that fails.
    ///
    /// - Returns: whether it flushed the channel (it does whenever there was something to encrypt).
    @discardableResult
    func encryptFlushedWrites(context: ChannelHandlerContext) -> Bool {
        guard case .active = self.state, self.flushedWriteCount > 0 else {
            return false
        }
        var promises: [EventLoopPromise<Void>] = []
        let plaintextBytes = self.pendingWrites.prefix(self.flushedWriteCount).reduce(0) { $0 + $1.data.readableBytes }
        // One buffer for the flush's records: each 16 KiB record adds at most a header, a tag and padding; 64 bytes
        // is generous.
        self.connection.reserveCiphertext(plaintextBytes + 64 * (plaintextBytes / 16_384 + 1))
        while self.flushedWriteCount > 0, let write = self.pendingWrites.popFirst() {
            self.flushedWriteCount -= 1
            if let promise = write.promise {
                promises.append(promise)
            }
            let error: OpenSSLError
            switch self.connection.write(write.data) {
            case .complete:
                continue
            case .failed(let failure):
                error = failure
            case .incomplete, .closed:
                error = OpenSSLError(operation: "SSL_write", reasons: ["the TLS session can no longer send"])
            }
            for promise in promises {
                promise.fail(error)
            }
            self.fail(context: context, error: error)
            return true
        }
        let ciphertext = self.connection.takeCiphertext() ?? context.channel.allocator.buffer(capacity: 0)
        context.write(self.wrapOutboundOut(ciphertext), promise: Self.combine(promises, on: context.eventLoop))
        context.flush()
        return true
    }

    /// Sends whatever ciphertext OpenSSL has queued on its own: handshake messages, alerts, close_notify.
    ///
    /// - Parameter flush: `false` leaves the write for the caller's next flush.
    /// - Returns: whether there was any.
    @discardableResult
    func writeCiphertext(context: ChannelHandlerContext, flush: Bool = true) -> Bool {
        guard let ciphertext = self.connection.takeCiphertext(), ciphertext.readableBytes > 0 else {
            return false
        }
        if flush {
            context.writeAndFlush(self.wrapOutboundOut(ciphertext), promise: nil)
        } else {
            context.write(self.wrapOutboundOut(ciphertext), promise: nil)
        }
        return true
    }

    func failPendingWrites(_ error: any Error) {
        self.flushedWriteCount = 0
        while let write = self.pendingWrites.popFirst() {
            write.promise?.fail(error)
        }
    }

    private static func combine(
        _ promises: [EventLoopPromise<Void>],
        on eventLoop: any EventLoop
    ) -> EventLoopPromise<Void>? {
        guard promises.count > 1 else {
            return promises.first
        }
        let combined = eventLoop.makePromise(of: Void.self)
        combined.futureResult.whenComplete { result in
            for promise in promises {
                promise.completeWith(result)
            }
        }
        return combined
    }
}
