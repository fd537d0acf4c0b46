/// The user inbound event `OpenSSLHandler` fires once the TLS handshake (RFC 8446 §4) has completed, before any
/// application data is passed on.
///
/// The c2s layer waits for it after `<proceed/>` (RFC 6120 §5.4.3.3) before it trusts the stream; the load
/// generator uses it to time connection set-up.
public struct TLSHandshakeCompleted: Sendable, Hashable {
    /// The negotiated version as OpenSSL names it: `TLSv1.3` or `TLSv1.2`.
    public let protocolVersion: String

    /// The negotiated cipher suite as OpenSSL names it, for example `TLS_AES_256_GCM_SHA384`.
    public let cipher: String

    /// The ALPN protocol both sides agreed on (for example `xmpp-client`, XEP-0368), or `nil` if none was.
    public let applicationProtocol: String?

    public init(protocolVersion: String, cipher: String, applicationProtocol: String? = nil) {
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.applicationProtocol = applicationProtocol
    }
}
