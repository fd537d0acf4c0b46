import Foundation
import ParleyTestSupport
import Testing

@testable import ParleyTransports

/// The BOSH requests the server answers without NIO's HTTP pipeline (XEP-0124 §4, XEP-0206): a browser's and
/// nginx's, recognised whatever the packets; anything unusual left to NIO's pipeline, never refused here.
@Suite struct BOSHRequestHeadTests {
    /// What Chromium sends for strophe.js's cross-origin XHR (lib-jitsi-meet's BOSH connection).
    static let chromium =
        "POST /http-bind?room=weeklysync HTTP/1.1\r\n"
        + "Host: meet.jitsi\r\n"
        + "Connection: keep-alive\r\n"
        + "Content-Length: 262\r\n"
        + "sec-ch-ua-platform: \"Linux\"\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
        + "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n"
        + "Content-Type: text/xml; charset=utf-8\r\n"
        + "Accept: */*\r\n"
        + "Origin: https://meet.example.org\r\n"
        + "Sec-Fetch-Site: cross-site\r\n"
        + "Sec-Fetch-Mode: cors\r\n"
        + "Referer: https://meet.example.org/\r\n"
        + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        + "Accept-Language: en-GB,en;q=0.9\r\n"
        + "\r\n"

    /// What nginx sends upstream with Jitsi's `location = /http-bind` (its default: HTTP/1.0, the connection closed).
    static let nginx =
        "POST /http-bind?prefix=&room=weeklysync HTTP/1.0\r\n"
        + "X-Forwarded-For: 192.0.2.7\r\n"
        + "Host: meet.jitsi\r\n"
        + "Connection: close\r\n"
        + "Content-Length: 262\r\n"
        + "Content-Type: text/xml; charset=utf-8\r\n"
        + "\r\n"

    static let maxBody = 256 * 1024 + 8192

    private func read(_ text: String) -> BOSHRequestHead.Reading {
        self.read(Array(text.utf8))
    }

    private func read(_ bytes: [UInt8]) -> BOSHRequestHead.Reading {
        bytes.withUnsafeBytes { BOSHRequestHead.read($0, maxBodyBytes: Self.maxBody) }
    }

    @Test("Chromium's request: target, body length, origin, kept alive")
    func chromium() {
        guard case .request(let head, let length) = self.read(Self.chromium + "<body/>") else {
            Issue.record("not recognised")
            return
        }
        #expect(length == Self.chromium.utf8.count)
        #expect(
            head
                == BOSHRequestHead(
                    target: "/http-bind?room=weeklysync",
                    contentLength: 262,
                    origin: "https://meet.example.org",
                    isHTTP10: false,
                    keepAlive: true
                )
        )
    }

    @Test("nginx's request: HTTP/1.0, closed after the response")
    func nginx() {
        guard case .request(let head, _) = self.read(Self.nginx) else {
            Issue.record("not recognised")
            return
        }
        #expect(
            head
                == BOSHRequestHead(
                    target: "/http-bind?prefix=&room=weeklysync",
                    contentLength: 262,
                    origin: nil,
                    isHTTP10: true,
                    keepAlive: false
                )
        )
    }

    @Test(
        "keep-alive by version and Connection (RFC 9112 §9.3)",
        arguments: [
            ("1.1", "", true),
            ("1.1", "Connection: close\r\n", false),
            ("1.1", "Connection: keep-alive, Close\r\n", false),
            ("1.0", "", false),
            ("1.0", "Connection: Keep-Alive\r\n", true),
            ("1.0", "Connection: keep-alive\r\nConnection: close\r\n", false),
        ]
    )
    func keepAlive(version: String, connection: String, expected: Bool) {
        let text = "POST /http-bind HTTP/\(version)\r\nContent-Length: 0\r\n\(connection)\r\n"
        guard case .request(let head, _) = self.read(text) else {
            Issue.record("not recognised")
            return
        }
        #expect(head.keepAlive == expected)
        #expect(head.isHTTP10 == (version == "1.0"))
    }

    @Test("cut anywhere, the head needs more until its last byte")
    func cutAnywhere() {
        let head = Array(Self.chromium.utf8)
        for cut in 0..<head.count {
            #expect(self.read(Array(head[..<cut])) == .needMore, "cut at \(cut)")
        }
    }

    @Test(
        "anything but a plain BOSH POST is left to NIO's pipeline",
        arguments: [
            ("GET /http-bind HTTP/1.1\r\nContent-Length: 5\r\n", "GET"),
            ("OPTIONS /http-bind HTTP/1.1\r\nContent-Length: 5\r\n", "a CORS preflight"),
            ("POST /http-bindx HTTP/1.1\r\nContent-Length: 5\r\n", "another path"),
            ("POST /health HTTP/1.1\r\nContent-Length: 5\r\n", "another path"),
            ("POST /xmpp-websocket HTTP/1.1\r\nContent-Length: 5\r\n", "another path"),
            ("POST http://meet.jitsi/http-bind HTTP/1.1\r\nContent-Length: 5\r\n", "absolute form"),
            ("POST /http-bind HTTP/2.0\r\nContent-Length: 5\r\n", "HTTP/2"),
            ("POST /http-bind HTTP/1.2\r\nContent-Length: 5\r\n", "HTTP/1.2"),
            ("POST /http-bind HTTP/1.1\r\n", "no length"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n", "two lengths"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: +5\r\n", "a signed length"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5, 5\r\n", "a list of lengths"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 999999999999999999999\r\n", "a huge length"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 300000\r\n", "a body over the limit"),
            ("POST /http-bind HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "a chunked body"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n", "both framings"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n", "Expect"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5\r\nUpgrade: h2c\r\n", "Upgrade"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5\r\nOrigin: a\r\nOrigin: b\r\n", "two origins"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5\r\n folded\r\n", "a folded line"),
            ("POST /http-bind HTTP/1.1\r\nContent-Length: 5\nX-B: c\r\n", "a bare LF"),
            ("POST /http-bind HTTP/1.1\r\nX-A: caf\u{e9}\r\nContent-Length: 5\r\n", "a value that is not ASCII"),
            ("POST /http-bind HTTP/1.1\r\nX A: b\r\nContent-Length: 5\r\n", "a name that is not a token"),
        ]
    )
    func notRecognised(head: String, why: String) {
        #expect(self.read(head + "\r\n<body/>") == .notRecognized, "\(why)")
    }

    @Test("a head longer than the bound, or other bytes from the first, is not waited for")
    func notWaitedFor() {
        let long = "POST /http-bind HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: HTTPHeadScanner.maxHeadBytes)
        #expect(self.read(long) == .notRecognized)
        #expect(self.read("G") == .notRecognized)
        #expect(self.read("PO") == .needMore)
        #expect(self.read("") == .needMore)
        #expect(self.read([0x16, 0x03, 0x01]) == .notRecognized)
    }

    @Test("random bytes and mutated requests are read without a trap")
    func randomInput() {
        Mutations.forEachVariant(of: Array((Self.chromium + "<body/>").utf8)) { _ = self.read($0) }
    }
}
