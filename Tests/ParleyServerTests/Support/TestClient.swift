import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ParleyCore
import ParleyTLS
import ParleyXML

/// A small XMPP client over real loopback sockets for in-process integration tests (Prosody's scansion,
/// in Swift): send raw XML, wait for elements, log in with STARTTLS + SASL, bind.
final class TestClient: Sendable {
    let channel: any Channel
    private let inbox: Inbox

    final class Inbox: Sendable {
        let events = NIOLockedValueBox<[XMLStreamEvent]>([])
        let closed = NIOLockedValueBox(false)
        let raw = NIOLockedValueBox<[UInt8]>([])
    }

    private final class Reader: ChannelInboundHandler, @unchecked Sendable {  // loop-bound in practice
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        var parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 16 * 1024 * 1024))
        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = self.unwrapInboundIn(data)
            self.inbox.raw.withLockedValue { $0 += buffer.readableBytesView }
            try? buffer.withUnsafeReadableBytes { bytes in
                try self.parser.feed(bytes) { event in self.inbox.events.withLockedValue { $0.append(event) } }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.inbox.closed.withLockedValue { $0 = true }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ResetParser { self.parser = XMLStreamParser(configuration: self.parser.configuration) }
        }
    }

    struct ResetParser {}

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    static func connect(port: Int, group: any EventLoopGroup) async throws -> TestClient {
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Reader(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestClient(channel: channel, inbox: inbox)
    }

    func send(_ xml: String) async throws {
        var buffer = self.channel.allocator.buffer(capacity: xml.utf8.count)
        buffer.writeString(xml)
        try await self.channel.writeAndFlush(buffer)
    }

    func send(bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(self.channel.allocator.buffer(bytes: bytes))
    }

    func openStream(to host: String) async throws {
        try await self.send(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='\(host)' version='1.0'>"
        )
    }

    var isClosed: Bool { self.inbox.closed.withLockedValue { $0 } }
    var rawText: String { String(decoding: self.inbox.raw.withLockedValue { $0 }, as: UTF8.self) }

    /// Waits for (and removes) the first element matching `predicate`.
    @discardableResult
    func expect(
        timeout: Duration = .seconds(5),
        _ what: String = "element",
        where predicate: @Sendable (XMLElement) -> Bool
    ) async throws -> XMLElement {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found: XMLElement? = self.inbox.events.withLockedValue { events in
                for (i, event) in events.enumerated() {
                    if case .element(let e) = event, predicate(e) {
                        events.remove(at: i)
                        return e
                    }
                }
                return nil
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestClientError.timeout("\(what); received so far: \(self.rawText.suffix(2000))")
    }

    func expect(name: String, namespace: String? = nil, timeout: Duration = .seconds(5)) async throws -> XMLElement {
        try await self.expect(timeout: timeout, "<\(name)>") {
            $0.name == name && (namespace == nil || $0.namespace == namespace)
        }
    }

    /// Waits for the stream error and the connection to close; returns the error condition.
    func expectStreamError(timeout: Duration = .seconds(5)) async throws -> String {
        let error = try await self.expect(name: "error", namespace: Namespace.streams, timeout: timeout)
        let deadline = ContinuousClock.now + timeout
        while !self.isClosed && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        guard self.isClosed else { throw TestClientError.timeout("connection still open after stream error") }
        return error.elements.first { $0.namespace == Namespace.streamErrors && $0.name != "text" }?.name ?? "?"
    }

    func waitUntilClosed(timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !self.isClosed && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        if !self.isClosed { throw TestClientError.timeout("connection still open") }
    }

    /// STARTTLS (RFC 6120 §5.4) after the first features.
    func startTLS(host: String) async throws {
        try await self.send("<starttls xmlns='\(Namespace.tls)'/>")
        _ = try await self.expect(name: "proceed")
        let context = try TLSContext.client(verifyPeer: false)
        try await self.channel.eventLoop.submit {
            try self.channel.pipeline.syncOperations.addHandler(
                try OpenSSLHandler(context: context, serverHostname: host),
                position: .first
            )
            self.channel.pipeline.fireUserInboundEventTriggered(ResetParser())
        }.get()
        try await self.openStream(to: host)
    }

    /// Opens a stream, does STARTTLS, authenticates with `mechanism`, restarts and binds. Returns the JID.
    func login(
        host: String,
        mechanism: String = "ANONYMOUS",
        username: String? = nil,
        password: String? = nil,
        resource: String? = nil
    ) async throws -> JID {
        try await self.openStream(to: host)
        _ = try await self.expect(name: "features")
        try await self.startTLS(host: host)
        _ = try await self.expect(name: "features")
        var payload = "="
        if mechanism == "PLAIN", let username, let password {
            payload = Base64.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
        }
        try await self.send("<auth xmlns='\(Namespace.sasl)' mechanism='\(mechanism)'>\(payload)</auth>")
        let outcome = try await self.expect("SASL outcome") { $0.name == "success" || $0.name == "failure" }
        guard outcome.name == "success" else { throw TestClientError.authFailed(outcome.elements.first?.name ?? "?") }
        try await self.channel.eventLoop.submit { self.channel.pipeline.fireUserInboundEventTriggered(ResetParser()) }
            .get()
        try await self.openStream(to: host)
        _ = try await self.expect(name: "features")
        let resourceXML = resource.map { "<resource>\($0)</resource>" } ?? ""
        try await self.send("<iq type='set' id='bind1'><bind xmlns='\(Namespace.bind)'>\(resourceXML)</bind></iq>")
        let result = try await self.expect("bind result") { $0.name == "iq" && $0[attribute: "id"] == "bind1" }
        guard let text = result.child("bind")?.child("jid")?.text else {
            throw TestClientError.authFailed("bind: \(result.xmlString())")
        }
        return try JID(text)
    }

    func close() async {
        try? await self.channel.close()
    }
}

enum TestClientError: Error, CustomStringConvertible {
    case timeout(String)
    case authFailed(String)

    var description: String {
        switch self {
        case .timeout(let s): "timed out waiting for \(s)"
        case .authFailed(let s): "authentication failed: \(s)"
        }
    }
}
