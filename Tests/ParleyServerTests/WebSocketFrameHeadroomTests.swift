import NIOCore
import NIOEmbedded
import NIOWebSocket
import ParleyTransports
import Testing

@testable import ParleyServer

/// Text frames leave as one buffer, header and payload (RFC 6455 §5.2), written past NIO's encoder by
/// `WebSocketFrameWriter`; frames written through the encoder still come out, in order.
@Suite struct WebSocketFrameHeadroomTests {
    /// What a client reads: the frames in `bytes`, as (opcode, payload).
    private func frames(_ buffers: [ByteBuffer]) -> [(UInt8, [UInt8])] {
        var all = ByteBuffer()
        for var buffer in buffers { all.writeBuffer(&buffer) }
        var frames: [(UInt8, [UInt8])] = []
        while let first = all.readInteger(as: UInt8.self), let second = all.readInteger(as: UInt8.self) {
            var length = Int(second & 0x7F)
            if length == 126 { length = Int(all.readInteger(as: UInt16.self) ?? 0) }
            if length == 127 { length = Int(all.readInteger(as: UInt64.self) ?? 0) }
            frames.append((first, all.readBytes(length: length) ?? []))
        }
        return frames
    }

    @Test(arguments: [0, 5, 125, 126, 65_535, 65_536, 100_000])
    func oneBufferPerTextFrame(payloadLength: Int) throws {
        let channel = EmbeddedChannel(handlers: [WebSocketFrameEncoder()])
        defer { _ = try? channel.finish() }
        let writer = try WebSocketFrameWriter.install(in: channel.pipeline.syncOperations)
        var payload = WebSocketServerFrame.payloadBuffer(channel.allocator, capacity: payloadLength)
        payload.writeRepeatingByte(UInt8(ascii: "x"), count: payloadLength)
        #expect(writer.writeText(&payload))
        channel.flush()
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        let header = payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10
        #expect(written.readableBytes == header + payloadLength)
        let decoded = self.frames([written])
        #expect(decoded.count == 1 && decoded.first?.0 == 0x81 && decoded.first?.1.count == payloadLength)
    }

    @Test func aPayloadWithoutRoomIsFramedToo() throws {
        let channel = EmbeddedChannel(handlers: [WebSocketFrameEncoder()])
        defer { _ = try? channel.finish() }
        let writer = try WebSocketFrameWriter.install(in: channel.pipeline.syncOperations)
        var payload = channel.allocator.buffer(string: "<presence/>")
        #expect(writer.writeText(&payload))
        // A pong through NIO's encoder, after it: both arrive, in order.
        channel.write(
            WebSocketFrame(fin: true, opcode: .pong, data: channel.allocator.buffer(string: "p")),
            promise: nil
        )
        channel.flush()
        var buffers: [ByteBuffer] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { buffers.append(buffer) }
        let decoded = self.frames(buffers)
        #expect(decoded.map(\.0) == [0x81, 0x8A])
        #expect(decoded.map(\.1) == [Array("<presence/>".utf8), Array("p".utf8)])
    }
}
