internal import COpenSSL

/// The OpenSSL this process runs with, as the library itself reports it (`OpenSSL_version`), not the header.
public enum OpenSSLLibrary {
    /// E.g. `OpenSSL 3.0.17 1 Jul 2025`.
    public static var version: String {
        OpenSSL_version(OPENSSL_VERSION).map { String(cString: $0) } ?? "OpenSSL (version unknown)"
    }
}
