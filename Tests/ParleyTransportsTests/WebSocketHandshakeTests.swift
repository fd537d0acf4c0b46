import Foundation
import ParleyTestSupport
import Testing

@testable import ParleyTransports

/// The WebSocket handshake the server answers itself (RFC 6455 §4.2.1): a browser's, recognised whatever the
/// packets; anything unusual left to NIO's HTTP pipeline, never refused here.
@Suite struct WebSocketHandshakeTests {
    /// What Chromium sends lib-jitsi-meet's connection (nginx passes it on as is), with RFC 6455 §1.3's key.
    static let chromium =
        "GET /xmpp-websocket?room=weeklysync&previd= HTTP/1.1\r\n"
        + "Host: meet.jitsi\r\n"
        + "Connection: Upgrade\r\n"
        + "Pragma: no-cache\r\n"
        + "Cache-Control: no-cache\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
        + "Upgrade: websocket\r\n"
        + "Origin: https://meet.jitsi\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        + "Accept-Language: en-GB,en;q=0.9\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        + "Sec-WebSocket-Protocol: xmpp\r\n"
        + "X-Forwarded-For: 192.0.2.7\r\n"
        + "X-Forwarded-For: 198.51.100.1, 10.0.0.2\r\n"
        + "\r\n"

    private func read(_ text: String) -> WebSocketHandshake.Reading {
        Array(text.utf8).withUnsafeBytes { WebSocketHandshake.read($0) }
    }

    private func read(_ bytes: [UInt8]) -> WebSocketHandshake.Reading {
        bytes.withUnsafeBytes { WebSocketHandshake.read($0) }
    }

    @Test("Chromium's handshake: target, protocols, forwarded addresses, and RFC 6455's accept value")
    func chromium() throws {
        guard case .handshake(let handshake, let length) = self.read(Self.chromium) else {
            Issue.record("not recognised")
            return
        }
        #expect(length == Self.chromium.utf8.count)
        #expect(handshake.target == "/xmpp-websocket?room=weeklysync&previd=")
        #expect(handshake.protocols == ["xmpp"])
        #expect(handshake.forwardedFor == ["192.0.2.7", "198.51.100.1, 10.0.0.2"])
        #expect(handshake.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")  // RFC 6455 §1.3
    }

    @Test("cut anywhere, the head needs more until its last byte; bytes after it are the client's first frame")
    func cutAnywhere() {
        let head = Array(Self.chromium.utf8)
        for cut in 0..<head.count {
            #expect(self.read(Array(head[..<cut])) == .needMore, "cut at \(cut)")
        }
        let frame: [UInt8] = [0x81, 0x85, 1, 2, 3, 4, 0x3d, 0x6d, 0x6c, 0x72, 0x3f]
        guard case .handshake(_, let length) = self.read(head + frame) else {
            Issue.record("not recognised with a frame after it")
            return
        }
        #expect(length == head.count)
    }

    @Test("header names in any case, lists with blanks and empty elements, several protocols")
    func lenientWhereHTTPIs() {
        let text =
            "GET /xmpp-websocket HTTP/1.1\r\nhost: a\r\nCONNECTION: keep-alive, ,Upgrade \r\nupgrade:WebSocket\r\n"
            + "sec-websocket-key:   abc  \r\nSEC-WEBSOCKET-VERSION: 13\r\nSec-WebSocket-Protocol: chat ,\txmpp\r\n"
            + "Sec-WebSocket-Protocol: other\r\n\r\n"
        guard case .handshake(let handshake, _) = self.read(text) else {
            Issue.record("not recognised")
            return
        }
        #expect(handshake.key == "abc")
        #expect(handshake.protocols == ["chat", "xmpp", "other"])
        // NIO's client upgrader sends an empty body's length.
        let withLength = Self.chromium.replacingOccurrences(of: "Pragma:", with: "Content-Length: 0\r\nPragma:")
        guard case .handshake = self.read(withLength) else {
            Issue.record("Content-Length: 0 not recognised")
            return
        }
    }

    @Test(
        "anything but the plain handshake is left to NIO's pipeline",
        arguments: [
            ("POST /http-bind HTTP/1.1\r\n", "another method"),
            ("GET /xmpp-websocket HTTP/1.0\r\n", "HTTP/1.0"),
            ("GET http://meet.jitsi/xmpp-websocket HTTP/1.1\r\n", "absolute form"),
            ("GET /xmpp-websocket  HTTP/1.1\r\n", "two spaces"),
            ("GET /xmpp-websocket HTTP/1.1\r\nX-A: b\r\n folded\r\n", "a folded line"),
            ("GET /xmpp-websocket HTTP/1.1\r\nX-A: b\nX-B: c\r\n", "a bare LF"),
            ("GET /xmpp-websocket HTTP/1.1\r\nX-A: b\rc\r\n", "a bare CR"),
            ("GET /xmpp-websocket HTTP/1.1\r\nX A: b\r\n", "a name that is not a token"),
            ("GET /xmpp-websocket HTTP/1.1\r\n: b\r\n", "an empty name"),
            ("GET /xmpp-websocket HTTP/1.1\r\nno colon\r\n", "no colon"),
            ("GET /xmpp-websocket HTTP/1.1\r\nX-A: caf\u{e9}\r\n", "a value that is not ASCII"),
            ("GET /xmpp-websocket HTTP/1.1\r\nContent-Length: 1\r\n", "a body"),
            ("GET /xmpp-websocket HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n", "two lengths"),
            ("GET /xmpp-websocket HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "a chunked body"),
            ("GET /xmpp-websocket HTTP/1.1\r\nSec-WebSocket-Key: x\r\n", "a second key"),
            ("GET /xmpp-websocket HTTP/1.1\r\nUpgrade: websocket\r\n", "a second Upgrade"),
            ("GET /xmpp-websocket HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n", "a second version"),
        ]
    )
    func notRecognised(start: String, why: String) {
        let rest =
            "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n"
        #expect(self.read(start + rest) == .notRecognized, "\(why)")
    }

    @Test(
        "a handshake without what RFC 6455 §4.2.1 requires is left to NIO's pipeline",
        arguments: [
            "Connection: upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n",
            "Upgrade: websocket\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n",
            "Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n",
            "Upgrade: h2c\r\nConnection: upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n",
            "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\n",
            "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: \r\nSec-WebSocket-Version: 13\r\n",
            "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 8\r\n",
            "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: abc\r\n",
        ]
    )
    func incomplete(headers: String) {
        #expect(self.read("GET /xmpp-websocket HTTP/1.1\r\n" + headers + "\r\n") == .notRecognized)
    }

    @Test("a head longer than the bound, or other bytes from the first, is not waited for")
    func notWaitedFor() {
        let long =
            "GET /xmpp-websocket HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: WebSocketHandshake.maxHeadBytes)
        #expect(self.read(long) == .notRecognized)
        #expect(self.read("P") == .notRecognized)
        #expect(self.read("G") == .needMore)
        #expect(self.read("") == .needMore)
        #expect(self.read([0x16, 0x03, 0x01]) == .notRecognized)  // a TLS ClientHello on the plain port
    }

    @Test("random bytes and mutated handshakes are read without a trap")
    func randomInput() {
        Mutations.forEachVariant(of: Array(Self.chromium.utf8)) { _ = self.read($0) }
    }
}
