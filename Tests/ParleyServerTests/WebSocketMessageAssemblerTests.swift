import NIOCore
import NIOWebSocket
import Testing

@testable import ParleyServer

/// Fragmented WebSocket messages (RFC 6455 §5.4), joined by the session's handler in place of NIO's aggregator.
@Suite struct WebSocketMessageAssemblerTests {
    private func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool, masked: Bool = true) -> WebSocketFrame {
        var buffer = ByteBufferAllocator().buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        let key: WebSocketMaskingKey? = masked ? WebSocketMaskingKey([1, 2, 3, 4]) : nil
        if let key { buffer.webSocketMask(key) }
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: buffer)
    }

    private func text(_ message: (opcode: WebSocketOpcode, data: ByteBuffer)?) -> String? {
        message.map { String(buffer: $0.data) }
    }

    @Test("a whole frame is a message at once; fragments are one message at the final one, with the first's opcode")
    func joins() throws {
        var assembler = WebSocketMessageAssembler(maxFragments: 256, maxBytes: 1024)
        #expect(self.text(try assembler.add(self.frame(.text, "<iq/>", fin: true))) == "<iq/>")
        #expect(try assembler.add(self.frame(.text, "<message><bo", fin: false)) == nil)
        #expect(try assembler.add(self.frame(.continuation, "dy>hi</bo", fin: false)) == nil)
        let message = try assembler.add(self.frame(.continuation, "dy></message>", fin: true))
        #expect(message?.opcode == .text)
        #expect(self.text(message) == "<message><body>hi</body></message>")
        // And the next message starts afresh.
        #expect(self.text(try assembler.add(self.frame(.text, "<r/>", fin: true, masked: false))) == "<r/>")
    }

    @Test("a binary message keeps its opcode, for the handler to refuse")
    func binary() throws {
        var assembler = WebSocketMessageAssembler(maxFragments: 4, maxBytes: 1024)
        #expect(try assembler.add(self.frame(.binary, "ab", fin: false)) == nil)
        #expect(try assembler.add(self.frame(.continuation, "cd", fin: true))?.opcode == .binary)
    }

    @Test("a continuation with nothing begun, a new message among fragments, and the bounds are refused")
    func refusals() {
        var assembler = WebSocketMessageAssembler(maxFragments: 3, maxBytes: 10)
        #expect(throws: WebSocketMessageAssembler.Failure.unexpectedContinuation) {
            try assembler.add(self.frame(.continuation, "x", fin: true))
        }
        assembler = WebSocketMessageAssembler(maxFragments: 3, maxBytes: 10)
        _ = try? assembler.add(self.frame(.text, "a", fin: false))
        #expect(throws: WebSocketMessageAssembler.Failure.interleavedMessage) {
            try assembler.add(self.frame(.text, "b", fin: true))
        }
        assembler = WebSocketMessageAssembler(maxFragments: 3, maxBytes: 10)
        _ = try? assembler.add(self.frame(.text, "a", fin: false))
        _ = try? assembler.add(self.frame(.continuation, "b", fin: false))
        _ = try? assembler.add(self.frame(.continuation, "c", fin: false))
        #expect(throws: WebSocketMessageAssembler.Failure.tooManyFragments) {
            try assembler.add(self.frame(.continuation, "d", fin: true))
        }
        assembler = WebSocketMessageAssembler(maxFragments: 3, maxBytes: 10)
        _ = try? assembler.add(self.frame(.text, "123456", fin: false))
        #expect(throws: WebSocketMessageAssembler.Failure.tooLarge) {
            try assembler.add(self.frame(.continuation, "7890a", fin: true))
        }
        assembler = WebSocketMessageAssembler(maxFragments: 3, maxBytes: 10)
        #expect(throws: WebSocketMessageAssembler.Failure.tooLarge) {
            try assembler.add(self.frame(.text, "12345678901", fin: false))
        }
    }
}
