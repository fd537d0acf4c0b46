import NIOCore

/// What a `LoadClient` needs from its transport: the XML stream's framing differs (a stream header over TCP,
/// `<open/>` frames over WebSocket, `<body/>` wrappers over BOSH), the session logic does not.
///
/// Links live on the client's event loop and call back into the client there.
protocol ClientLink: AnyObject {
    /// Opens the XML stream, or restarts it after TLS or SASL (RFC 6120 §4.3.3).
    func openStream(restart: Bool)
    /// Sends one or more complete top-level elements.
    func send(_ buffer: ByteBuffer)
    /// Allocates an outbound buffer.
    func makeBuffer(capacity: Int) -> ByteBuffer
    /// Puts TLS under the stream after `<proceed/>` (TCP only).
    func startTLS() throws
    /// Ends the XML stream politely; the link reports `linkClosed` once the server has closed it too.
    func closeStream()
    /// Drops the connection now.
    func abort()
}
