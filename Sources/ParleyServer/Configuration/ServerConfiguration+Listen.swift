extension ServerConfiguration {
    /// `listen`: where Parley accepts connections.
    ///
    /// ```yaml
    /// listen:
    ///   address: 127.0.0.1
    ///   c2s_port: 5222
    ///   c2s_tls_port: 5223
    ///   http_port: 5280
    /// ```
    public struct Listen: Sendable, Equatable {
        /// `address`: the IP address (or host name) every listener binds to.
        public var address: String
        /// `c2s_port`: client-to-server TCP with STARTTLS (RFC 6120).
        public var c2sPort: Int
        /// `c2s_tls_port`: client-to-server with TLS from the first byte (XEP-0368); 0 turns it off.
        public var c2sTLSPort: Int
        /// `http_port`: BOSH and WebSocket; 0 turns it off.
        public var httpPort: Int
        /// `https_port`: BOSH and WebSocket over TLS with the server's certificate, for deployments without
        /// nginx in front; 0 (the default) turns it off.
        public var httpsPort: Int = 0

        public init(address: String = "127.0.0.1", c2sPort: Int = 5222, c2sTLSPort: Int = 5223, httpPort: Int = 5280) {
            self.address = address
            self.c2sPort = c2sPort
            self.c2sTLSPort = c2sTLSPort
            self.httpPort = httpPort
        }
    }
}
