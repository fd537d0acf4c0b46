extension ServerConfiguration {
    /// `tls`: the certificate c2s offers.
    ///
    /// ```yaml
    /// tls:
    ///   certificate: /etc/parley/cert.pem
    ///   key: /etc/parley/key.pem
    /// ```
    ///
    /// Both nil (the default) means a self-signed ECDSA certificate that Parley makes in `data_directory` on first
    /// start. Setting one without the other is a configuration error.
    public struct TLS: Sendable, Equatable {
        /// `certificate`: path of a PEM certificate chain, or nil.
        public var certificate: String?
        /// `key`: path of the PEM private key of `certificate`, or nil.
        public var key: String?

        public init(certificate: String? = nil, key: String? = nil) {
            self.certificate = certificate
            self.key = key
        }

        /// True when Parley should make (or reuse) its own self-signed certificate.
        public var usesSelfSignedCertificate: Bool { self.certificate == nil }
    }
}
