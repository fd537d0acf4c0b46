import NIOCore
import NIOWebSocket

/// Joins the fragments of a WebSocket message (RFC 6455 §5.4) for `WebSocketC2SHandler`, in its place in the
/// pipeline instead of NIO's `NIOWebSocketFrameAggregator`: one handler and its context fewer on every connection
/// (memory every idle session keeps) and one hop fewer for every frame. Control frames, which may come between
/// fragments, never reach it. A state machine with the same bounds as the aggregator it replaces.
struct WebSocketMessageAssembler {
    /// Why a sequence of frames is not a message; the session ends with `policy-violation`.
    enum Failure: Error, CustomStringConvertible {
        /// A continuation frame with no message begun (§5.4).
        case unexpectedContinuation
        /// A new text or binary frame before the last message's final fragment (§5.4).
        case interleavedMessage
        /// More fragments than `maxFragments`.
        case tooManyFragments
        /// More bytes than `maxBytes`.
        case tooLarge

        var description: String {
            switch self {
            case .unexpectedContinuation: "a continuation frame without a message begun (RFC 6455 §5.4)"
            case .interleavedMessage: "a new message before the last one's final fragment (RFC 6455 §5.4)"
            case .tooManyFragments: "too many fragments in one message"
            case .tooLarge: "a fragmented message over the size limit"
            }
        }
    }

    let maxFragments: Int
    let maxBytes: Int
    /// The first fragment's opcode and what has come so far, while a message is incomplete.
    private var pending: (opcode: WebSocketOpcode, data: ByteBuffer, fragments: Int)?

    init(maxFragments: Int, maxBytes: Int) {
        self.maxFragments = maxFragments
        self.maxBytes = maxBytes
    }

    /// Takes a text, binary or continuation frame; returns the message (its opcode and unmasked payload) once the
    /// frame completes one, nil while fragments wait.
    mutating func add(_ frame: WebSocketFrame) throws(Failure) -> (opcode: WebSocketOpcode, data: ByteBuffer)? {
        if frame.opcode == .continuation {
            guard var pending = self.pending else { throw .unexpectedContinuation }
            self.pending = nil
            var data = frame.unmaskedData
            pending.fragments += 1
            guard pending.fragments <= self.maxFragments else { throw .tooManyFragments }
            guard pending.data.readableBytes + data.readableBytes <= self.maxBytes else { throw .tooLarge }
            pending.data.writeBuffer(&data)
            if frame.fin { return (pending.opcode, pending.data) }
            self.pending = pending
            return nil
        }
        guard self.pending == nil else { throw .interleavedMessage }
        let data = frame.unmaskedData
        if frame.fin { return (frame.opcode, data) }
        guard data.readableBytes <= self.maxBytes else { throw .tooLarge }
        self.pending = (frame.opcode, data, 1)
        return nil
    }
}
