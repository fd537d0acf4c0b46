import NIOCore

/// Frames the server sends (RFC 6455 §5.2): final, unmasked, with the header written into room left before the
/// payload, so header and payload leave as one buffer.
///
/// NIO's `WebSocketFrameEncoder` does the same only when it owns the payload's storage alone, which it never does
/// for a frame written through the pipeline (the `NIOAny` it is handed keeps a reference): every frame then took
/// a second buffer and a second pending write, a tenth of a WebSocket join's instructions. Parley's session handler
/// frames everything it sends this way; the pipeline has no WebSocket encoder.
public enum WebSocketServerFrame {
    /// Room for the longest header of an unmasked frame: 2 bytes, plus 8 of extended payload length.
    public static let headroom = 10

    /// An empty payload buffer with `headroom` bytes before it.
    public static func payloadBuffer(_ allocator: ByteBufferAllocator, capacity: Int) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: capacity + Self.headroom)
        buffer.moveWriterIndex(forwardBy: Self.headroom)
        buffer.moveReaderIndex(forwardBy: Self.headroom)
        return buffer
    }

    /// Writes the header of a final frame of `opcode` (0x1 text, RFC 6455 §5.2) for the readable bytes of `buffer`
    /// just before them, and moves the reader index onto it. False, with `buffer` untouched, when there is no room.
    @discardableResult
    public static func prependHeader(to buffer: inout ByteBuffer, opcode: UInt8 = 0x1) -> Bool {
        let length = buffer.readableBytes
        let start = buffer.readerIndex - Self.headerLength(for: length)
        guard start >= 0 else { return false }
        Self.setHeader(in: &buffer, at: start, length: length, opcode: opcode)
        buffer.moveReaderIndex(to: start)
        return true
    }

    /// Appends one final frame of `opcode` to `buffer`, its payload written by `writePayload` after the header's
    /// room; the payload is moved back over the room the header does not need. Frames gathered this way leave as
    /// one buffer (RFC 6455 §5.2: frames follow one another on the connection).
    public static func appendFrame(
        to buffer: inout ByteBuffer,
        opcode: UInt8 = 0x1,
        _ writePayload: (inout ByteBuffer) -> Void
    ) {
        let start = buffer.writerIndex
        buffer.writeRepeatingByte(0, count: Self.headroom)
        writePayload(&buffer)
        let length = buffer.writerIndex - start - Self.headroom
        let headerLength = Self.headerLength(for: length)
        let gap = Self.headroom - headerLength
        if gap > 0 {
            if length > 0 {
                _ = try? buffer.copyBytes(at: start + Self.headroom, to: start + headerLength, length: length)
            }
            buffer.moveWriterIndex(to: buffer.writerIndex - gap)
        }
        Self.setHeader(in: &buffer, at: start, length: length, opcode: opcode)
    }

    private static func headerLength(for length: Int) -> Int {
        length < 126 ? 2 : length <= Int(UInt16.max) ? 4 : 10
    }

    /// The header of a final, unmasked frame of `opcode` with `length` bytes of payload, at `start`.
    private static func setHeader(in buffer: inout ByteBuffer, at start: Int, length: Int, opcode: UInt8) {
        // One or two stores (each of NIO's checks and counts alone): the first two bytes as one big-endian UInt16.
        let first = UInt16(0x80 | (opcode & 0x0F)) << 8
        switch Self.headerLength(for: length) {
        case 2:
            buffer.setInteger(first | UInt16(truncatingIfNeeded: length), at: start)
        case 4:
            buffer.setInteger(UInt32(first | 126) << 16 | UInt32(truncatingIfNeeded: length), at: start)
        default:
            buffer.setInteger(first | 127, at: start)
            buffer.setInteger(UInt64(truncatingIfNeeded: length), at: start + 2)
        }
    }
}
