import NIOCore
import NIOWebSocket

/// Reads a client's WebSocket frames (RFC 6455 §5.2) from its connection's bytes, inside `WebSocketC2SHandler`,
/// instead of NIO's `WebSocketFrameDecoder` in a `ByteToMessageHandler` of its own: that handler, its context and
/// its buffers were ~500 bytes of every idle session, and one pipeline hop more for every frame
/// (Docs/benchmark-details.md). It gives NIO's `WebSocketFrame` values and keeps the decoder's rules: a frame over
/// `maxFrameSize`, a control frame over 125 bytes, and a fragmented control frame (§5.5) are errors, after which
/// every further byte is dropped unread (the session has ended, and the peer must be let read its stream error).
/// A state machine: bytes in, frames out.
struct WebSocketFrameReader {
    /// Why the bytes are not WebSocket frames; the session ends with `policy-violation`.
    enum Failure: Error, CustomStringConvertible {
        case frameTooLarge(UInt64)
        case controlFrameTooLarge
        case fragmentedControlFrame

        var description: String {
            switch self {
            case .frameTooLarge(let length): "a frame of \(length) bytes, over the limit"
            case .controlFrameTooLarge: "a control frame over 125 bytes (RFC 6455 §5.5)"
            case .fragmentedControlFrame: "a fragmented control frame (RFC 6455 §5.5)"
            }
        }
    }

    let maxFrameSize: Int
    /// Bytes read but not yet a whole frame; nil when there are none, so the connection's read buffer is not held.
    private var pending: ByteBuffer?
    /// A failure ended the reading: what comes after is dropped.
    private(set) var failed = false

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Takes the bytes just read.
    mutating func append(_ bytes: ByteBuffer) {
        guard !self.failed else { return }
        if var pending = self.pending {
            self.pending = nil
            var bytes = bytes
            pending.writeBuffer(&bytes)
            self.pending = pending
        } else if bytes.readableBytes > 0 {
            self.pending = bytes
        }
    }

    /// The next whole frame, nil until more bytes come. A masked payload comes unmasked, in a buffer of its own
    /// (the frame then has no masking key); an unmasked one is a slice of the bytes read.
    mutating func next() throws(Failure) -> WebSocketFrame? {
        guard !self.failed, var buffer = self.pending else { return nil }
        self.pending = nil
        defer { self.pending = buffer.readableBytes > 0 ? buffer : nil }
        let start = buffer.readerIndex
        guard let first = buffer.readInteger(as: UInt8.self), let second = buffer.readInteger(as: UInt8.self) else {
            buffer.moveReaderIndex(to: start)
            return nil
        }
        let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F) ?? .continuation
        let fin = first & 0x80 != 0
        let shortLength = second & 0x7F
        if opcode.isControlOpcode {
            guard shortLength <= 125 else { return try self.fail(.controlFrameTooLarge, &buffer) }
            guard fin else { return try self.fail(.fragmentedControlFrame, &buffer) }
        }
        let length: UInt64
        switch shortLength {
        case 126:
            guard let extended = buffer.readInteger(as: UInt16.self) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            length = UInt64(extended)
        case 127:
            guard let extended = buffer.readInteger(as: UInt64.self) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            length = extended
        default:
            length = UInt64(shortLength)
        }
        guard length <= UInt64(self.maxFrameSize) else { return try self.fail(.frameTooLarge(length), &buffer) }
        var key: UInt32? = nil
        if second & 0x80 != 0 {
            guard let bytes = buffer.readInteger(as: UInt32.self) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            key = bytes
        }
        // `length` is at most `maxFrameSize`, an Int.
        guard var payload = buffer.readSlice(length: Int(length)) else {
            buffer.moveReaderIndex(to: start)
            return nil
        }
        if let key { payload = WebSocketFrameReader.unmasked(payload, key: key) }
        return WebSocketFrame(
            fin: fin,
            rsv1: first & 0x40 != 0,
            rsv2: first & 0x20 != 0,
            rsv3: first & 0x10 != 0,
            opcode: opcode,
            maskKey: nil,
            data: payload
        )
    }

    /// `payload` unmasked (RFC 6455 §5.3) into a buffer of its own, eight bytes at a time: NIO's
    /// `unmaskedData` goes byte by byte, ~2,000 instructions for a Jitsi presence. `key` is the four key bytes
    /// read big-endian, in the order they came.
    static func unmasked(_ payload: ByteBuffer, key: UInt32) -> ByteBuffer {
        let count = payload.readableBytes
        var out = ByteBufferAllocator().buffer(capacity: count)
        // The key's four bytes twice, in memory order, so that byte i of a load meets key byte i % 4.
        let pattern: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: key >> (24 - 8 * ($0 % 4))) }
        let wide = pattern.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { destination in
            payload.withUnsafeReadableBytes { source in
                var index = 0
                while index + 8 <= count {
                    let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ wide
                    destination.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
                while index < count {
                    destination[index] = source[index] ^ pattern[index % 4]
                    index += 1
                }
            }
            return count
        }
        return out
    }

    private mutating func fail(_ failure: Failure, _ buffer: inout ByteBuffer) throws(Failure) -> WebSocketFrame? {
        self.failed = true
        buffer.clear()
        throw failure
    }
}
