import NIOCore
import NIOWebSocket
import ParleyTransports
import Testing

@testable import ParleyServer

/// The session handler's own framing (RFC 6455 §5.2): frames written with their header in front of the payload, as
/// one buffer (`WebSocketServerFrame`), and client frames read from bytes however they are cut (`WebSocketFrameReader`).
@Suite struct WebSocketFramingTests {
    /// A client frame, masked as clients must unless told.
    private func clientFrame(
        _ payload: [UInt8],
        opcode: UInt8 = 0x1,
        fin: Bool = true,
        mask: [UInt8]? = [9, 8, 7, 6]
    )
        -> [UInt8]
    {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        switch payload.count {
        case ..<126: bytes.append(maskBit | UInt8(payload.count))
        case ..<65_536: bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: bytes += [maskBit | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard let mask else { return bytes + payload }
        return bytes + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// Every frame in `bytes`, fed in pieces of `piece` bytes.
    private func read(_ bytes: [UInt8], piece: Int, max: Int = 1 << 20) throws -> [WebSocketFrame] {
        var reader = WebSocketFrameReader(maxFrameSize: max)
        var frames: [WebSocketFrame] = []
        var start = 0
        while start < bytes.count {
            reader.append(ByteBuffer(bytes: bytes[start..<min(start + piece, bytes.count)]))
            while let frame = try reader.next() { frames.append(frame) }
            start += piece
        }
        return frames
    }

    @Test(
        "what the server frames, at every header size, reads back as one final frame of its opcode and payload",
        arguments: [0, 5, 125, 126, 65_535, 65_536, 100_000]
    )
    func serverFramesReadBack(length: Int) throws {
        var payload = WebSocketServerFrame.payloadBuffer(ByteBufferAllocator(), capacity: length)
        payload.writeRepeatingByte(UInt8(ascii: "x"), count: length)
        #expect(WebSocketServerFrame.prependHeader(to: &payload, opcode: 0x1))
        #expect(payload.readableBytes == length + (length < 126 ? 2 : length < 65_536 ? 4 : 10))
        let frames = try self.read(Array(payload.readableBytesView), piece: 4096)
        #expect(frames.count == 1)
        #expect(frames.first?.fin == true && frames.first?.opcode == .text && frames.first?.maskKey == nil)
        #expect(frames.first?.unmaskedData.readableBytes == length)
    }

    @Test("frames gathered in one buffer, at every header size, read back in order with their payloads")
    func gatheredFrames() throws {
        let lengths = [0, 5, 125, 126, 65_535, 65_536, 100_000, 3]
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        buffer.writeString("before")
        buffer.moveReaderIndex(forwardBy: 6)
        for (index, length) in lengths.enumerated() {
            WebSocketServerFrame.appendFrame(to: &buffer) {
                $0.writeRepeatingByte(UInt8(ascii: "a") + UInt8(index), count: length)
            }
        }
        let headers = lengths.map { $0 < 126 ? 2 : $0 < 65_536 ? 4 : 10 }
        #expect(buffer.readableBytes == zip(lengths, headers).map { $0 + $1 }.reduce(0, +))
        let frames = try self.read(Array(buffer.readableBytesView), piece: 1000)
        #expect(frames.map(\.unmaskedData.readableBytes) == lengths)
        #expect(frames.allSatisfy { $0.fin && $0.opcode == .text && $0.maskKey == nil })
        for (index, frame) in frames.enumerated() {
            #expect(frame.unmaskedData.readableBytesView.allSatisfy { $0 == UInt8(ascii: "a") + UInt8(index) })
        }
    }

    @Test func aPayloadWithoutRoomIsLeftAlone() {
        var payload = ByteBufferAllocator().buffer(string: "<presence/>")
        #expect(!WebSocketServerFrame.prependHeader(to: &payload))
        #expect(String(buffer: payload) == "<presence/>")
    }

    @Test("client frames cut anywhere: the same frames, unmasked, in order")
    func cutAnywhere() throws {
        let stanza = Array("<message xmlns='jabber:client' to='a@b'><body>hi</body></message>".utf8)
        let bytes =
            self.clientFrame(Array(stanza[..<10]), fin: false) + self.clientFrame(Array("p".utf8), opcode: 0x9)
            + self.clientFrame(Array(stanza[10...]), opcode: 0x0) + self.clientFrame(Array(repeating: 65, count: 300))
            + self.clientFrame([], opcode: 0x8, mask: nil)
        for piece in [1, 2, 3, 7, 64, bytes.count] {
            let frames = try self.read(bytes, piece: piece)
            #expect(frames.map(\.opcode) == [.text, .ping, .continuation, .text, .connectionClose], "piece \(piece)")
            #expect(frames.map(\.fin) == [false, true, true, true, true])
            #expect(frames.map { Array($0.unmaskedData.readableBytesView) }[2] == Array(stanza[10...]))
            #expect(frames[3].unmaskedData.readableBytes == 300)
        }
    }

    @Test("a frame over the limit, a long or fragmented control frame: an error, and nothing read after it")
    func refusals() throws {
        let cases: [([UInt8], Int)] = [
            (self.clientFrame(Array(repeating: 1, count: 101)), 100),
            (self.clientFrame(Array(repeating: 1, count: 126), opcode: 0x9), 1000),
            (self.clientFrame([1], opcode: 0xA, fin: false), 1000),
            ([0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0], 1000),  // a 64-bit length with its top bit set
        ]
        for (bytes, max) in cases {
            var reader = WebSocketFrameReader(maxFrameSize: max)
            reader.append(ByteBuffer(bytes: bytes))
            #expect(throws: WebSocketFrameReader.Failure.self) { try reader.next() }
            #expect(reader.failed)
            reader.append(ByteBuffer(bytes: self.clientFrame([1])))
            #expect(try reader.next() == nil)
        }
    }

    @Test("unmasking eight bytes at a time gives what unmasking byte by byte gives, at every length and key")
    func unmasking() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let key = (0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let masked = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let keyWord = key.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let unmasked = WebSocketFrameReader.unmasked(ByteBuffer(bytes: masked), key: keyWord)
            #expect(Array(unmasked.readableBytesView) == masked.enumerated().map { $0.element ^ key[$0.offset % 4] })
        }
    }

    @Test("random bytes are read without a trap")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? self.read(bytes, piece: Int.random(in: 1...8, using: &generator), max: 32)
        }
    }
}
