import NIOCore
import ParleyCore
import ParleyTransports
import ParleyXML

/// What a transport does for a `C2SSession`: framing only. TCP writes a `<stream:stream>` document,
/// WebSocket writes RFC 7395 frames, BOSH queues for the held HTTP request. Calls happen on `eventLoop`.
protocol C2STransport: AnyObject {
    var eventLoop: any EventLoop { get }
    /// The opening of a (new) stream: `<stream:stream …>` on TCP, `<open/>` on WebSocket.
    func sendStreamHeader(id: String, host: String)
    /// A stream-level element or a stanza for the client. `flush` follows a batch.
    func send(_ element: XMLElement)
    /// A stanza serialized once for many recipients, with this recipient's `to` spliced in.
    func send(_ bytes: StanzaBytes, to recipient: JID?)
    /// A stream-level element already encoded in the forms transports write.
    func send(_ prepared: PreparedStreamElement)
    func flush()
    /// Bytes written for the client that it has not taken yet; 0 below the transport's own threshold (a
    /// channel still writable). `C2SSession` ends a stream whose backlog passes `maxOutputBacklog`.
    var outputBacklog: Int { get }
    /// TCP only: `<proceed/>` is out; insert TLS in front. Returns false when the transport cannot.
    func startTLS() -> Bool
    /// The next input begins a new stream (RFC 6120 §4.3.3).
    func restartStream()
    /// Allows larger stanzas (service accounts, Jitsi's `limits_exception`).
    func raiseStanzaLimit(to bytes: Int)
    /// Ends the stream: the error (after a header when `needsHeader`), the closing, then the connection.
    func close(_ error: StreamError?, needsHeader: Bool)
    /// Cuts the connection at once, without a stream error or `</stream:stream>` (the control API's fault).
    func abort()
    /// Reads at most `bytesPerSecond` from the client (nil: as fast as it sends); `ReadThrottleHandler`.
    func limitReading(to bytesPerSecond: Double?)
}

extension C2STransport {
    /// A transport without its own way writes the element.
    func send(_ prepared: PreparedStreamElement) { self.send(prepared.element) }

    /// BOSH: every request is its own connection; nothing to slow.
    func limitReading(to bytesPerSecond: Double?) {}
}
